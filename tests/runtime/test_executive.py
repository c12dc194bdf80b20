"""The executive's state transition for signed transfers, against a model of FRAME's semantics.

Per signed extrinsic FRAME does: CheckNonce (stale/future), ChargeTransactionPayment (the fee
must leave the sender alive), then pre-dispatch (nonce + 1, fee withdrawn and burned, a
`Withdraw` event), the call in a transactional layer (rolled back on error, the fee kept),
then `TransactionFeePaid` and `ExtrinsicSuccess`/`ExtrinsicFailed`. The executive fuses the
nonce bump and the fee into one account write; the model below is written out step by step,
so a shortcut that changes any balance, nonce, issuance or event is caught.
"""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from genesis.spec import dev_spec, genesis_storage
from runtime.construct import get_runtime
from runtime.executive import apply_extrinsic, finalize_block, initialize_block
from runtime.extrinsic import TransactionValidityError, decode_extrinsic, encode_signed, encode_unsigned, extra_bytes
from runtime.frame.state import DictState
from runtime.pallets import balances, system, transaction_payment
from primitives import crypto
from primitives.keys import Keypair
from primitives.scale import Vec
from primitives.ss58 import ss58_encode
from runtime.version import VERSION

RT = get_runtime()
ED = balances.EXISTENTIAL_DEPOSIT
# rich, modest, poor (about two fees' worth), and one account that does not exist at genesis
KEYS = [Keypair.from_seed(bytes([i]) * 32, "ed25519") for i in (1, 2, 3, 4)]
ACCOUNTS = [k.public_key for k in KEYS]
GENESIS_FREE = {ACCOUNTS[0]: 10**15, ACCOUNTS[1]: 5 * 10**6, ACCOUNTS[2]: 1_300_000}


def _genesis() -> dict[bytes, bytes]:
    spec = dev_spec()
    spec["genesis"]["runtimeGenesis"]["config"]["balances"]["balances"] += [
        [ss58_encode(who), free] for who, free in GENESIS_FREE.items()]
    return genesis_storage(spec)


GENESIS = _genesis()
GENESIS_HASH = b"\x42" * 32


def new_block(number: int = 1):
    """A block with its timestamp inherent applied (extrinsic 0)."""
    builder = initialize_block(RT, DictState(GENESIS), number, b"\x01" * 32, {"logs": []}, GENESIS_HASH)
    inherent = encode_unsigned(RT.call_enum.encode(("Timestamp", ("set", {"now": 2_000}))))
    assert apply_extrinsic(builder, decode_extrinsic(inherent)).success
    return builder


def signed_transfer(sender: int, dest: int, value: int, *, nonce: int, tip: int = 0,
                    call: str = "transfer_allow_death") -> bytes:
    key = KEYS[sender]
    call_bytes = RT.call_enum.encode(("Balances", (call, {"dest": ("Id", ACCOUNTS[dest]), "value": value})))
    payload = (call_bytes + extra_bytes(None, nonce, tip) + VERSION.spec_version.to_bytes(4, "little")
               + VERSION.transaction_version.to_bytes(4, "little") + GENESIS_HASH + GENESIS_HASH + b"\x00")
    signature = key.sign(crypto.signing_payload(payload))
    return encode_signed(call_bytes, key.public_key, 0, signature, None, nonce, tip)


def snapshot(builder) -> dict:
    return dict(builder.ctx.state.changes)


def fee_by_hand(length: int, tip: int) -> int:
    """FRAME's fee for one of these transfers, written out from its formula with this chain's numbers,
    not with the pallet's helpers: base_fee + len_fee + multiplier * weight_fee + tip, where WeightToFee
    is the one-term polynomial ref_time / 1000 (floor), LengthToFee 1000 rao per byte, the multiplier 1.
    ExtrinsicBaseWeight is 125_000_000 ref_time (125_000 rao) and a balances transfer weighs 300_000_000
    (300_000 rao)."""
    return 125_000 + 1_000 * length + 300_000 + tip


# --- the model -----------------------------------------------------------------------------
@dataclasses.dataclass
class Model:
    free: dict[bytes, int]
    nonce: dict[bytes, int]
    issuance: int

    @classmethod
    def from_state(cls, builder) -> "Model":
        state = builder.ctx.state
        free = {who: system.Account.get(state, who).data.free for who in ACCOUNTS}
        return cls({w: f for w, f in free.items() if f}, {w: 0 for w in ACCOUNTS if free[w]},
                   balances.TotalIssuance.get(state))

    def apply(self, raw: bytes, sender: bytes, dest: bytes, value: int, nonce: int, tip: int,
              keep_alive: bool) -> tuple[str | None, list]:
        """Returns (invalidity reason or None, the extrinsic's events)."""
        if sender not in self.free:
            return "Payment", []   # CheckNonce: no account (no provider) pays for the nonce's storage
        current = self.nonce.get(sender, 0)
        if nonce < current:
            return "Stale", []
        if nonce > current:
            return "Future", []
        fee = fee_by_hand(len(raw), tip)
        if self.free.get(sender, 0) < fee + ED:
            return "Payment", []
        # pre-dispatch: CheckNonce, then ChargeTransactionPayment
        self.nonce[sender] = current + 1
        self.free[sender] -= fee
        self.issuance -= fee
        events = [balances.Withdraw(sender, fee)]
        error = self._transfer(sender, dest, value, keep_alive, events)
        events.append(transaction_payment.TransactionFeePaid(sender, fee, tip))
        events.append(error or "ExtrinsicSuccess")
        return None, events

    def _transfer(self, source: bytes, dest: bytes, value: int, keep_alive: bool, events: list) -> str | None:
        if value == 0 or source == dest:
            events.append(balances.Transfer(source, dest, value))
            return None
        if self.free[source] < value:
            return "FundsUnavailable"
        remaining = self.free[source] - value
        reaped = remaining < ED
        if reaped and keep_alive:
            return "Expendability"
        dest_exists = dest in self.free
        if not dest_exists and value < ED:
            return "ExistentialDeposit"
        if reaped:
            del self.free[source], self.nonce[source]
            self.issuance -= remaining
            events += [system.KilledAccount(source)] + ([balances.DustLost(source, remaining)] if remaining else [])
        else:
            self.free[source] = remaining
        if not dest_exists:
            self.free[dest], self.nonce[dest] = 0, 0
            events += [system.NewAccount(dest), balances.Endowed(dest, value)]
        self.free[dest] += value
        events.append(balances.Transfer(source, dest, value))
        return None


def extrinsic_events(builder, index: int) -> list:
    out = []
    for phase, (_pallet, event), _topics in builder.ctx.events:
        if phase == ("ApplyExtrinsic", index):
            if isinstance(event, system.ExtrinsicSuccess):
                event = "ExtrinsicSuccess"
            elif isinstance(event, system.ExtrinsicFailed):
                kind, detail = event.dispatch_error
                if kind == "Token":
                    event = detail
                else:
                    assert kind == "Module" and detail["index"] == 5, event
                    event = balances.Error(detail["error"][0]).name
            out.append(event)
    return out


def assert_state_matches(builder, model: Model) -> None:
    state = builder.ctx.state
    for who in ACCOUNTS:
        info = system.Account.get(state, who)
        assert info.data.free == model.free.get(who, 0)
        assert info.nonce == model.nonce.get(who, 0)
        assert system.Account.contains(state, who) == (who in model.free)
    assert balances.TotalIssuance.get(state) == model.issuance


# --- tests -----------------------------------------------------------------------------------
def test_transfer_charges_fee_once_and_bumps_nonce_once():
    builder = new_block()
    model = Model.from_state(builder)
    raw = signed_transfer(0, 1, 12_345, nonce=0, tip=7)
    reason, expected = model.apply(raw, ACCOUNTS[0], ACCOUNTS[1], 12_345, 0, 7, keep_alive=False)
    outcome = apply_extrinsic(builder, decode_extrinsic(raw))
    assert reason is None and outcome.success
    # 142 bytes: compact length (2) + version (1) + MultiAddress::Id (33) + MultiSignature::Ed25519 (65)
    # + era, nonce, tip, metadata-hash mode (1 each) + call index (2) + dest (33) + compact 12_345 (2)
    assert len(raw) == 142
    assert outcome.fee == 125_000 + 142_000 + 300_000 + 7 == 567_007
    assert extrinsic_events(builder, 1) == expected
    assert_state_matches(builder, model)


def test_failed_call_keeps_the_fee_and_the_nonce():
    builder = new_block()
    model = Model.from_state(builder)
    value = GENESIS_FREE[ACCOUNTS[1]]     # all of it: the fee comes first, so the transfer fails
    raw = signed_transfer(1, 0, value, nonce=0)
    reason, expected = model.apply(raw, ACCOUNTS[1], ACCOUNTS[0], value, 0, 0, keep_alive=False)
    outcome = apply_extrinsic(builder, decode_extrinsic(raw))
    assert reason is None and not outcome.success and expected[-1] == "FundsUnavailable"
    assert extrinsic_events(builder, 1) == expected
    assert_state_matches(builder, model)


@pytest.mark.parametrize("nonce, reason", [(1, "Future"), (0, "Payment")])
def test_invalid_transactions_change_nothing(nonce, reason):
    builder = new_block()
    before, events_before = snapshot(builder), list(builder.ctx.events)
    sender = 3 if reason == "Payment" else 0      # account 3 has no balance to pay with
    with pytest.raises(TransactionValidityError) as err:
        apply_extrinsic(builder, decode_extrinsic(signed_transfer(sender, 1, 1_000, nonce=nonce)))
    assert err.value.reason == reason
    assert snapshot(builder) == before and builder.ctx.events == events_before


def test_fee_that_would_reap_the_sender_is_refused():
    builder = new_block()
    raw = signed_transfer(2, 0, 0, nonce=0)
    fee = fee_by_hand(len(raw), 0)
    # leave the poor account exactly fee + ED - 1: paying would drop it below the existential deposit
    info = system.Account.get(builder.ctx.state, ACCOUNTS[2])
    info.data.free = fee + ED - 1
    system.Account.insert(builder.ctx.state, ACCOUNTS[2], info)
    before = snapshot(builder)
    with pytest.raises(TransactionValidityError) as err:
        apply_extrinsic(builder, decode_extrinsic(raw))
    assert err.value.reason == "Payment" and snapshot(builder) == before
    info.data.free = fee + ED
    system.Account.insert(builder.ctx.state, ACCOUNTS[2], info)
    assert apply_extrinsic(builder, decode_extrinsic(raw)).success
    assert system.Account.get(builder.ctx.state, ACCOUNTS[2]).data.free == ED


# a value is a number, or ("leave", k): all the sender has after the fee but k (reaping, dust,
# keep-alive refusals and the exact-balance edges come from these)
transfer_action = st.tuples(
    st.integers(0, 3), st.integers(0, 3),
    st.one_of(st.integers(0, 3 * ED), st.integers(0, 2 * 10**6),
              st.tuples(st.just("leave"), st.sampled_from([-1, 0, 1, ED - 1, ED, ED + 1]))),
    st.sampled_from([0, 0, 1, 10**6]), st.sampled_from([-1, 0, 0, 0, 1]), st.booleans())


def _resolve(value, sender: int, dest: int, nonce: int, tip: int, call: str, model: Model) -> int:
    if not isinstance(value, tuple):
        return value
    free = model.free.get(ACCOUNTS[sender], 0)
    raw = signed_transfer(sender, dest, free, nonce=nonce, tip=tip, call=call)
    fee = fee_by_hand(len(raw), tip)
    return max(0, free - fee - value[1])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(transfer_action, min_size=1, max_size=25))
def test_executive_matches_the_model(actions):
    builder = new_block()
    model = Model.from_state(builder)
    applied = 1  # after the timestamp inherent
    for sender, dest, value, tip, nonce_offset, keep_alive in actions:
        who = ACCOUNTS[sender]
        nonce = max(0, model.nonce.get(who, 0) + nonce_offset)
        call = "transfer_keep_alive" if keep_alive else "transfer_allow_death"
        value = _resolve(value, sender, dest, nonce, tip, call, model)
        raw = signed_transfer(sender, dest, value, nonce=nonce, tip=tip, call=call)
        reason, expected = model.apply(raw, who, ACCOUNTS[dest], value, nonce, tip, keep_alive)
        before = snapshot(builder)
        try:
            apply_extrinsic(builder, decode_extrinsic(raw))
        except TransactionValidityError as err:
            assert err.reason == reason
            assert snapshot(builder) == before
            continue
        assert reason is None
        assert extrinsic_events(builder, applied) == expected
        assert_state_matches(builder, model)
        applied += 1
    assert_state_matches(builder, model)


def test_finalize_encodes_events_as_the_generic_codec_does():
    builder = new_block()
    for nonce in range(3):
        apply_extrinsic(builder, decode_extrinsic(signed_transfer(0, 3, 10**6, nonce=nonce, tip=nonce)))
    apply_extrinsic(builder, decode_extrinsic(signed_transfer(1, 0, 10**12, nonce=0)))   # a failure
    ctx = finalize_block(builder)
    records = [{"phase": phase, "event": event, "topics": topics} for phase, event, topics in ctx.events]
    assert any(isinstance(r["event"][1], system.ExtrinsicFailed) for r in records)
    raw = ctx.state.get(system.Events.key)
    assert raw == Vec(system.EventRecord).encode(records)
    assert len(Vec(system.EventRecord).decode(raw)) == system.EventCount.get(ctx.state) == len(records)
