"""Every call in the metadata: composed by substrate-interface, signed, submitted to a real dev
node, and answered with a dispatch result or a proper error - never an internal error.

Arguments are generated from the metadata's own type registry (a valid encoding of each
type: zeros, empty sequences, the first enum variant, Bob's account for 32-byte ids), decoded
by substrate-interface into a call and composed again from the decoded values. Alice (the sudo
key) signs the Sudo calls, remove_key and set_key last; every other call gets its own funded key so a call
such as `transfer_all` cannot starve the rest. Only validity refusals a call is meant to get are
accepted (the mandatory inherent signed, weights from an unregistered key).
"""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration

BOB = bytes.fromhex("8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48")
# (pallet, call) -> the pool error it is expected to get with generated arguments
EXPECTED_REFUSALS = {
    ("Timestamp", "set"): "A call was labelled as mandatory, but resulted in an Error.",
    ("SubtensorModule", "set_weights"): "Custom error: 19",
    ("SubtensorModule", "set_mechanism_weights"): "Custom error: 19",
}
# DispatchError variants that are a proper answer (anything but `Other`: an internal error)
PROPER_ERRORS = {"Module", "BadOrigin", "CannotLookup", "Token", "Arithmetic", "ConsumerRemaining",
                 "NoProviders", "TooManyConsumers", "Transactional", "Exhausted", "Corruption", "Unavailable"}


class ExampleEncoder:
    """A valid SCALE encoding of any registry type (depth-limited for recursive types)."""

    def __init__(self, registry: dict):
        self.types = {entry["id"]: entry["type"] for entry in registry["types"]}

    def encode(self, type_id: int, depth: int = 0) -> bytes:
        ty = self.types[type_id]
        kind, body = next(iter(ty["def"].items()))
        if kind == "primitive":
            fixed = {"bool": b"\x00", "char": b"a\x00\x00\x00", "str": b"\x04a"}
            return fixed[body] if body in fixed else b"\x01" + bytes(int(body[1:]) // 8 - 1)
        if kind == "compact":
            return b"\x04"                                   # 1
        if kind == "sequence":
            return b"\x00"                                   # empty
        if kind == "array":
            if body["len"] == 32 and self._is_u8(body["type"]):
                return BOB
            return b"".join(self.encode(body["type"], depth + 1) for _ in range(body["len"]))
        if kind == "tuple":
            return b"".join(self.encode(t, depth + 1) for t in body)
        if kind == "composite":
            return b"".join(self.encode(f["type"], depth + 1) for f in body["fields"])
        if kind == "variant":
            variants = sorted(body["variants"], key=lambda v: v["index"])
            if ty["path"][-1:] == ["Option"]:
                return b"\x00"
            variant = variants[0]
            return bytes([variant["index"]]) + b"".join(self.encode(f["type"], depth + 1) for f in variant["fields"])
        if kind == "bitsequence":
            return b"\x00"
        raise AssertionError(f"unknown type kind {kind}")

    def _is_u8(self, type_id: int) -> bool:
        return self.types[type_id]["def"] == {"primitive": "u8"}


def _all_calls(metadata) -> list[tuple[str, str, int, int]]:
    """(pallet, call, pallet index, call index) for every call in the metadata."""
    out = []
    for pallet in metadata.pallets:
        if not pallet.calls:
            continue
        for call in pallet.calls:
            out.append((pallet.name, call.name, pallet["index"].value, call["index"].value))
    return out


def _call_args_bytes(encoder: ExampleEncoder, metadata, pallet_name: str, call_name: str) -> bytes:
    pallet = metadata.get_metadata_pallet(pallet_name)
    call = next(c for c in pallet.calls if c.name == call_name)
    return b"".join(encoder.encode(arg["type"]) for arg in call.value["fields"])


def test_every_call_dispatches_or_fails_properly(tmp_path):
    from scalecodec.base import ScaleBytes
    from substrateinterface import Keypair, SubstrateInterface
    from substrateinterface.exceptions import SubstrateRequestException
    from tests.integration.nodeproc import NodeProcess

    node = NodeProcess(tmp_path / "node").start()
    substrate = SubstrateInterface(url=node.url)
    try:
        substrate.init_runtime()
        metadata = substrate.metadata
        encoder = ExampleEncoder(metadata.portable_registry.value)
        calls = _all_calls(metadata)
        assert ("Market", "deregister_provider", 8, 2) in calls and ("Sudo", "remove_key", 12, 4) in calls
        alice = Keypair.create_from_uri("//Alice")

        def compose(pallet: str, name: str, pallet_index: int, call_index: int):
            raw = bytes([pallet_index, call_index]) + _call_args_bytes(encoder, metadata, pallet, name)
            decoded = substrate.create_scale_object("Call", data=ScaleBytes(raw))
            decoded.decode()
            call = substrate.compose_call(pallet, name, _as_params(decoded.value)["call_args"])
            assert bytes(call.data.data) == raw, f"{pallet}.{name} does not compose to what it decodes from"
            return call

        # one funded key per non-sudo call: all funding transfers go in with Alice's consecutive nonces
        signers = {}
        nonce = substrate.get_account_nonce(alice.ss58_address)
        funding = []
        for pallet, name, *_ in calls:
            if pallet != "Sudo":
                key = Keypair.create_from_uri(f"//EveryCall//{pallet}//{name}")
                signers[(pallet, name)] = key
                transfer = substrate.compose_call("Balances", "transfer_keep_alive",
                                                  {"dest": key.ss58_address, "value": 10**12})
                xt = substrate.create_signed_extrinsic(call=transfer, keypair=alice, nonce=nonce)
                funding.append(substrate.rpc_request("author_submitExtrinsic", [str(xt.data)])["result"])
                nonce += 1
        _wait_until(lambda: substrate.query("System", "Account", [key.ss58_address]).value["providers"] == 1)

        submitted = {}   # extrinsic hash -> (pallet, call)
        refusals = {}
        # the key stays Alice's until remove_key, which must succeed; set_key then gets RequireSudo
        last = {"remove_key": 1, "set_key": 2}
        sudo_calls = sorted((c for c in calls if c[0] == "Sudo"), key=lambda c: last.get(c[1], 0))
        for pallet, name, p_index, c_index in [c for c in calls if c[0] != "Sudo"] + sudo_calls:
            call = compose(pallet, name, p_index, c_index)
            signer = alice if pallet == "Sudo" else signers[(pallet, name)]
            # TransactionPaymentApi_query_info answers for every call (it crashed on calls without arguments)
            info = substrate.get_payment_info(call=call, keypair=signer)
            assert info["weight"]["ref_time"] > 0 and info["partialFee"] >= 0, (pallet, name, info)
            if pallet == "Sudo":
                xt = substrate.create_signed_extrinsic(call=call, keypair=alice, nonce=nonce)
            else:
                xt = substrate.create_signed_extrinsic(call=call, keypair=signers[(pallet, name)], nonce=0)
            try:
                tx_hash = substrate.rpc_request("author_submitExtrinsic", [str(xt.data)])["result"]
            except SubstrateRequestException as exc:
                error = exc.args[0]
                refusals[(pallet, name)] = error.get("data")
                assert error["code"] in (1010, 1011), f"{pallet}.{name}: {error}"
                continue
            if pallet == "Sudo":
                nonce += 1
            submitted[tx_hash] = (pallet, name)
        assert refusals == EXPECTED_REFUSALS

        results = _collect_results(substrate, set(submitted))
        assert set(results) == set(submitted), "some submitted calls never reached a block"
        answers = {submitted[h]: r for h, r in results.items()}
        internal = {call: r for call, r in answers.items() if r is not True and r not in PROPER_ERRORS}
        assert not internal, f"calls answered with an internal error: {internal}"
        assert answers[("Sudo", "remove_key")] is True        # the call without arguments works
        assert answers[("Market", "deregister_provider")] == "Module"   # not a provider: a module error
    finally:
        substrate.close()
        node.stop()


def _as_params(value):
    """A decoded value as compose_call takes it back (a decoded inner call as module/function/args)."""
    if isinstance(value, dict) and "call_index" in value:
        return {"call_module": value["call_module"], "call_function": value["call_function"],
                "call_args": {a["name"]: _as_params(a["value"]) for a in value["call_args"]}}
    if isinstance(value, dict):
        return {k: _as_params(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_as_params(v) for v in value)
    return value


def _wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def _collect_results(substrate, wanted: set[str], timeout: float = 90.0) -> dict[str, object]:
    """Follow new blocks until every wanted extrinsic is included: hash -> True or DispatchError kind."""
    from substrateinterface.utils.hasher import blake2_256

    found: dict[str, object] = {}
    seen_number = substrate.get_block_number(None) - 2
    deadline = time.monotonic() + timeout
    while len(found) < len(wanted) and time.monotonic() < deadline:
        head = substrate.get_block_number(None)
        for number in range(seen_number + 1, head + 1):
            block_hash = substrate.get_block_hash(number)
            block = substrate.get_block(block_hash)
            hashes = ["0x" + blake2_256(bytes(ext.data.data)).hex() for ext in block["extrinsics"]]
            for event in substrate.get_events(block_hash):
                if event.value["phase"] != "ApplyExtrinsic":
                    continue
                tx_hash = hashes[event.value["extrinsic_idx"]]
                if tx_hash not in wanted:
                    continue
                if event.value["event_id"] == "ExtrinsicSuccess":
                    found[tx_hash] = True
                elif event.value["event_id"] == "ExtrinsicFailed":
                    error = event.value["attributes"]["dispatch_error"]
                    found[tx_hash] = error if isinstance(error, str) else next(iter(error))
        seen_number = head
        time.sleep(0.5)
    return found
