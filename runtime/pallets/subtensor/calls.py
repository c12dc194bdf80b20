"""Dispatchable calls (subtensor's names, argument names and call indices from
`pallets/subtensor/src/macros/dispatches.rs`), the block hooks and the genesis builder."""
from __future__ import annotations

import dataclasses

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure, ensure_signed, fail
from runtime.frame.pallet import CallWeight
from runtime.pallets import balances
from primitives.scale import U8, U16, U64, Vec
from primitives.types import AccountId

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.coinbase import run_coinbase, update_moving_prices
from runtime.pallets.subtensor.epoch import run_due_epochs
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.hyperparams import register_setters
from runtime.pallets.subtensor.networks import do_register_network, init_root_network, subnet_netuids
from runtime.pallets.subtensor.neurons import do_burned_register, update_registration_prices
from runtime.pallets.subtensor import commit_reveal, serving  # noqa: F401  (register their calls)
from runtime.pallets.subtensor import identity as _identity_calls  # noqa: F401  (set_identity, set_subnet_identity)
from runtime.pallets.subtensor.stake import calls as stake_calls  # noqa: F401  (registers the staking calls)
from runtime.pallets.subtensor.stake.core import sync_total_issuance
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import SubnetDefaults, SubnetIdentityV3
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


register_setters(pallet)


# --- hooks ----------------------------------------------------------------------------------------
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


# --- genesis --------------------------------------------------------------------------------------
GLOBAL_CONFIG = {
    "networkMinLockCost": S.NetworkMinLockCost,
    "networkLockReductionInterval": S.NetworkLockReductionInterval,
    "networkRateLimit": S.NetworkRateLimit,
    "subnetLimit": S.SubnetLimit,
    "stakeThreshold": S.StakeThreshold,
    "subnetOwnerCut": S.SubnetOwnerCut,
    "maxEpochsPerBlock": S.MaxEpochsPerBlock,
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


DEFAULTS_CONFIG = {_camel(f.name): f.name for f in dataclasses.fields(SubnetDefaults)}


@pallet.genesis_builder
def build_genesis(ctx: BlockContext, config: dict) -> None:
    """Chain-spec section `subtensorModule`: global items by camelCase name (`networkMinLockCost`,
    `networkRateLimit`, ...) and new-subnet defaults (`tempo`, `weightsSetRateLimit`, `immunityPeriod`,
    ...; see `types.SubnetDefaults`)."""
    state = ctx.state
    defaults = SubnetDefaults()
    for key, value in (config or {}).items():
        if key in GLOBAL_CONFIG:
            GLOBAL_CONFIG[key].put(state, value)
            if key == "networkMinLockCost":
                S.NetworkLastLockCost.put(state, value)
        elif key in DEFAULTS_CONFIG:
            setattr(defaults, DEFAULTS_CONFIG[key], value)
        else:
            raise ValueError(f"subtensorModule genesis: unknown key {key!r} "
                             f"(known: {sorted([*GLOBAL_CONFIG, *DEFAULTS_CONFIG])})")
    S.SubnetDefaultsItem.put(state, defaults)
    init_root_network(ctx)
    S.TotalIssuance.put(state, balances.TotalIssuance.get(state))

