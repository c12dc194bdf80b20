"""Subtensor's runtime APIs: SCALE layouts checked against subtensor's struct definitions with an
independent decoder, values against storage, None/empty for missing subnets and UIDs, and one
clear error for malformed input."""
from __future__ import annotations

import pytest

from node.runtime_api import RuntimeApiError, call as runtime_call
from runtime.apis import API_HANDLERS, RUNTIME_APIS
from runtime.metadata import metadata_bytes
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.stake import pool
from runtime.pallets.subtensor.rpc_info.types import SELECTIVE_NAMES
from primitives.scale import ScaleError
from runtime.version import API_VERSIONS, SPEC_VERSION
from tests.runtime.helpers import ALICE, BOB
from tests.runtime.subtensor_setup import hot, subnet_with_validators

# --- an independent decoder for subtensor's layouts (rpc_info/*.rs), not the runtime's codecs -------
ACC, C, BOOL = "acc", "compact", "bool"


def _compact(data: bytes, pos: int) -> tuple[int, int]:
    mode = data[pos] & 3
    if mode == 0:
        return data[pos] >> 2, pos + 1
    if mode == 1:
        return int.from_bytes(data[pos:pos + 2], "little") >> 2, pos + 2
    if mode == 2:
        return int.from_bytes(data[pos:pos + 4], "little") >> 2, pos + 4
    n = (data[pos] >> 2) + 4
    return int.from_bytes(data[pos + 1:pos + 1 + n], "little"), pos + 1 + n


def decode(kind, data: bytes, pos: int = 0):
    if kind == ACC:
        return data[pos:pos + 32], pos + 32
    if kind == C:
        return _compact(data, pos)
    if kind == BOOL:
        assert data[pos] in (0, 1)
        return data[pos] == 1, pos + 1
    if isinstance(kind, int):                      # fixed-width unsigned (bytes)
        return int.from_bytes(data[pos:pos + kind], "little", signed=False), pos + kind
    tag, inner = kind
    if tag == "vec":
        n, pos = _compact(data, pos)
        out = []
        for _ in range(n):
            item, pos = decode(inner, data, pos)
            out.append(item)
        return out, pos
    if tag == "opt":
        if data[pos] == 0:
            return None, pos + 1
        assert data[pos] == 1
        return decode(inner, data, pos + 1)
    if tag == "tuple":
        out = []
        for part in inner:
            item, pos = decode(part, data, pos)
            out.append(item)
        return tuple(out), pos
    if tag == "struct":
        out = {}
        for name, part in inner:
            out[name], pos = decode(part, data, pos)
        return out, pos
    raise AssertionError(kind)


def vec(k):
    return ("vec", k)


def opt(k):
    return ("opt", k)


def struct(*fields):
    return ("struct", fields)


AXON = struct(("block", 8), ("version", 4), ("ip", 16), ("port", 2), ("ip_type", 1), ("protocol", 1),
              ("placeholder1", 1), ("placeholder2", 1))
PROMETHEUS = struct(("block", 8), ("version", 4), ("ip", 16), ("port", 2), ("ip_type", 1))
IDENTITY_V3 = struct(*[(n, vec(1)) for n in ("subnet_name", "github_repo", "subnet_contact", "subnet_url",
                                             "discord", "description", "logo_url", "additional")])
NEURON_HEAD = [("hotkey", ACC), ("coldkey", ACC), ("uid", C), ("netuid", C), ("active", BOOL), ("axon_info", AXON),
               ("prometheus_info", PROMETHEUS), ("stake", vec(("tuple", (ACC, C)))), ("rank", C), ("emission", C),
               ("incentive", C), ("consensus", C), ("trust", C), ("validator_trust", C), ("dividends", C),
               ("last_update", C), ("validator_permit", BOOL)]
NEURON_LITE = struct(*NEURON_HEAD, ("pruning_score", C))
NEURON = struct(*NEURON_HEAD, ("weights", vec(("tuple", (C, C)))), ("bonds", vec(("tuple", (C, C)))),
                ("pruning_score", C))
DYNAMIC_INFO = struct(("netuid", C), ("owner_hotkey", ACC), ("owner_coldkey", ACC), ("subnet_name", vec(C)),
                      ("token_symbol", vec(C)), ("tempo", C), ("last_step", C), ("blocks_since_last_step", C),
                      ("emission", C), ("alpha_in", C), ("alpha_out", C), ("tao_in", C), ("alpha_out_emission", C),
                      ("alpha_in_emission", C), ("tao_in_emission", C), ("pending_alpha_emission", C),
                      ("pending_root_emission", C), ("subnet_volume", C), ("network_registered_at", C),
                      ("subnet_identity", opt(IDENTITY_V3)), ("moving_price", 16))
STAKE_INFO = struct(("hotkey", ACC), ("coldkey", ACC), ("netuid", C), ("stake", C), ("locked", C), ("emission", C),
                    ("tao_emission", C), ("drain", C), ("is_registered", BOOL))
SUBNET_STATE = struct(("netuid", C), ("hotkeys", vec(ACC)), ("coldkeys", vec(ACC)), ("active", vec(BOOL)),
                      ("validator_permit", vec(BOOL)), *[(n, vec(C)) for n in (
                          "pruning_score", "last_update", "emission", "dividends", "incentives", "consensus",
                          "trust", "rank", "block_at_registration", "alpha_stake", "tao_stake", "total_stake")],
                      ("emission_history", vec(vec(C))))
SIM_SWAP = struct(*[(n, 8) for n in ("tao_amount", "alpha_amount", "tao_fee", "alpha_fee", "tao_slippage",
                                     "alpha_slippage")])


def full(kind, data: bytes):
    value, pos = decode(kind, data)
    assert pos == len(data), f"{len(data) - pos} bytes not covered by the layout"
    return value


def u16(v: int) -> bytes:
    return v.to_bytes(2, "little")


@pytest.fixture(scope="module")
def subnet():
    return subnet_with_validators()


def api(ext, name: str, data: bytes = b"") -> bytes:
    return API_HANDLERS[name](ext.state, data)


def test_neurons_lite_layout_and_values(subnet):
    ext, netuid = subnet
    neurons = full(vec(NEURON_LITE), api(ext, "NeuronInfoRuntimeApi_get_neurons_lite", u16(netuid)))
    n = S.SubnetworkN.get(ext.state, netuid)
    assert [x["uid"] for x in neurons] == list(range(n))
    incentive, dividends = S.Incentive.get(ext.state, netuid), S.Dividends.get(ext.state, netuid)
    for x in neurons:
        uid = x["uid"]
        assert x["hotkey"] == S.Keys.get(ext.state, netuid, uid)
        assert x["coldkey"] == S.Owner.get(ext.state, x["hotkey"])
        assert x["stake"] == [(x["coldkey"], S.TotalHotkeyAlpha.get(ext.state, x["hotkey"], netuid))]
        assert (x["incentive"], x["dividends"]) == (incentive[uid], dividends[uid])
        assert x["validator_permit"] == S.ValidatorPermit.get(ext.state, netuid)[uid]
        assert x["pruning_score"] == 0xFFFF and x["netuid"] == netuid
    bob = next(x for x in neurons if x["hotkey"] == hot("Bob"))
    assert bob["stake"][0][1] == S.TotalHotkeyAlpha.get(ext.state, hot("Bob"), netuid) > 0 and bob["coldkey"] == BOB


def test_full_neuron_carries_nonzero_weights_and_bonds(subnet):
    ext, netuid = subnet
    uid = S.Uids.get(ext.state, netuid, hot("Bob"))
    S.Weights.insert(ext.state, netuid, uid, [(3, 65535), (2, 0)])
    neuron = full(opt(NEURON), api(ext, "NeuronInfoRuntimeApi_get_neuron", u16(netuid) + u16(uid)))
    assert neuron["weights"] == [(3, 65535)] and neuron["uid"] == uid
    lite = full(opt(NEURON_LITE), api(ext, "NeuronInfoRuntimeApi_get_neuron_lite", u16(netuid) + u16(uid)))
    assert {k: v for k, v in neuron.items() if k not in ("weights", "bonds")} == lite


def test_dynamic_info_layout_and_values(subnet):
    ext, netuid = subnet
    info = full(opt(DYNAMIC_INFO), api(ext, "SubnetInfoRuntimeApi_get_dynamic_info", u16(netuid)))
    assert info["netuid"] == netuid and info["owner_coldkey"] == ALICE
    assert info["owner_hotkey"] == S.SubnetOwnerHotkey.get(ext.state, netuid)
    assert bytes(info["token_symbol"]) == S.TokenSymbol.get(ext.state, netuid)
    assert info["tempo"] == S.Tempo.get(ext.state, netuid) and info["tao_in"] == S.SubnetTAO.get(ext.state, netuid)
    assert (info["alpha_in"], info["alpha_out"]) == (S.SubnetAlphaIn.get(ext.state, netuid),
                                                     S.SubnetAlphaOut.get(ext.state, netuid))
    assert info["alpha_in"] > 0 and info["moving_price"] == S.SubnetMovingPrice.get(ext.state, netuid)["bits"]
    every = full(vec(opt(DYNAMIC_INFO)), api(ext, "SubnetInfoRuntimeApi_get_all_dynamic_info"))
    assert info in every


def test_stake_info_and_subnet_state(subnet):
    ext, netuid = subnet
    stakes = full(vec(STAKE_INFO), api(ext, "StakeInfoRuntimeApi_get_stake_info_for_coldkey", BOB))
    assert [(s["hotkey"], s["netuid"], s["stake"], s["is_registered"]) for s in stakes] == [
        (hot("Bob"), netuid, pool.alpha_of(ext.state, hot("Bob"), BOB, netuid), True)]
    one = full(opt(STAKE_INFO), api(ext, "StakeInfoRuntimeApi_get_stake_info_for_hotkey_coldkey_netuid",
                                    hot("Bob") + BOB + u16(netuid)))
    assert one == stakes[0]
    state = full(opt(SUBNET_STATE), api(ext, "SubnetInfoRuntimeApi_get_subnet_state", u16(netuid)))
    assert state["hotkeys"] == [S.Keys.get(ext.state, netuid, uid) for uid in range(len(state["hotkeys"]))]
    assert state["alpha_stake"] == [S.TotalHotkeyAlpha.get(ext.state, hk, netuid) for hk in state["hotkeys"]]


def test_selective_mechagraph_fills_exactly_the_requested_fields(subnet):
    ext, netuid = subnet
    wanted = [SELECTIVE_NAMES.index(n) for n in ("tempo", "hotkeys", "incentives", "validators")]
    data = u16(netuid) + b"\x00" + bytes([(len(wanted) + 1) << 2]) + b"".join(u16(i) for i in wanted + [999])
    raw = api(ext, "SubnetInfoRuntimeApi_get_selective_mechagraph", data)
    from runtime.pallets.subtensor.rpc_info.types import SelectiveMetagraph
    from primitives.scale import Option
    value = Option(SelectiveMetagraph).decode(raw)
    present = {k for k, v in value.items() if v is not None and k != "netuid"}
    assert present == {"tempo", "hotkeys", "incentives", "validators"}
    assert value["netuid"] == netuid and value["tempo"] == S.Tempo.get(ext.state, netuid)
    assert value["incentives"] == S.Incentive.get(ext.state, netuid)
    permits = S.ValidatorPermit.get(ext.state, netuid)
    assert set(value["validators"]) <= {uid for uid, p in enumerate(permits) if p}


def test_swap_answers_decode(subnet):
    ext, netuid = subnet
    sim = full(SIM_SWAP, api(ext, "SwapRuntimeApi_sim_swap_tao_for_alpha", u16(netuid) + (10**9).to_bytes(8, "little")))
    assert sim["tao_amount"] + sim["tao_fee"] <= 10**9 and sim["alpha_amount"] > 0
    prices = full(vec(struct(("netuid", 2), ("price", 8))), api(ext, "SwapRuntimeApi_current_alpha_price_all"))
    tao, alpha = S.SubnetTAO.get(ext.state, netuid), S.SubnetAlphaIn.get(ext.state, netuid)
    price = next(p["price"] for p in prices if p["netuid"] == netuid)
    assert abs(price - tao * 10**9 // alpha) <= 1              # constant product: TAO per alpha, in rao
    assert [p["netuid"] for p in prices] == sorted(k[0] for k, v in S.NetworksAdded.iter(ext.state) if v)


@pytest.mark.parametrize("name,data,answer", [
    ("NeuronInfoRuntimeApi_get_neurons_lite", u16(77), b"\x00"),
    ("NeuronInfoRuntimeApi_get_neurons", u16(77), b"\x00"),
    ("NeuronInfoRuntimeApi_get_neuron", u16(77) + u16(0), b"\x00"),
    ("NeuronInfoRuntimeApi_get_neuron_lite", u16(1) + u16(999), b"\x00"),
    ("SubnetInfoRuntimeApi_get_dynamic_info", u16(77), b"\x00"),
    ("SubnetInfoRuntimeApi_get_subnet_info_v2", u16(77), b"\x00"),
    ("SubnetInfoRuntimeApi_get_subnet_hyperparams_v2", u16(77), b"\x00"),
    ("SubnetInfoRuntimeApi_get_subnet_hyperparams_v3", u16(77), b"\x00"),
    ("SubnetInfoRuntimeApi_get_subnet_state", u16(77), b"\x00"),
    ("SubnetInfoRuntimeApi_get_metagraph", u16(77), b"\x00"),
    ("SubnetInfoRuntimeApi_get_mechagraph", u16(1) + b"\x05", b"\x00"),
    ("SubnetInfoRuntimeApi_get_selective_metagraph", u16(77) + b"\x04" + u16(0), b"\x00"),
    ("SubnetInfoRuntimeApi_get_selective_mechagraph", u16(77) + b"\x00\x04" + u16(0), b"\x00"),
    ("DelegateInfoRuntimeApi_get_delegate", b"\x09" * 32, b"\x00"),
    ("StakeInfoRuntimeApi_get_stake_info_for_coldkey", b"\x09" * 32, b"\x00"),
    ("StakeInfoRuntimeApi_get_coldkey_lock", ALICE + u16(1), b"\x00"),
])
def test_missing_subnet_or_uid_answers_none_or_empty(subnet, name, data, answer):
    ext, _ = subnet
    assert api(ext, name, data) == answer


def test_next_epoch_start_block(subnet):
    ext, netuid = subnet
    raw = api(ext, "SubnetInfoRuntimeApi_get_next_epoch_start_block", u16(netuid))
    expected = S.LastEpochBlock.get(ext.state, netuid) + S.Tempo.get(ext.state, netuid)
    assert raw == b"\x01" + expected.to_bytes(8, "little")
    S.Tempo.insert(ext.state, netuid, 0)
    try:
        assert api(ext, "SubnetInfoRuntimeApi_get_next_epoch_start_block", u16(netuid)) == b"\x00"
    finally:
        S.Tempo.insert(ext.state, netuid, 10)


class _Chain:
    def __init__(self, state):
        self._state = state

    def state_at(self, _hash):
        return self._state


@pytest.mark.parametrize("name,data,reason", [
    ("NeuronInfoRuntimeApi_get_neuron", b"\x01\x00\x02", "argument `uid`"),
    ("SubnetInfoRuntimeApi_get_dynamic_info", b"\x01\x00\xff", "1 bytes left"),
    ("StakeInfoRuntimeApi_get_stake_info_for_coldkeys", b"\xff\xff\xff\xff", "argument `coldkey_accounts`"),
])
def test_malformed_input_is_one_clear_error(subnet, name, data, reason):
    ext, _ = subnet
    with pytest.raises(ScaleError):
        API_HANDLERS[name](ext.state, data)
    with pytest.raises(RuntimeApiError) as err:
        runtime_call(_Chain(ext.state), b"\0" * 32, name, data)
    assert "Could not decode input of " + name in str(err.value) and reason in str(err.value)


def test_every_api_is_versioned_and_in_metadata():
    blob = metadata_bytes(15)
    for runtime_api in RUNTIME_APIS:
        assert runtime_api.name in API_VERSIONS
        assert runtime_api.name.encode() in blob
        for method in runtime_api.methods:
            assert method.name.encode() in blob
    assert SPEC_VERSION > 100
    for path in (b"NeuronInfoLite", b"DynamicInfo", b"SelectiveMetagraph", b"FixedI128", b"AccountId32"):
        assert path in blob
