"""The runtime's API table and `execute_block`: the runtime alone decides validity.

Every method `runtime/apis.py` declares has an implementation in `runtime/api_table.py` and the
table serves nothing undeclared; `execute_block` rejects a block with a bad signature, a wrong
state root, or no Timestamp inherent, and accepts the block its author built."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from runtime import api_table
from runtime.apis import (
    RUNTIME_APIS, TransactionSource, TransactionValidity, TransactionValidityErrorType, ValidTransaction,
    ValidTransactionType,
)
from runtime.block_execution import InvalidBlock, execute_block, inherent_extrinsics
from runtime.extrinsic import TransactionValidityError, decode_extrinsic
from node.runtime_api import call as runtime_call
from primitives.scale import ScaleError, Struct
from storage.chain_store import ChainStore
from storage.trie import ordered_trie_root
from tests.node.test_txpool import ALICE, BOB, transfer


def test_every_declared_api_is_implemented_and_nothing_else():
    declared = {f"{api.name}_{m.name}" for api in RUNTIME_APIS for m in api.methods}
    assert declared == api_table.DECLARED
    assert set(api_table.API_TABLE) == declared


def test_an_undeclared_name_is_the_substrate_error():
    with pytest.raises(api_table.RuntimeApiError, match="Exported method Nope_nothing is not found"):
        api_table.call(api_table.CallAt(None, b"\0" * 32, None), "Nope_nothing", b"")


@pytest.fixture(scope="module")
def authored():
    storage = genesis_storage(dev_spec())
    author = Chain(ChainStore(), storage)
    raws = [transfer(author, signer, 0) for signer in (ALICE, BOB)]
    built = author.build_block(author.best_hash, now_ms=6000, slot=1,
                               transactions=[decode_extrinsic(r) for r in raws], author=ALICE)
    assert len(built.included) == 3, built.invalid
    importer = Chain(ChainStore(), storage)
    return importer, built.block


def _execute(chain, header, extrinsics):
    parent = chain.header(header["parent_hash"])

    def roots(changes, raws):
        state_root, nodes = chain.trie.at(parent["state_root"]).apply(changes)
        return state_root, ordered_trie_root(raws), nodes

    unsealed = dict(header, digest={"logs": [log for log in header["digest"]["logs"] if log[0] != "Seal"]})
    return execute_block(chain.state_at(header["parent_hash"]), unsealed, extrinsics,
                         genesis_hash=chain.genesis_hash, roots=roots)


def test_execute_block_accepts_the_authored_block(authored):
    chain, block = authored
    executed = _execute(chain, block.header, block.extrinsics)
    assert executed.signatures_verified == 2 and executed.changes


def test_execute_block_rejects_a_bad_signature(authored):
    chain, block = authored
    ext = decode_extrinsic(block.extrinsics[1])
    sig = ext.signature[1]
    bad = block.extrinsics[1].replace(sig, bytes([sig[0] ^ 1]) + sig[1:])
    with pytest.raises(InvalidBlock, match="bad signature"):
        _execute(chain, block.header, [block.extrinsics[0], bad, block.extrinsics[2]])


def test_execute_block_rejects_a_wrong_state_root(authored):
    chain, block = authored
    with pytest.raises(InvalidBlock, match="state root mismatch"):
        _execute(chain, dict(block.header, state_root=b"\x11" * 32), block.extrinsics)


def test_execute_block_rejects_a_block_without_its_timestamp_inherent(authored):
    chain, block = authored
    with pytest.raises(InvalidBlock, match="timestamp inherent"):
        _execute(chain, block.header, block.extrinsics[1:])


def test_inherent_extrinsics_api_is_what_the_author_puts_first(authored):
    chain, block = authored
    assert [e.raw for e in inherent_extrinsics(6000)] == block.extrinsics[:1]


# --- TaggedTransactionQueue: SCALE in and out ------------------------------------------------------
API = "TaggedTransactionQueue_validate_transaction"
_TAGS = st.lists(st.binary(max_size=40), max_size=4)
_VALID = st.builds(ValidTransaction, st.integers(0, 2**64 - 1), _TAGS, _TAGS, st.integers(0, 2**64 - 1),
                   st.booleans())


@given(_VALID)
def test_valid_transaction_fast_codec_is_the_declared_struct(valid):
    generic = Struct(ValidTransactionType.path, ValidTransactionType.fields, cls=ValidTransaction)
    encoded = ValidTransactionType.encode(valid)
    assert encoded == generic.encode(valid)
    assert ValidTransactionType.decode(encoded) == generic.decode(encoded) == valid
    assert TransactionValidity.decode(b"\x00" + encoded) == ("Ok", valid)


def test_valid_transaction_codec_refuses_what_the_struct_refuses():
    encoded = ValidTransactionType.encode(ValidTransaction(1, [], [b"x"], 2, True))
    with pytest.raises(ScaleError):
        ValidTransactionType.decode(encoded[:-1] + b"\x02")      # a bool byte other than 0 or 1
    with pytest.raises(ScaleError):
        ValidTransactionType.decode(encoded[:-2])
    with pytest.raises(ScaleError):
        ValidTransactionType.encode(ValidTransaction(2**64, [], [], 0, True))


@pytest.mark.parametrize("error", [TransactionValidityError("Invalid", "BadProof"),
                                   TransactionValidityError("Invalid", "Custom", 7),
                                   TransactionValidityError("Unknown", "NoUnsignedValidator")])
def test_validity_error_round_trips_through_scale(error):
    value = TransactionValidityErrorType.decode(TransactionValidityErrorType.encode(error.scale_value()))
    back = TransactionValidityError.from_scale_value(value)
    assert (back.kind, back.reason, back.code, back.message) == (error.kind, error.reason, error.code, error.message)


def test_validate_transaction_api_takes_source_tx_and_block_hash():
    """What `state_call` serves a client: Ok for a fresh transfer, Stale once a block took its nonce."""
    chain = Chain(ChainStore(), genesis_storage(dev_spec()))
    raw = transfer(chain, ALICE, 0)

    def validate(data: bytes):
        return TransactionValidity.decode(runtime_call(chain, chain.best_hash, API, data))

    args = TransactionSource.encode("External") + raw
    verdict, valid = validate(args + chain.best_hash)
    assert verdict == "Ok" and valid.provides == [ALICE.public_key + bytes(4)] and valid.requires == []
    chain.build_block(chain.best_hash, now_ms=6000, slot=1, transactions=[decode_extrinsic(raw)], author=ALICE)
    assert validate(args + chain.best_hash) == ("Err", ("Invalid", "Stale"))
    for bad in (b"\x02", args, args + chain.best_hash + b"\x00", b"\x07" + args[1:] + chain.best_hash):
        with pytest.raises(api_table.RuntimeApiError, match="Could not decode input"):
            runtime_call(chain, chain.best_hash, API, bad)
