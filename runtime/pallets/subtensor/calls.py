"""Dispatchable calls (subtensor's names, argument names and call indices from
`pallets/subtensor/src/macros/dispatches.rs`)."""
from __future__ import annotations


from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure, ensure_signed, fail
from runtime.frame.pallet import CallWeight
from primitives.scale import U8, U16, U32, U64, Vec
from primitives.types import AccountId

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor import events as E
from runtime.pallets.subtensor.hyperparams import (
    SETTER_WEIGHT, check_activity_cutoff_factor, check_owner_tempo, owner_on_subnet, owner_or_root_on_subnet,
)
from runtime.pallets.subtensor.networks import do_register_network
from runtime.pallets.subtensor.neurons import do_burned_register
from runtime.pallets.subtensor import commit_reveal, serving  # noqa: F401  (register their calls)
from runtime.pallets.subtensor import identity as _identity_calls  # noqa: F401  (set_identity, set_subnet_identity)
from runtime.pallets.subtensor.stake import calls as stake_calls  # noqa: F401  (registers the staking calls)
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import SubnetIdentityV3
from primitives.scale import Option
from runtime.pallets.subtensor.weights import do_set_weights

NETUID = ("netuid", U16, "NetUid")
HOTKEY = ("hotkey", AccountId, "T::AccountId")
WEIGHT_ARGS = [("dests", Vec(U16), "Vec<u16>"), ("weights", Vec(U16), "Vec<u16>"), ("version_key", U64, "u64")]


@pallet.call(0, [NETUID, *WEIGHT_ARGS], weight=CallWeight(30_000_000), pays_fee=False)
def set_weights(ctx: BlockContext, origin: Origin, netuid: int, dests: list, weights: list, version_key: int) -> None:
    """Set the caller hotkey's weights on a subnet (refused while commit-reveal is on)."""
    if S.CommitRevealWeightsEnabled.get(ctx.state, netuid):
        fail(Error.CommitRevealEnabled)
    do_set_weights(ctx, ensure_signed(origin), netuid, 0, list(dests), list(weights), version_key)


@pallet.call(119, [NETUID, ("mecid", U8, "MechId"), *WEIGHT_ARGS], weight=CallWeight(30_000_000), pays_fee=False)
def set_mechanism_weights(ctx: BlockContext, origin: Origin, netuid: int, mecid: int, dests: list, weights: list,
                          version_key: int) -> None:
    """Set weights for a mechanism of a subnet (only mechanism 0 exists here)."""
    if S.CommitRevealWeightsEnabled.get(ctx.state, netuid):
        fail(Error.CommitRevealEnabled)
    do_set_weights(ctx, ensure_signed(origin), netuid, mecid, list(dests), list(weights), version_key)


@pallet.call(7, [NETUID, HOTKEY], weight=CallWeight(80_000_000))
def burned_register(ctx: BlockContext, origin: Origin, netuid: int, hotkey: bytes) -> None:
    """Register `hotkey` (owned by the caller's coldkey) on `netuid`, burning the current Burn."""
    do_burned_register(ctx, ensure_signed(origin), netuid, hotkey)


@pallet.call(134, [NETUID, HOTKEY, ("limit_price", U64, "u64")], weight=CallWeight(80_000_000))
def register_limit(ctx: BlockContext, origin: Origin, netuid: int, hotkey: bytes, limit_price: int) -> None:
    """As `burned_register`, refused if the current Burn exceeds `limit_price`."""
    coldkey = ensure_signed(origin)
    ensure(netuid != 0, Error.RegistrationNotPermittedOnRootSubnet)
    ensure(S.NetworksAdded.get(ctx.state, netuid), Error.SubnetNotExists)
    ensure(S.Burn.get(ctx.state, netuid) <= limit_price, Error.RegistrationPriceLimitExceeded)
    do_burned_register(ctx, coldkey, netuid, hotkey)


@pallet.call(59, [HOTKEY], weight=CallWeight(150_000_000))
def register_network(ctx: BlockContext, origin: Origin, hotkey: bytes) -> None:
    """Register a subnet owned by the caller (coldkey), locking the current lock cost; `hotkey` gets UID 0."""
    do_register_network(ctx, ensure_signed(origin), hotkey)


@pallet.call(79, [HOTKEY, ("identity", Option(SubnetIdentityV3), "Option<SubnetIdentityOfV3>")],
             weight=CallWeight(150_000_000))
def register_network_with_identity(ctx: BlockContext, origin: Origin, hotkey: bytes, identity) -> None:
    """As `register_network`, also setting the subnet's identity."""
    do_register_network(ctx, ensure_signed(origin), hotkey, identity)



# --- the owner-side setters (hyperparams.py holds their rules; AdminUtils has the sudo ones) -----
@pallet.call(139, [NETUID, ("tempo", U16, "u16")], weight=SETTER_WEIGHT)
def set_tempo(ctx: BlockContext, origin: Origin, netuid: int, tempo: int) -> None:
    """Set `Tempo` (the subnet owner)."""
    owner_on_subnet(ctx, origin, netuid)
    check_owner_tempo(ctx.state, netuid, tempo)
    S.Tempo.insert(ctx.state, netuid, tempo)
    S.LastEpochBlock.insert(ctx.state, netuid, ctx.block_number)
    ctx.deposit_event(E.TempoSet(netuid, tempo))


@pallet.call(140, [NETUID, ("factor_milli", U32, "u32")], weight=SETTER_WEIGHT)
def set_activity_cutoff_factor(ctx: BlockContext, origin: Origin, netuid: int, factor_milli: int) -> None:
    """Set `ActivityCutoffFactorMilli` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    check_activity_cutoff_factor(ctx.state, netuid, factor_milli)
    S.ActivityCutoffFactorMilli.insert(ctx.state, netuid, factor_milli)
    ctx.deposit_event(E.ActivityCutoffFactorMilliSet(netuid, factor_milli))
