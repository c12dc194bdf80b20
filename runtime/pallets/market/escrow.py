"""Escrow: lazy settlement of a deployment's leases, and the block-keyed scheduler.

A deployment's escrow is a reserve on its owner. `settle` pays every active lease
`price x blocks` since `settled_at` (never past the block where the escrow runs dry),
moving value only with `balances.repatriate_reserved`. The take (`take_rate_bps` of each
payment) goes to the treasury.

Nothing scans leases per block. Each deployment with leases has one due block
(`next_due` = the earlier of its dry block and `settled_at + settlement_period`) and a
task in `Schedule[(due, slot)]`; `on_initialize` runs only the tasks of its block (at most
`max_tasks_per_block`, the rest carry over), so the per-block cost depends on the work
due, not on how many leases exist. A touch (deposit, lease change, withdraw) settles and
reschedules; the task left at the old block becomes stale and is skipped when it runs
(`next_due` > its block).
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import DispatchError
from runtime.pallets import balances, system

from runtime.pallets.market.events import LeasePaid
from runtime.pallets.market.pallet import BPS
from runtime.pallets.market.storage import Leases, Schedule, ScheduleLen, params
from runtime.pallets.market.types import Deployment, Params

U128_MAX = 2**128 - 1


class EscrowInvariantBroken(DispatchError):
    def __init__(self, message: str):
        super().__init__("Other", message)


def dry_block(dep: Deployment) -> int | None:
    """The block at which the escrow can no longer pay the next block (None without leases).

    The escrow pays blocks settled_at+1 .. settled_at+n with n = escrow // rate; at block
    settled_at+n what is left (< rate) cannot pay another block, so the leases close there.
    """
    if dep.rate == 0:
        return None
    return dep.settled_at + dep.escrow // dep.rate


def is_exhausted(dep: Deployment, now: int) -> bool:
    dry = dry_block(dep)
    return dry is not None and now >= dry


def can_receive(ctx: BlockContext, who: bytes, amount: int) -> bool:
    info = system.get_account(ctx, who)
    return info.providers > 0 or amount >= balances.EXISTENTIAL_DEPOSIT


def _move_reserved(ctx: BlockContext, source: bytes, dest: bytes, amount: int) -> None:
    if amount == 0:
        return
    shortfall = balances.repatriate_reserved(ctx, source, dest, amount)
    if shortfall:
        raise EscrowInvariantBroken(f"market: reserve of 0x{source.hex()} short by {shortfall}")


def pay(ctx: BlockContext, tenant: bytes, provider: bytes, amount: int, p: Params) -> int:
    """Pay `amount` out of the tenant's reserve: the take to the treasury, the rest to the provider.

    Returns the take. Should the treasury account not exist and the take be below the
    existential deposit, the provider gets the whole amount (value is never lost).
    """
    take = amount * p.take_rate_bps // BPS
    if take and not can_receive(ctx, p.treasury, take):
        take = 0
    _move_reserved(ctx, tenant, provider, amount - take)
    _move_reserved(ctx, tenant, p.treasury, take)
    return take


def settle(ctx: BlockContext, dep: Deployment, now: int) -> int:
    """Pay the deployment's leases up to `now` (or its dry block if earlier); returns the block settled to."""
    to = now
    dry = dry_block(dep)
    if dry is not None:
        to = min(now, dry)
    blocks = to - dep.settled_at
    if blocks > 0 and dep.rate:
        p = params(ctx.state)
        for lease_id in dep.leases:
            lease = Leases.get(ctx.state, lease_id)
            amount = lease.price * blocks
            take = pay(ctx, lease.tenant, lease.provider, amount, p)
            lease.paid += amount
            Leases.insert(ctx.state, lease_id, lease)
            ctx.deposit_event(LeasePaid(lease_id, lease.provider, amount, take, to))
        dep.escrow -= dep.rate * blocks
    if to > dep.settled_at:
        dep.settled_at = to
    return to


# --- scheduler ---------------------------------------------------------------------------------
def schedule(ctx: BlockContext, block: int, task) -> int:
    """Queue `task` at `block` (never earlier than the next block); returns the block used."""
    block = max(block, ctx.block_number + 1)
    slot = ScheduleLen.get(ctx.state, block)
    Schedule.insert(ctx.state, block, slot, task)
    ScheduleLen.insert(ctx.state, block, slot + 1)
    return block


def reschedule(ctx: BlockContext, dep_id: int, dep: Deployment) -> None:
    """Set the deployment's next settlement (dry block or periodic, whichever first)."""
    dry = dry_block(dep)
    if dry is None:
        dep.next_due = 0
        return
    due = max(min(dry, dep.settled_at + params(ctx.state).settlement_period), ctx.block_number + 1)
    if dep.next_due != due:
        dep.next_due = schedule(ctx, due, ("Settle", dep_id))
