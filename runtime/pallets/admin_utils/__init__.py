"""pallet_admin_utils (AdminUtils, index 19 as on subtensor): the hyperparameter setters.

Call names, indices and argument names are subtensor's (`pallets/admin-utils/src/lib.rs`), so
`btcli sudo set` and the bittensor SDK's sudo helpers work. The setters write SubtensorModule's
storage and deposit its `XxxSet` events, as upstream; "owner" setters accept Root or the subnet
owner's coldkey, the others Root only (see `runtime.pallets.subtensor.hyperparams.SETTERS`).
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, PalletError
from runtime.frame.pallet import CallWeight, Pallet
from primitives.scale import U16

from runtime.pallets.subtensor.hyperparams import do_set_alpha_values, register_setters

pallet = Pallet("AdminUtils", "pallet_admin_utils", docs=("Subnet hyperparameter setters (Root or subnet owner).",))


@pallet.errors
class Error(PalletError):
    SubnetDoesNotExist = 0
    MaxValidatorsLargerThanMaxUIds = 1
    MaxAllowedUIdsLessThanCurrentUIds = 2
    BondsMovingAverageMaxReached = 3
    NegativeSigmoidSteepness = 4
    ValueNotInBounds = 5
    MinAllowedUidsGreaterThanCurrentUids = 6
    MinAllowedUidsGreaterThanMaxAllowedUids = 7
    MaxAllowedUidsLessThanMinAllowedUids = 8
    MaxAllowedUidsGreaterThanDefaultMaxAllowedUids = 9
    InvalidValue = 10
    NotPermittedOnRootSubnet = 11
    POWRegistrationDisabled = 12
    Deprecated = 13


register_setters(pallet)


@pallet.call(51, [("netuid", U16, "NetUid"), ("alpha_low", U16, "u16"), ("alpha_high", U16, "u16")],
             weight=CallWeight(15_000_000))
def sudo_set_alpha_values(ctx: BlockContext, origin: Origin, netuid: int, alpha_low: int, alpha_high: int) -> None:
    """Set `AlphaValues` (Root or the subnet owner; liquid alpha must be on)."""
    do_set_alpha_values(ctx, origin, netuid, alpha_low, alpha_high)
