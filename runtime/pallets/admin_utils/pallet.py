"""The AdminUtils pallet object and its Error enum."""
from __future__ import annotations

from runtime.frame.dispatch import PalletError
from runtime.frame.pallet import Pallet


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
