"""`on_initialize`: after an epoch of the compute subnet, close the leases of untrusted
providers (`trust.on_subnet_epoch`); then run the tasks scheduled for this block (settlements
that are due, auctions whose bidding window ended, orders that timed out). Never scans all leases."""
from __future__ import annotations

import logging

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import DETERMINISTIC_ERRORS, is_environment_fault

from runtime.pallets.market import lifecycle, trust
from runtime.pallets.market.escrow import schedule, settle
from runtime.pallets.market.pallet import pallet
from runtime.pallets.market.storage import (Deployments, Orders, Schedule, ScheduleCursor, ScheduleLen,
                                            params)

log = logging.getLogger("runtime.market")


def run_settle(ctx: BlockContext, dep_id: int, at: int) -> None:
    dep = Deployments.get(ctx.state, dep_id)
    if dep is None or dep.next_due == 0 or dep.next_due > at:
        return  # closed, or rescheduled later by a touch: a stale task
    settle(ctx, dep, ctx.block_number)
    lifecycle.store(ctx, dep_id, dep)


def run_auction(ctx: BlockContext, order_id: int) -> None:
    order = Orders.get(ctx.state, order_id)
    if order is None or order.lease is not None:
        return  # closed or already leased
    dep = Deployments.get(ctx.state, order.deployment)
    now = ctx.block_number
    settle(ctx, dep, now)
    bids = trust.open_bids(ctx, order_id)
    best = trust.best_trusted_bid(ctx, order_id, bids)  # lowest price among trusted providers
    if best is not None:
        bid_id, bid = best
        if lifecycle.escrow_covers(dep, bid.price):
            lifecycle.create_lease(ctx, bid_id, bid, order, dep, dict(bids))
        else:
            lifecycle.close_open_order(ctx, order_id, dep, "InsufficientFunds")
    else:
        timeout_at = order.created_at + params(ctx.state).order_timeout
        if now < timeout_at:
            schedule(ctx, timeout_at, ("Auction", order_id))
        else:
            lifecycle.close_open_order(ctx, order_id, dep, "Expired")
    lifecycle.store(ctx, order.deployment, dep)  # always: `settle` above may have paid leases


def run_task(ctx: BlockContext, task, at: int) -> None:
    kind, ident = task
    if kind == "Trust":
        trust.on_subnet_epoch(ctx)
    elif kind == "Settle":
        run_settle(ctx, ident, at)
    else:
        run_auction(ctx, ident)


@pallet.hook_on_initialize
def on_initialize(ctx: BlockContext) -> None:
    now = ctx.block_number
    _guarded(ctx, ("Trust", 0), now)
    block, slot = ScheduleCursor.get(ctx.state)
    if block == 0:
        block = now
    budget = params(ctx.state).max_tasks_per_block
    while block <= now:
        length = ScheduleLen.get(ctx.state, block)
        while slot < length and budget > 0:
            task = Schedule.take(ctx.state, block, slot)
            slot += 1
            budget -= 1
            if task is not None:
                _guarded(ctx, task, block)
        if slot < length:
            break  # out of budget: the rest of this block's tasks run next block
        if length:
            ScheduleLen.remove(ctx.state, block)
        block, slot = block + 1, 0
    ScheduleCursor.put(ctx.state, (block, slot))


def _guarded(ctx: BlockContext, task, at: int) -> None:
    """A task that fails is rolled back and retried a settlement period later: a bug in one
    deployment must not stop block production."""
    mark = ctx.start_transaction()
    try:
        run_task(ctx, task, at)
    except DETERMINISTIC_ERRORS as exc:
        if is_environment_fault(exc):
            raise   # this node's fault (memory, disk): abort the block rather than reschedule on one node only
        ctx.rollback_transaction(mark)
        log.exception("market task %s failed", task)
        if task[0] != "Trust":  # the trust check is not a stored task: it runs again at the next epoch
            schedule(ctx, ctx.block_number + params(ctx.state).settlement_period, task)
        return
    ctx.commit_transaction()
