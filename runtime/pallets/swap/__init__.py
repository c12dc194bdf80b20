"""pallet_subtensor_swap (Swap): the per-subnet swap fee rate (index 28, as on subtensor).

The pool math itself lives with the reserves in `runtime.pallets.subtensor.swap` (subtensor keeps
it in this pallet, reading SubtensorModule's reserves through traits). User liquidity is disabled
upstream, so only `set_fee_rate` remains a live call.
"""
from __future__ import annotations

import dataclasses

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, PalletError, ensure, ensure_root
from runtime.frame.pallet import CallWeight, Pallet
from primitives.hashing import Hasher
from primitives.scale import U16

pallet = Pallet("Swap", "pallet_subtensor_swap", docs=("Swap fee configuration of the subnet pools.",))

DEFAULT_FEE_RATE = 33          # DefaultFeeRate: 33/65535, ~0.05 %
MAX_FEE_RATE = pallet.constant("MaxFeeRate", U16, 10_000, "The maximum fee rate that can be set (~15.26 %).")

FeeRate = pallet.map("FeeRate", [(Hasher.TWOX_64_CONCAT, U16)], U16, default=DEFAULT_FEE_RATE, docs=(
    "The fee rate applied to swaps per subnet, normalized value between 0 and u16::MAX"))


@pallet.event(0)
@dataclasses.dataclass(frozen=True)
class FeeRateSet:
    """Event emitted when the fee rate has been updated for a subnet"""
    netuid: U16
    rate: U16


@pallet.errors
class Error(PalletError):
    FeeRateTooHigh = 0
    InsufficientInputAmount = 1
    InsufficientLiquidity = 2
    PriceLimitExceeded = 3
    InsufficientBalance = 4
    InvalidTickRange = 5
    InvalidLiquidityValue = 6
    ReservesTooLow = 7
    MechanismDoesNotExist = 8
    SubtokenDisabled = 9
    ReservesOutOfBalance = 10
    SwapInputTooLarge = 11
    Deprecated = 12

    __docs__ = {
        "FeeRateTooHigh": "The fee rate is too high",
        "PriceLimitExceeded": "The operation would exceed the price limit.",
        "ReservesTooLow": "Reserves too low for operation.",
        "MechanismDoesNotExist": "The subnet does not exist.",
        "SwapInputTooLarge": "Swap input is too large relative to input-side liquidity",
    }


@pallet.call(0, [("netuid", U16, "NetUid"), ("rate", U16, "u16")], weight=CallWeight(15_000_000))
def set_fee_rate(ctx: BlockContext, origin: Origin, netuid: int, rate: int) -> None:
    """Set the fee rate for swaps on a specific subnet (normalized value; Root only)."""
    from runtime.pallets.subtensor import storage as subtensor_storage

    ensure_root(origin)
    ensure(subtensor_storage.NetworksAdded.get(ctx.state, netuid), Error.MechanismDoesNotExist)
    ensure(rate <= MAX_FEE_RATE, Error.FeeRateTooHigh)
    FeeRate.insert(ctx.state, netuid, rate)
    ctx.deposit_event(FeeRateSet(netuid, rate))
