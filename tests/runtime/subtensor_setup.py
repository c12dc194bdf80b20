"""Shared setup for the SubtensorModule tests: a dev chain with a tunable `subtensorModule` section."""
from __future__ import annotations

import copy

from genesis.spec import dev_spec
from runtime.pallets import balances, system
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.stake import pool
from primitives.keys import Keypair
from tests.runtime.helpers import ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE, TestExternalities

TAO = 10**9
PALLET = "SubtensorModule"
COLDKEYS = {"Alice": ALICE, "Bob": BOB, "Charlie": CHARLIE, "Dave": DAVE, "Eve": EVE, "Ferdie": FERDIE}


def hot(name: str) -> bytes:
    """A hotkey account id derived from a dev name (`//Name//hot`), unfunded."""
    return Keypair.from_uri(f"//{name}//hot").public_key


def spec_with(balances_override: list | None = None, **subtensor) -> dict:
    spec = copy.deepcopy(dev_spec())
    config = spec["genesis"]["runtimeGenesis"]["config"]
    config["subtensorModule"] = {"tempo": 10, "weightsSetRateLimit": 0, "networkRateLimit": 0,
                                 "networkMinLockCost": 100 * TAO, **subtensor}
    if balances_override is not None:
        config["balances"]["balances"] = balances_override
    return spec


def ext_with(**subtensor) -> TestExternalities:
    return TestExternalities.dev(spec_with(**subtensor))


def call(ext: TestExternalities, who, name: str, **args):
    """A SubtensorModule call, or an AdminUtils one for the hyperparameter setters (`sudo_set_*`)."""
    return ext.call(who, "AdminUtils" if name.startswith("sudo_") else PALLET, name, **args)


def register_subnet(ext: TestExternalities, owner=ALICE, owner_hot: bytes | None = None) -> int:
    call(ext, owner, "register_network", hotkey=owner_hot or hot("Alice"))
    return max(key[0] for key, added in S.NetworksAdded.iter(ext.state) if added)


def register(ext: TestExternalities, netuid: int, names, coldkey=None) -> list[int]:
    uids = []
    for name in names:
        call(ext, coldkey or COLDKEYS.get(name, ALICE), "burned_register", netuid=netuid, hotkey=hot(name))
        uids.append(S.Uids.get(ext.state, netuid, hot(name)))
    return uids


def stake(ext: TestExternalities, name: str, netuid: int, amount: int, coldkey=None) -> None:
    call(ext, coldkey or COLDKEYS[name], "add_stake", hotkey=hot(name), netuid=netuid, amount_staked=amount)


def subnet_with_validators(validators=("Bob", "Charlie"), miners=("Dave", "Eve"), stakes=(1000, 500), **cfg):
    """A subnet (netuid 1, owner Alice) whose validators hold permits after one epoch."""
    ext = ext_with(**cfg)
    netuid = register_subnet(ext)
    register(ext, netuid, [*validators, *miners])
    for name, amount in zip(validators, stakes):
        stake(ext, name, netuid, amount * TAO)
    run_to_next_epoch(ext, netuid)
    return ext, netuid


def run_to_next_epoch(ext: TestExternalities, netuid: int) -> None:
    """Advance blocks until an epoch of `netuid` has run in the current block's initialization."""
    start = S.SubnetEpochIndex.get(ext.state, netuid)
    for _ in range(10 * max(S.Tempo.get(ext.state, netuid), 1) + 10):
        ext.next_block()
        if S.SubnetEpochIndex.get(ext.state, netuid) > start:
            return
    raise AssertionError("no epoch ran")


def balances_total(ext: TestExternalities) -> int:
    return sum(info.data.free + info.data.reserved for _, info in system.Account.iter(ext.state))


def alpha_holdings(state, netuid: int) -> int:
    """Alpha outside subnet `netuid`'s pool that someone holds: stake, pending emission, protocol alpha."""
    staked = sum(v for (_hk, net), v in S.TotalHotkeyAlpha.iter(state) if net == netuid)
    pending = sum(item.get(state, netuid) for item in (
        S.PendingServerEmission, S.PendingValidatorEmission, S.PendingRootAlphaDivs, S.PendingOwnerCut))
    return staked + pending + S.SubnetProtocolAlpha.get(state, netuid)


def assert_issuance_conserved(ext: TestExternalities, *, synced: bool = True) -> None:
    """TAO: Balances.TotalIssuance == sum of accounts; SubtensorModule.TotalIssuance == balances +
    TotalStake; TotalStake == sum of SubnetTAO (every pool, root included).
    Alpha, per subnet: SubnetAlphaOut == what is held (hotkey pools + pending + protocol alpha); each
    share pool's shares add up to its total and its coldkeys' values to at most its value; on root
    alpha is TAO (SubnetAlphaOut == SubnetTAO).

    SubtensorModule.TotalIssuance re-syncs after this pallet's calls and at block boundaries; right
    after another pallet burned dust or fees mid-block pass `synced=False`."""
    state = ext.state
    accounts = balances_total(ext)
    assert balances.TotalIssuance.get(state) == accounts
    if synced:
        assert S.TotalIssuance.get(state) == accounts + S.TotalStake.get(state)
    pools = {net: tao for (net,), tao in S.SubnetTAO.iter(state)}
    assert S.TotalStake.get(state) == sum(pools.values())
    for (netuid,), added in S.NetworksAdded.iter(state):
        if added:
            assert S.SubnetAlphaOut.get(state, netuid) == alpha_holdings(state, netuid), f"alpha of subnet {netuid}"
    assert S.SubnetAlphaOut.get(state, 0) == S.SubnetTAO.get(state, 0)
    shares: dict = {}
    values: dict = {}
    for (hk, ck, net), share in S.Alpha.iter(state):
        shares[(hk, net)] = shares.get((hk, net), 0) + share["bits"]
        values[(hk, net)] = values.get((hk, net), 0) + pool.alpha_of(state, hk, ck, net)
    assert {k: v["bits"] for k, v in S.TotalHotkeyShares.iter(state)} == shares
    for key, value in values.items():
        assert value <= S.TotalHotkeyAlpha.get(state, *key)
