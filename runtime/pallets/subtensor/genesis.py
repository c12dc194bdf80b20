"""The genesis builder (chain-spec section `subtensorModule`)."""
from __future__ import annotations

import dataclasses

from runtime.frame.context import BlockContext
from runtime.pallets import balances
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.networks import init_root_network
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import SubnetDefaults


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
