"""pallet_timestamp: the block's wall-clock time, set once per block by an inherent.

Index 2. The block author puts `Timestamp.set(now)` first in every block; importers check
it is set exactly once and moves forward by at least `MinimumPeriod`.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import InvalidBlock, Origin, ensure_none
from runtime.frame.pallet import CallWeight, Pallet
from primitives.scale import U64, Bool, Compact

pallet = Pallet("Timestamp", "pallet_timestamp", docs=("The time of the current block.",))

MINIMUM_PERIOD = pallet.constant(
    "MinimumPeriod", U64, 50,
    "The minimum period between blocks; the author stamps each block with its slot start time.")

Now = pallet.value("Now", U64, default=0, docs="The current time for the current block.")
DidUpdate = pallet.value("DidUpdate", Bool, default=False, docs="Whether the timestamp has been updated in this block.")


class TimestampError(InvalidBlock):
    """An invalid timestamp inherent: the block is invalid."""


@pallet.call(0, [("now", Compact(U64), "T::Moment")], weight=CallWeight(5_000_000), dispatch_class="Mandatory",
             pays_fee=False)
def set(ctx: BlockContext, origin: Origin, now: int) -> None:  # noqa: A001 (FRAME's call name)
    """Set the current time (inherent; once per block)."""
    ensure_none(origin)
    if DidUpdate.get(ctx.state):
        raise TimestampError("Timestamp must be updated only once in the block")
    previous = Now.get(ctx.state)
    if previous and now < previous + MINIMUM_PERIOD:
        raise TimestampError("Timestamp must increment by at least MinimumPeriod between sequential blocks")
    Now.put(ctx.state, now)
    DidUpdate.put(ctx.state, True)


@pallet.hook_on_finalize
def on_finalize(ctx: BlockContext) -> None:
    if not DidUpdate.take(ctx.state):
        raise TimestampError("Timestamp must be updated once in the block")
