"""Pool-time rules for signed SubtensorModule calls (subtensor's SubtensorTransactionExtension).

`set_weights` and `set_mechanism_weights` pay no fee, so nothing but these rules stops a key
that holds nothing from writing its nonce (a new `System.Account`) in every block. They are
valid only from a hotkey registered on the subnet, with enough stake, and within the rate limit;
otherwise `InvalidTransaction::Custom(code)` with subtensor's codes (CustomTransactionError).
Calls that pay a fee are checked by CheckNonce and ChargeTransactionPayment instead.
"""
from __future__ import annotations

from runtime.extrinsic import invalid_custom
from runtime.frame.context import BlockContext

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import MECHANISM_STORAGE_STRIDE
from runtime.pallets.subtensor.weights import check_rate_limit, check_weights_min_stake

# subtensor_runtime_common::CustomTransactionError, as u8 (part of the client-facing surface)
STAKE_AMOUNT_TOO_LOW = 1
RATE_LIMIT_EXCEEDED = 6
UID_NOT_FOUND = 19        # what subtensor maps HotKeyNotRegisteredInSubNet to

_WEIGHT_CALLS = frozenset({"set_weights", "set_mechanism_weights"})


@pallet.transaction_validator
def validate_signed(ctx: BlockContext, who: bytes, call_name: str, args: dict) -> None:
    if call_name not in _WEIGHT_CALLS:
        return
    state = ctx.state
    netuid = args["netuid"]
    uid = S.Uids.get(state, netuid, who)
    if uid is None:
        raise invalid_custom(UID_NOT_FOUND)
    if not check_weights_min_stake(state, netuid, who, uid):
        raise invalid_custom(STAKE_AMOUNT_TOO_LOW)
    if not S.CommitRevealWeightsEnabled.get(state, netuid):
        netuid_index = netuid + args.get("mecid", 0) * MECHANISM_STORAGE_STRIDE
        if not check_rate_limit(state, netuid, netuid_index, uid, ctx.block_number):
            raise invalid_custom(RATE_LIMIT_EXCEEDED)
