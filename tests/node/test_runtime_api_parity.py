"""Runtime APIs and metadata that FRAME clients (Sidecar, polkadot.js) rely on, checked by decoding their bytes."""
from __future__ import annotations

import pytest

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from node.runtime_api import RuntimeApiError, call
from runtime.apis import ApplyExtrinsicResult, CheckInherentsResult, InherentData, OpaqueBlock
from runtime.construct import get_runtime
from runtime.extrinsic import decode_extrinsic, encode_signed, extra_bytes
from runtime.metadata import metadata_at
from primitives import crypto
from primitives.keys import Keypair
from primitives.scale import U64, Bytes, Vec
from primitives.types import Header
from runtime.version import VERSION
from storage.chain_store import ChainStore

ALICE, BOB = Keypair.from_uri("//Alice"), Keypair.from_uri("//Bob")
RT = get_runtime()


@pytest.fixture(scope="module")
def chain():
    return Chain(ChainStore(), genesis_storage(dev_spec(slot_ms=1500)))


def transfer(chain, signer, nonce, value):
    call_bytes = RT.call_enum.encode(("Balances", ("transfer_allow_death", {"dest": ("Id", BOB.public_key),
                                                                            "value": value})))
    g = chain.genesis_hash
    payload = (call_bytes + extra_bytes(None, nonce, 0) + VERSION.spec_version.to_bytes(4, "little")
               + VERSION.transaction_version.to_bytes(4, "little") + g + g + b"\x00")
    return encode_signed(call_bytes, signer.public_key, 1, signer.sign(crypto.signing_payload(payload)), None, nonce, 0)


def test_aura_api_reports_the_genesis_slot_and_authorities(chain):
    g = chain.genesis_hash
    assert U64.decode(call(chain, g, "AuraApi_slot_duration", b"")) == 1500
    raw = call(chain, g, "AuraApi_authorities", b"")
    assert raw == b"\x04" + ALICE.public_key


def test_metadata_constants_follow_the_chain(chain):
    from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
    from scalecodec.type_registry import load_type_registry_preset

    rc = RuntimeConfigurationObject()
    rc.update_type_registry(load_type_registry_preset("core"))
    md = rc.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata_at(chain.state_at(chain.genesis_hash), 14)))
    md.decode()
    rc.add_portable_registry(md)
    consts = {(p["name"], c["name"]): c for p in md.value[1]["V14"]["pallets"] for c in p["constants"]}

    def const(pallet, name):
        entry = consts[(pallet, name)]
        value = entry["value"]   # hex, or text where scalecodec took the bytes for UTF-8
        raw = bytes.fromhex(value[2:]) if value.startswith("0x") else value.encode()
        return rc.create_scale_object(f"scale_info::{entry['type']}", data=ScaleBytes(raw)).decode()

    assert const("Aura", "SlotDuration") == 1500
    weights = const("System", "BlockWeights")
    assert weights["max_block"]["ref_time"] == 2_000_000_000_000
    assert weights["per_class"]["normal"]["max_total"]["ref_time"] == 1_500_000_000_000
    assert const("System", "BlockLength")["max"]["normal"] == 5 * 1024 * 1024
    assert const("System", "DbWeight") == {"read": 25_000_000, "write": 100_000_000}
    assert const("System", "Version")["spec_version"] == VERSION.spec_version
    assert const("System", "SS58Prefix") == 42
    assert ("Balances", "MaxLocks") in consts
    (balances,) = [p for p in md.value[1]["V14"]["pallets"] if p["name"] == "Balances"]
    assert {"Locks", "Reserves", "Holds", "Freezes"} <= {e["name"] for e in balances["storage"]["entries"]}


def test_apply_extrinsic_dry_runs_without_changing_the_chain(chain):
    g = chain.genesis_hash
    ok = ApplyExtrinsicResult.decode(call(chain, g, "BlockBuilder_apply_extrinsic", transfer(chain, ALICE, 0, 10**9)))
    assert ok == ("Ok", ("Ok", ()))
    poor = ApplyExtrinsicResult.decode(call(chain, g, "BlockBuilder_apply_extrinsic",
                                            transfer(chain, ALICE, 0, 10**30)))
    assert poor == ("Ok", ("Err", ("Token", "FundsUnavailable")))
    stale = ApplyExtrinsicResult.decode(call(chain, g, "BlockBuilder_apply_extrinsic", transfer(chain, ALICE, 5, 1)))
    assert stale == ("Err", ("Invalid", "Future"))
    assert chain.best_hash == g
    with pytest.raises(RuntimeApiError):
        call(chain, g, "BlockBuilder_apply_extrinsic", b"\x10\x00")


def test_inherents_and_finalize_block(chain):
    g = chain.genesis_hash
    data = InherentData.encode({"data": [(b"timstap0", U64.encode(123_000))]})
    raw = call(chain, g, "BlockBuilder_inherent_extrinsics", data)
    (ext,) = Vec(Bytes).decode(raw)
    assert decode_extrinsic(raw[1:]).call == ("Timestamp", ("set", {"now": 123_000}))
    header = Header.decode(call(chain, g, "BlockBuilder_finalize_block", b""))
    assert header["parent_hash"] == g and header["number"] == 1
    block = OpaqueBlock.encode({"header": header, "extrinsics": [ext]})
    assert CheckInherentsResult.decode(call(chain, g, "BlockBuilder_check_inherents", block + data))["okay"]
    early = InherentData.encode({"data": [(b"timstap0", U64.encode(0))]})
    result = CheckInherentsResult.decode(call(chain, g, "BlockBuilder_check_inherents", block + early))
    assert not result["okay"] and result["fatal_error"]
