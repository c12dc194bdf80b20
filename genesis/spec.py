"""Chain specs, as Substrate's: a JSON document naming the chain and its genesis.

`dev` (one authority, Alice) and `local` (Alice and Bob) are built in; any other value
is a path to a JSON spec written by `agora build-spec`. A "raw" spec carries the genesis
storage itself (hex key -> hex value), so it does not depend on how this code builds it.
"""
from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

from runtime.construct import get_runtime
from runtime.executive import build_genesis_state
from runtime.pallets.aura import DEFAULT_SLOT_DURATION_MS, SLOT_DURATION_KEY
from primitives.keys import Keypair
from primitives.ss58 import parse_account, ss58_encode
from primitives.types import TAO

# 12 dev accounts x 100,000 TAO = 1.2M TAO: well under the first halving (10.5M), so blocks emit 1 TAO
DEV_ENDOWMENT = 100_000 * TAO
DEV_ACCOUNTS = ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")
PROPERTIES = {"ss58Format": 42, "tokenDecimals": 9, "tokenSymbol": "TAO"}


class ChainSpecError(ValueError):
    pass


def dev_account(name: str) -> str:
    return Keypair.from_uri(f"//{name}").ss58_address


def _spec(name: str, chain_id: str, chain_type: str, authorities: list[str], *, slot_ms: int) -> dict:
    endowed = [dev_account(n) for n in DEV_ACCOUNTS] + [dev_account(f"{n}//stash") for n in DEV_ACCOUNTS]
    return {
        "name": name,
        "id": chain_id,
        "chainType": chain_type,
        "bootNodes": [],
        "telemetryEndpoints": None,
        "protocolId": "agora",
        "properties": dict(PROPERTIES),
        "codeSubstitutes": {},
        "genesis": {"runtimeGenesis": {"config": {
            "balances": {"balances": [[who, DEV_ENDOWMENT] for who in endowed]},
            "sudo": {"key": dev_account("Alice")},
            # the slot is the runtime's (Aura.SlotDuration), so it lives in the genesis, not the spec's top level
            "aura": {"authorities": [dev_account(a) for a in authorities], "slotDurationMs": slot_ms},
            # SubtensorModule: devnet-short epochs and cheap subnets (keys: runtime/pallets/subtensor/genesis.py)
            "subtensorModule": {"tempo": 10, "weightsSetRateLimit": 0, "networkRateLimit": 0,
                                "networkMinLockCost": 100 * TAO},
        }}},
    }


# Market tunables for dev chains: short windows so an auction, a lease and its escrow running
# dry fit in a minute of 1 s blocks (the pallet's defaults are for production).
DEV_MARKET = {
    "minDeposit": TAO, "bidMinDeposit": TAO // 10, "providerDeposit": TAO, "maxBidsPerOrder": 20,
    "biddingWindow": 3, "orderTimeout": 30, "settlementPeriod": 5, "takeRateBps": 200, "maxTasksPerBlock": 1_000,
}


def dev_spec(slot_ms: int = 2_000) -> dict:
    spec = _spec("Agora Development", "agora_dev", "Development", ["Alice"], slot_ms=slot_ms)
    spec["genesis"]["runtimeGenesis"]["config"]["market"] = dict(DEV_MARKET)
    return spec


def local_spec(validators: int = 2, slot_ms: int = 2_000) -> dict:
    names = [*DEV_ACCOUNTS, *(f"Validator{i}" for i in range(6, 64))][:validators]
    return _spec("Agora Local Testnet", "agora_local", "Local", names, slot_ms=slot_ms)


def load_spec(chain: str) -> dict:
    if chain == "dev":
        return dev_spec()
    if chain in ("local", "local_testnet"):
        return local_spec()
    path = pathlib.Path(chain)
    if not path.is_file():
        raise ChainSpecError(f"chain spec '{chain}' is neither 'dev', 'local' nor a file")
    try:
        spec = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ChainSpecError(f"cannot read chain spec {path}: {exc}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("genesis"), dict) or "name" not in spec:
        raise ChainSpecError(f"{path}: not a chain spec (needs 'name' and 'genesis')")
    genesis = spec["genesis"]
    if "raw" not in genesis and not isinstance(genesis.get("runtimeGenesis"), dict):
        raise ChainSpecError(f"{path}: genesis needs 'raw' or 'runtimeGenesis' (with 'config' or 'patch')")
    if "slotDurationMs" in spec:  # written by older versions at the top level, where Substrate has no such field
        legacy = spec.pop("slotDurationMs")
        if "raw" in genesis:
            top = genesis["raw"].setdefault("top", {})
            top.setdefault("0x" + SLOT_DURATION_KEY.hex(), "0x" + int(legacy).to_bytes(8, "little").hex())
        else:
            _genesis_json(spec).setdefault("aura", {}).setdefault("slotDurationMs", legacy)
    return spec


# The fields of Substrate's chain spec (sc-chain-spec `ClientSpec`): nothing else belongs at the top level.
SUBSTRATE_SPEC_FIELDS = frozenset({
    "name", "id", "chainType", "bootNodes", "telemetryEndpoints", "protocolId", "forkId", "properties",
    "codeSubstitutes", "genesis", "lightSyncState", "badBlocks", "consensusEngine"})


def _genesis_json(spec: dict) -> dict:
    """The runtime's JSON genesis: `runtimeGenesis.config` (full) or `runtimeGenesis.patch` (over the defaults,
    which here are all empty, so a patch is the config)."""
    runtime_genesis = spec["genesis"]["runtimeGenesis"]
    if "config" in runtime_genesis:
        return runtime_genesis["config"]
    return runtime_genesis.setdefault("patch", {})


def slot_duration_ms(spec: dict) -> int:
    """The chain's slot duration, as its genesis sets it (Aura.SlotDuration)."""
    genesis = spec["genesis"]
    if "raw" in genesis:
        raw = genesis["raw"].get("top", {}).get("0x" + SLOT_DURATION_KEY.hex())
        return DEFAULT_SLOT_DURATION_MS if raw is None else int.from_bytes(bytes.fromhex(raw.removeprefix("0x")), "little")
    return int(_genesis_json(spec).get("aura", {}).get("slotDurationMs", DEFAULT_SLOT_DURATION_MS))


def set_slot_duration(spec: dict, slot_ms: int) -> None:
    """Give a chain built from its JSON genesis another slot (a new genesis); a raw spec's is fixed."""
    if slot_ms == slot_duration_ms(spec):
        return
    if "raw" in spec["genesis"]:
        raise ChainSpecError(f"this raw chain spec's genesis fixes the slot at {slot_duration_ms(spec)} ms")
    _genesis_json(spec).setdefault("aura", {})["slotDurationMs"] = slot_ms


def _account(value: str) -> bytes:
    try:
        return parse_account(value)
    except ValueError as exc:
        raise ChainSpecError(f"bad account '{value}': {exc}") from exc


def runtime_genesis_config(spec: dict) -> dict[str, Any]:
    """The JSON genesis config -> per-pallet genesis config with decoded account ids."""
    config = copy.deepcopy(_genesis_json(spec))
    out: dict[str, Any] = {}
    balances = config.get("balances", {}).get("balances", [])
    out["Balances"] = {"balances": [(_account(who), int(amount)) for who, amount in balances]}
    key = config.get("sudo", {}).get("key")
    out["Sudo"] = {"key": _account(key) if key else None}
    aura = config.get("aura", {})
    out["Aura"] = {"authorities": [_account(a) for a in aura.get("authorities", [])],
                   "slotDurationMs": aura.get("slotDurationMs", DEFAULT_SLOT_DURATION_MS)}
    for pallet_name, pallet_config in config.items():
        if pallet_name not in ("balances", "sudo", "aura"):
            # JSON keys are lowerCamelCase pallet names ("market"); builders are looked up by pallet name ("Market")
            out[pallet_name[:1].upper() + pallet_name[1:]] = pallet_config
    return out


def genesis_storage(spec: dict) -> dict[bytes, bytes]:
    genesis = spec["genesis"]
    if "raw" in genesis:
        try:
            return {bytes.fromhex(k.removeprefix("0x")): bytes.fromhex(v.removeprefix("0x"))
                    for k, v in genesis["raw"]["top"].items()}
        except (ValueError, KeyError, AttributeError) as exc:
            raise ChainSpecError(f"bad raw genesis: {exc}") from exc
    try:
        return build_genesis_state(get_runtime(), runtime_genesis_config(spec))
    except (ValueError, TypeError, KeyError) as exc:
        raise ChainSpecError(f"bad genesis config: {exc}") from None


def to_raw(spec: dict) -> dict:
    raw = dict(spec)
    storage = genesis_storage(spec)
    raw["genesis"] = {"raw": {"top": {"0x" + k.hex(): "0x" + v.hex() for k, v in sorted(storage.items())},
                              "childrenDefault": {}}}
    return raw


def authorities_of(spec: dict) -> list[str]:
    if "runtimeGenesis" not in spec["genesis"]:
        return []
    return list(_genesis_json(spec).get("aura", {}).get("authorities", []))


__all__ = ["dev_spec", "local_spec", "load_spec", "genesis_storage", "to_raw", "ChainSpecError", "ss58_encode",
           "slot_duration_ms", "set_slot_duration", "SUBSTRATE_SPEC_FIELDS"]
