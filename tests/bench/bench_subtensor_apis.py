"""Subtensor runtime APIs over RPC (state_call on one WebSocket) against a real node process whose
genesis holds 64 subnets, the first with 256 UIDs: get_neurons_lite and get_metagraph of the
256-UID subnet, get_all_dynamic_info over 64 subnets. Baseline in the same run and connection:
`state_call Core_version` (the smallest runtime call) and `state_getStorage` of one key.

The subnets are written straight into a raw genesis (a bench fixture, not a registration path):
tempo 0, so no epoch runs while the calls are timed.
"""
from __future__ import annotations

import json
import pathlib
import tempfile

from genesis.spec import dev_spec, genesis_storage, set_slot_duration, to_raw
from runtime.frame.state import DictState, Overlay
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.types import symbol_for
from tests.bench.bench_rpc_transport import _sequential
from tests.integration.nodeproc import NodeProcess

SUBNETS = 64
UIDS = 256
CALLS = 60
BLOCK_TIME_MS = 2000
ACCOUNT_KEY = ("0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
               "de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
TARGET_MS = 50


def _account(*parts: int) -> bytes:
    return bytes(parts) + bytes(32 - len(parts))


def _populate(state: Overlay) -> None:
    for netuid in range(1, SUBNETS + 1):
        n = UIDS if netuid == 1 else 4
        owner = _account(0xC0, netuid)
        S.NetworksAdded.insert(state, netuid, True)
        S.Tempo.insert(state, netuid, 0)
        S.SubnetworkN.insert(state, netuid, n)
        S.SubnetOwner.insert(state, netuid, owner)
        S.SubnetOwnerHotkey.insert(state, netuid, _account(0xD0, netuid, 0, 0))
        S.TokenSymbol.insert(state, netuid, symbol_for(netuid))
        S.NetworkRegisteredAt.insert(state, netuid, 1)
        S.SubnetTAO.insert(state, netuid, 1000 * 10**9)
        S.MechanismCountCurrent.insert(state, netuid, 1)
        for uid in range(n):
            hotkey = _account(0xD0, netuid, uid & 0xFF, uid >> 8)
            S.Keys.insert(state, netuid, uid, hotkey)
            S.Uids.insert(state, netuid, hotkey, uid)
            S.Owner.insert(state, hotkey, _account(0xE0, uid & 0xFF, uid >> 8))
            S.BlockAtRegistration.insert(state, netuid, uid, 1)
            S.TotalHotkeyAlpha.insert(state, hotkey, netuid, (uid + 1) * 10**9)
        for item, value in ((S.Active, True), (S.ValidatorPermit, True)):
            item.insert(state, netuid, [value] * n)
        for item in (S.Incentive, S.Consensus, S.Dividends, S.ValidatorTrust):
            item.insert(state, netuid, [(uid * 251) % 65536 for uid in range(n)])
        S.Emission.insert(state, netuid, [uid * 1000 for uid in range(n)])
        S.LastUpdate.insert(state, netuid, [1] * n)
    S.TotalNetworks.put(state, SUBNETS)


def _spec_path(directory: pathlib.Path) -> pathlib.Path:
    spec = dev_spec()
    set_slot_duration(spec, BLOCK_TIME_MS)
    spec["id"] = spec.get("id", "dev") + "_subtensor_bench"
    state = Overlay(DictState(genesis_storage(spec)))
    _populate(state)
    raw = to_raw(spec)
    top = raw["genesis"]["raw"]["top"]
    for key, value in state.changes.items():
        if value is not None:
            top["0x" + key.hex()] = "0x" + value.hex()
    path = directory / "subtensor-bench-spec.json"
    path.write_text(json.dumps(raw))
    return path


def _check_populated(port: int) -> None:
    """The timed calls must answer about the fixture, not an empty chain."""
    from runtime.pallets.subtensor.rpc_info.types import DynamicInfo, NeuronInfoLite
    from primitives.scale import Option, Vec
    from tests.integration.nodeproc import rpc

    lite = rpc(port, "state_call", ["NeuronInfoRuntimeApi_get_neurons_lite", "0x0100"])["result"]
    dynamic = rpc(port, "state_call", ["SubnetInfoRuntimeApi_get_all_dynamic_info", "0x"])["result"]
    assert len(Vec(NeuronInfoLite).decode(bytes.fromhex(lite[2:]))) == UIDS
    assert len(Vec(Option(DynamicInfo)).decode(bytes.fromhex(dynamic[2:]))) >= SUBNETS   # plus root


def _p50_ms(port: int, method: str, params: list) -> float:
    _rate, p50_us, _p99 = _sequential(port, method, params, CALLS)
    return p50_us / 1000


def bench() -> list[dict]:
    netuid = "0100"
    with tempfile.TemporaryDirectory() as base:
        spec = _spec_path(pathlib.Path(base))
        node = NodeProcess(pathlib.Path(base) / "db", "--chain", str(spec), "--no-prometheus",
                           block_time_ms=BLOCK_TIME_MS).start()
        try:
            _check_populated(node.rpc_port)
            core = _p50_ms(node.rpc_port, "state_call", ["Core_version", "0x"])
            storage = _p50_ms(node.rpc_port, "state_getStorage", [ACCOUNT_KEY])
            lite = _p50_ms(node.rpc_port, "state_call", ["NeuronInfoRuntimeApi_get_neurons_lite", netuid])
            metagraph = _p50_ms(node.rpc_port, "state_call", ["SubnetInfoRuntimeApi_get_metagraph", netuid])
            dynamic = _p50_ms(node.rpc_port, "state_call", ["SubnetInfoRuntimeApi_get_all_dynamic_info", "0x"])
        finally:
            node.stop()
    note = f"p50 of {CALLS} over one WebSocket; target < {TARGET_MS} ms; state_getStorage p50 {storage:.2f} ms"
    return [
        {"benchmark": f"get_neurons_lite, {UIDS}-UID subnet (state_call)", "value": lite, "unit": "ms",
         "baseline": core, "baseline_name": "Core_version", "note": note},
        {"benchmark": f"get_metagraph, {UIDS}-UID subnet (state_call)", "value": metagraph, "unit": "ms",
         "baseline": core, "baseline_name": "Core_version", "note": note},
        {"benchmark": f"get_all_dynamic_info, {SUBNETS} subnets (state_call)", "value": dynamic, "unit": "ms",
         "baseline": core, "baseline_name": "Core_version", "note": note},
    ]


if __name__ == "__main__":
    for row in bench():
        print(row)
