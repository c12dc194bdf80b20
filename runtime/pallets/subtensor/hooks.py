"""Block hooks: on_initialize is subtensor's `block_step`, on_finalize keeps TotalIssuance in step."""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.pallets.subtensor.coinbase import run_coinbase, update_moving_prices
from runtime.pallets.subtensor.epoch import run_due_epochs
from runtime.pallets.subtensor.networks import subnet_netuids
from runtime.pallets.subtensor.neurons import update_registration_prices
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.stake.core import sync_total_issuance


@pallet.hook_on_initialize
def block_step(ctx: BlockContext) -> None:
    """`coinbase/block_step.rs block_step`: registration prices, coinbase, due epochs, price EMAs."""
    netuids = subnet_netuids(ctx.state)
    update_registration_prices(ctx, netuids)
    run_coinbase(ctx, netuids)
    if netuids:
        run_due_epochs(ctx, netuids)
        update_moving_prices(ctx, ctx.block_number, netuids)


@pallet.hook_on_finalize
def on_finalize(ctx: BlockContext) -> None:
    sync_total_issuance(ctx)
