"""The pool asks the runtime, as Substrate's does: TaggedTransactionQueue_validate_transaction with
SCALE arguments (source, tx, block hash), and the SCALE TransactionValidity it answers decides."""
from __future__ import annotations

import pytest

from node import runtime_api
from node.txpool import PoolError, TransactionPool
from runtime import api_table
from runtime.apis import TransactionValidity, ValidTransaction
from runtime.extrinsic import TransactionValidityError
from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from storage.chain_store import ChainStore
from tests.node.test_txpool import ALICE, transfer

API = "TaggedTransactionQueue_validate_transaction"


@pytest.fixture
def chain():
    return Chain(ChainStore(), genesis_storage(dev_spec()))


@pytest.fixture
def spy(monkeypatch):
    """Records each call of the runtime API; `answer` (SCALE bytes), when set, replaces its result."""
    real = api_table.API_TABLE[API]
    calls: list[bytes] = []
    state = {"answer": None}

    def wrapped(at, data):
        calls.append(data)
        out = real(at, data)
        return out if state["answer"] is None else state["answer"]

    monkeypatch.setitem(api_table.API_TABLE, API, wrapped)
    return calls, state


def test_submission_is_validated_by_the_runtime_api(chain, spy):
    calls, _ = spy
    pool = TransactionPool(chain)
    raw = transfer(chain, ALICE, 0, tip=7)
    tx_hash = pool.submit(raw)
    assert calls == [b"\x02" + raw + chain.best_hash]      # External, the extrinsic, the best block
    valid = pool.by_hash[tx_hash].valid
    assert valid == ValidTransaction(7, [], [ALICE.public_key + (0).to_bytes(4, "little")], 2**64 - 1, True)


def test_a_later_nonce_requires_the_one_before(chain):
    pool = TransactionPool(chain)
    tx_hash = pool.submit(transfer(chain, ALICE, 1))
    valid = pool.by_hash[tx_hash].valid
    assert valid.requires == [ALICE.public_key + (0).to_bytes(4, "little")]
    assert valid.provides == [ALICE.public_key + (1).to_bytes(4, "little")]


def test_the_runtimes_verdict_decides(chain, spy):
    """What the runtime answers is what the pool does: its error reaches the client, its priority orders."""
    _, state = spy
    pool = TransactionPool(chain)
    state["answer"] = TransactionValidity.encode(("Err", ("Invalid", ("Custom", 7))))
    with pytest.raises(PoolError) as err:
        pool.submit(transfer(chain, ALICE, 0))
    assert (err.value.code, err.value.data, err.value.reason) == (1010, "Custom error: 7", "Custom")
    state["answer"] = TransactionValidity.encode(("Err", ("Unknown", "CannotLookup")))
    with pytest.raises(PoolError) as err:
        pool.submit(transfer(chain, ALICE, 0, tip=1))
    assert (err.value.code, err.value.message) == (1011, "Unknown Transaction Validity")
    state["answer"] = TransactionValidity.encode(("Ok", ValidTransaction(99, [], [b"t"], 5, True)))
    tx_hash = pool.submit(transfer(chain, ALICE, 0, tip=2))
    assert pool.by_hash[tx_hash].valid.priority == 99


def test_node_decodes_the_runtimes_answer(chain):
    raw = transfer(chain, ALICE, 0, corrupt=True)
    with pytest.raises(TransactionValidityError) as err:
        runtime_api.validate_transaction(chain, raw)
    assert (err.value.kind, err.value.reason) == ("Invalid", "BadProof")
    assert runtime_api.validate_transaction(chain, transfer(chain, ALICE, 0)).priority == 0
