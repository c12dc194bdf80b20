"""pallet_transaction_payment: fee = base + length fee + weight fee + tip, charged up front.

Index 6. Fees are withdrawn from the sender before dispatch (and burned: total issuance
shrinks by the fee), and reported by `TransactionFeePaid`, which clients read.
"""
from __future__ import annotations

import dataclasses

from runtime.frame.pallet import CallWeight, Pallet
from runtime.pallets import system
from primitives.scale import U8, U128
from primitives.types import AccountId

pallet = Pallet("TransactionPayment", "pallet_transaction_payment", docs=("Transaction fees.",))

EXTRINSIC_BASE_WEIGHT = system.EXTRINSIC_BASE_WEIGHT  # System.BlockWeights' base_extrinsic: part of every fee
# rao per byte of the encoded extrinsic
LENGTH_FEE_PER_BYTE = 1_000
# rao per `WEIGHT_FEE_DIVISOR` units of ref_time
WEIGHT_FEE_DIVISOR = 1_000

pallet.constant("OperationalFeeMultiplier", U8, 5,
                "A fee multiplier for Operational extrinsics to compute tip-based priority.")

NextFeeMultiplier = pallet.value("NextFeeMultiplier", U128, default=10**18,
                                 docs="The fee multiplier (FixedU128, 1.0 = 10^18); constant on this chain.")


@pallet.event(0)
@dataclasses.dataclass(frozen=True)
class TransactionFeePaid:
    """A transaction fee `actual_fee`, of which `tip` was added to the minimum inclusion fee, has been paid by `who`."""
    who: AccountId
    actual_fee: U128
    tip: U128


def weight_to_fee(ref_time: int) -> int:
    return ref_time // WEIGHT_FEE_DIVISOR


def length_to_fee(length: int) -> int:
    return length * LENGTH_FEE_PER_BYTE


@dataclasses.dataclass(frozen=True)
class FeeDetails:
    base_fee: int
    len_fee: int
    adjusted_weight_fee: int
    tip: int

    @property
    def partial_fee(self) -> int:
        return self.base_fee + self.len_fee + self.adjusted_weight_fee

    @property
    def final_fee(self) -> int:
        return self.partial_fee + self.tip


def compute_fee_details(length: int, call_weight: CallWeight, tip: int, pays_fee: bool = True) -> FeeDetails:
    if not pays_fee:
        return FeeDetails(0, 0, 0, tip)
    return FeeDetails(weight_to_fee(EXTRINSIC_BASE_WEIGHT.ref_time), length_to_fee(length),
                      weight_to_fee(call_weight.ref_time), tip)

