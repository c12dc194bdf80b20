"""`agora load` tells a finalized transaction whose call failed (System.ExtrinsicFailed) from a
finalized success: its events decoder against the runtime's own events and metadata, and the
summary and table that count such a transaction apart, with its error."""
from __future__ import annotations

import functools

import pytest

from runtime.executive import apply_extrinsic, finalize_block
from runtime.extrinsic import decode_extrinsic
from runtime.metadata import metadata_bytes
from runtime.pallets import system
from tests.runtime.test_executive import fee_by_hand, new_block, signed_transfer
from tools.load import LoadStats, Tracked, render_table
from tools.load_events import EventDecoder, EventsError


@functools.lru_cache(maxsize=1)
def _metadata() -> dict:
    """The V14 metadata as substrate-interface reads it from a node (`Calls.load` does the same)."""
    from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
    from scalecodec.type_registry import load_type_registry_preset

    config = RuntimeConfigurationObject()
    config.update_type_registry(load_type_registry_preset("core"))
    versioned = config.create_scale_object("MetadataVersioned", data=ScaleBytes(metadata_bytes(14)))
    versioned.decode()
    return versioned.value[1]["V14"]


def _block_events(transfers) -> tuple[bytes, list]:
    builder = new_block()
    for sender, dest, value, nonce, call in transfers:
        apply_extrinsic(builder, decode_extrinsic(signed_transfer(sender, dest, value, nonce=nonce, call=call)))
    ctx = finalize_block(builder)
    return ctx.state.get(system.Events.key), ctx.events


def _all_but(k: int) -> int:
    """What account 2 (1,300,000 at genesis) holds after a transfer's fee, but k."""
    fee = fee_by_hand(len(signed_transfer(2, 0, 1_300_000, nonce=0, call="transfer_keep_alive")), 0)
    return 1_300_000 - fee - k


def test_failures_are_read_from_the_runtimes_events():
    raw, events = _block_events([
        (0, 1, 10**6, 0, "transfer_allow_death"),          # 1: ok
        (1, 0, 10**12, 0, "transfer_allow_death"),         # 2: more than it has: Token.FundsUnavailable
        (0, 3, 10, 1, "transfer_allow_death"),             # 3: below ED to a new account
        (2, 0, _all_but(100), 0, "transfer_keep_alive"),   # 4: would reap the sender: keep-alive refuses
        (0, 2, 10**6, 2, "transfer_keep_alive"),           # 5: ok
    ])
    expected = {phase[1]: event for phase, (_pallet, event), _topics in events
                if isinstance(event, system.ExtrinsicFailed)}
    failures = EventDecoder(_metadata()).failures(raw)
    assert set(failures) == set(expected) == {2, 3, 4}
    assert failures == {2: "Token.FundsUnavailable", 3: "Balances.ExistentialDeposit", 4: "Balances.Expendability"}


def test_a_block_without_failures_and_an_empty_one():
    decoder = EventDecoder(_metadata())
    raw, events = _block_events([(0, 1, 10**6, n, "transfer_allow_death") for n in range(5)])
    assert len(events) > 20 and decoder.failures(raw) == {}
    assert decoder.failures(b"\x00") == {}


@pytest.mark.parametrize("cut", [1, 7, -1])
def test_events_that_do_not_decode_are_an_error_not_a_guess(cut):
    raw, _ = _block_events([(1, 0, 10**12, 0, "transfer_allow_death")])
    bad = raw[:cut] if cut > 0 else raw + b"\x00"
    with pytest.raises(EventsError):
        EventDecoder(_metadata()).failures(bad)


class _Sender:
    resync = False


def test_summary_and_table_count_failed_in_block_apart_from_finalized():
    stats = LoadStats()
    for i, (finalized, failed) in enumerate([(1.0, None), (1.5, None), (2.0, "Token.FundsUnavailable"),
                                             (2.0, "Token.FundsUnavailable"), (2.5, "Balances.Expendability"),
                                             (None, None)]):
        stats.txs[bytes([i])] = Tracked("transfer", _Sender(), i, 0.0, accepted=0.1, in_block=finalized,
                                        finalized=finalized, failed=failed, checked=finalized is not None)
    s = stats.summary()
    assert s["finalized"] == 2 and s["failed"] == 3 and s["lost"] == 1 and s["included"] == 5
    assert s["failed_errors"] == {"Token.FundsUnavailable": 2, "Balances.Expendability": 1}
    assert s["kinds"]["transfer"] == {"submitted": 6, "accepted": 6, "finalized": 2, "failed": 3, "dropped": 0,
                                      "lost": 1}
    assert s["finalized_per_s"] == pytest.approx(2 / 1.5)      # successes only
    assert len([None for t in stats.txs.values() if t.finalized]) == 5
    table = render_table(s)
    assert "failed in block" in table and "failed: Token.FundsUnavailable" in table
    assert "failed: Balances.Expendability" in table
