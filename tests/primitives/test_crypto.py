"""MultiSignature verification: known answers, substrate-interface / PyNaCl / coincurve
as independent signers, tampering, malformed input, batch == sequential."""
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import crypto
from primitives.crypto import (
    SignatureKind,
    signing_payload,
    split_multisignature,
    verify_batch,
    verify_encoded_multisignature,
    verify_multisignature,
)
from primitives.hashing import blake2_256
from primitives.keys import Keypair

substrateinterface = pytest.importorskip("substrateinterface")
from substrateinterface import Keypair as SiKeypair, KeypairType  # noqa: E402

MSG = b"agora signing test message"


def _tamper(b: bytes) -> bytes:
    return bytes([b[0] ^ 1]) + b[1:]


# --- signing payload ------------------------------------------------------------------

def test_signing_payload_rule():
    assert signing_payload(b"") == b""
    p256 = bytes(range(256))
    assert signing_payload(p256) == p256                       # exactly 256: unchanged
    p257 = p256 + b"\x00"
    assert signing_payload(p257) == blake2_256(p257)           # longer: hashed
    assert len(signing_payload(b"x" * 1000)) == 32
    assert signing_payload(bytearray(b"abc")) == b"abc"


def test_signing_payload_matches_substrate_interface_signing():
    """substrate-interface signs blake2_256(payload) for payloads > 256 bytes; verifying
    its signature over signing_payload(payload) must succeed."""
    si = SiKeypair.create_from_uri("//Alice")
    for size in (10, 256, 257, 400):
        payload = os.urandom(size)
        data = blake2_256(payload) if size > 256 else payload
        sig = si.sign(data)
        assert verify_multisignature(1, sig, signing_payload(payload), si.public_key)


# --- sr25519 ---------------------------------------------------------------------------

def test_sr25519_substrate_interface_signatures_verify():
    for _ in range(5):
        si = SiKeypair.create_from_mnemonic(SiKeypair.generate_mnemonic())
        msg = os.urandom(100)
        sig = si.sign(msg)
        assert verify_multisignature(1, sig, msg, si.public_key)
        assert not verify_multisignature(1, sig, _tamper(msg), si.public_key)
        assert not verify_multisignature(1, _tamper(sig), msg, si.public_key)
        assert not verify_multisignature(0, sig, msg, si.public_key)  # wrong variant


def test_sr25519_our_signatures_verify_with_substrate_interface():
    kp = Keypair.from_uri("//Bob")
    sig = kp.sign(MSG)
    si = SiKeypair(public_key=kp.public_key, ss58_format=42)
    assert si.verify(MSG, sig)
    assert not si.verify(MSG + b"!", sig)
    assert kp.verify(MSG, sig)


# --- ed25519 ---------------------------------------------------------------------------

def test_ed25519_substrate_interface_signatures_verify():
    seed = os.urandom(32)
    si = SiKeypair.create_from_seed(seed.hex(), crypto_type=KeypairType.ED25519)
    sig = si.sign(MSG)
    assert verify_multisignature(0, sig, MSG, si.public_key)
    assert not verify_multisignature(0, sig, MSG + b"x", si.public_key)
    assert not verify_multisignature(1, sig, MSG, si.public_key)


def test_ed25519_our_signatures_verify_with_substrate_interface():
    kp = Keypair.from_seed(os.urandom(32), "ed25519")
    sig = kp.sign(MSG)
    si = SiKeypair(public_key=kp.public_key, ss58_format=42, crypto_type=KeypairType.ED25519)
    assert si.verify(MSG, sig)
    assert not si.verify(_tamper(MSG), sig)
    # and with PyNaCl's high-level API
    import nacl.signing
    nacl.signing.VerifyKey(kp.public_key).verify(MSG, sig)


def test_ed25519_rfc8032_vector():
    # RFC 8032 section 7.1, TEST 2
    seed = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
    pub = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
    sig = bytes.fromhex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
    kp = Keypair.from_seed(seed, "ed25519")
    assert kp.public_key == pub
    assert kp.sign(b"\x72") == sig
    assert verify_multisignature(0, sig, b"\x72", pub)


def test_ed25519_small_order_key_rejected():
    """Documented divergence: ed25519-zebra (Substrate, ZIP-215) accepts this degenerate
    signature (identity public key, R = identity, s = 0); libsodium rejects it."""
    identity = b"\x01" + b"\x00" * 31
    sig = identity + b"\x00" * 32
    assert not verify_multisignature(0, sig, b"anything", identity)


# --- ecdsa -----------------------------------------------------------------------------

ecdsa_only = pytest.mark.skipif(not crypto.ECDSA_AVAILABLE, reason="coincurve not installed")


@ecdsa_only
def test_ecdsa_multisignature():
    import coincurve
    sk = coincurve.PrivateKey(os.urandom(32))
    pub = sk.public_key.format(compressed=True)
    account = blake2_256(pub)
    sig = sk.sign_recoverable(blake2_256(MSG), hasher=None)
    assert len(sig) == 65 and sig[64] in (0, 1)
    assert verify_multisignature(2, sig, MSG, account)
    assert verify_multisignature(2, sig, MSG, pub)              # 33-byte signer accepted too
    assert crypto.ecdsa_recover(sig, MSG) == pub
    # Ethereum-style v = 27/28 is normalised like sp_io does
    assert verify_multisignature(2, sig[:64] + bytes([sig[64] + 27]), MSG, account)
    assert not verify_multisignature(2, sig[:64] + bytes([sig[64] ^ 1]), MSG, account)
    assert not verify_multisignature(2, sig[:64] + b"\x05", MSG, account)
    assert not verify_multisignature(2, sig, MSG + b"x", account)
    assert not verify_multisignature(2, sig, MSG, pub[1:])      # the raw x coordinate is no account
    assert not verify_multisignature(2, sig[:64], MSG, account)


@ecdsa_only
def test_ecdsa_keypair_round_trip():
    kp = Keypair.from_uri("//Alice", "ecdsa")
    sig = kp.sign(MSG)
    assert len(sig) == 65
    assert verify_multisignature(2, sig, MSG, kp.account_id)
    assert kp.verify(MSG, sig)
    assert not kp.verify(MSG + b"x", sig)


def test_ecdsa_unsupported_without_coincurve(monkeypatch):
    monkeypatch.setattr(crypto, "_coincurve", None)
    with pytest.raises(crypto.UnsupportedSignature, match="coincurve"):
        verify_multisignature(2, b"\0" * 65, MSG, b"\0" * 32)


# --- malformed input never raises ------------------------------------------------------

BAD_VALUES = [b"", b"\x00" * 10, b"\x00" * 64, b"\xff" * 65, None, 5, "str", bytearray(64),
              memoryview(b"\x01" * 32)]


@pytest.mark.parametrize("kind", [0, 1, 2, 3, -1, 255, None, "1", 1.5])
def test_never_raises_on_garbage(kind):
    for sig in BAD_VALUES:
        for signer in BAD_VALUES:
            assert verify_multisignature(kind, sig, MSG, signer) is False
            assert verify_multisignature(kind, sig, None, signer) is False


# deadline=None: sr25519/ed25519/ecdsa verification of 300 inputs is fast, but one example can take
# far over hypothesis' 200 ms default on a loaded 2-core CI machine; the work per example is bounded.
@settings(max_examples=300, deadline=None)
@given(kind=st.integers(-2, 5), sig=st.binary(max_size=70), msg=st.binary(max_size=300),
       signer=st.binary(max_size=40))
def test_fuzz_returns_bool(kind, sig, msg, signer):
    assert verify_multisignature(kind, sig, msg, signer) in (True, False)


def test_bytes_like_inputs_accepted():
    kp = Keypair.from_uri("//Alice")
    sig = kp.sign(MSG)
    assert verify_multisignature(SignatureKind.SR25519, bytearray(sig), memoryview(MSG),
                                 bytearray(kp.public_key))
    ed = Keypair.from_uri("//Alice", "ed25519")
    assert verify_multisignature(0, memoryview(ed.sign(MSG)), bytearray(MSG), ed.public_key)


# --- encoded MultiSignature ------------------------------------------------------------

def test_encoded_multisignature():
    for scheme in ("sr25519", "ed25519") + (("ecdsa",) if crypto.ECDSA_AVAILABLE else ()):
        kp = Keypair.from_uri("//Charlie", scheme)
        enc = kp.sign_multisignature(MSG)
        kind, sig, end = split_multisignature(enc)
        assert kind == kp.multisignature_kind and end == len(enc)
        assert verify_encoded_multisignature(enc, MSG, kp.account_id)
        assert not verify_encoded_multisignature(enc + b"\0", MSG, kp.account_id)
        assert not verify_encoded_multisignature(enc[:-1], MSG, kp.account_id)


def test_split_multisignature_errors():
    with pytest.raises(ValueError, match="unknown variant 7"):
        split_multisignature(b"\x07" + b"\0" * 64)
    with pytest.raises(ValueError, match="SR25519 needs 64 bytes, 10 available"):
        split_multisignature(b"\x01" + b"\0" * 10)
    with pytest.raises(ValueError, match="no data"):
        split_multisignature(b"")
    kind, sig, end = split_multisignature(b"xx\x00" + b"\1" * 64 + b"tail", 2)
    assert (kind, sig, end) == (0, b"\1" * 64, 67)


# --- batch -----------------------------------------------------------------------------

def _mixed_items(n):
    keys = [Keypair.from_uri(f"//Acc{i}", s) for i, s in
            enumerate(["sr25519", "ed25519"] + (["ecdsa"] if crypto.ECDSA_AVAILABLE else []))]
    items, expected = [], []
    for i in range(n):
        kp = keys[i % len(keys)]
        msg = i.to_bytes(4, "little") * 10
        sig = kp.sign(msg)
        good = i % 7 != 3
        items.append((kp.multisignature_kind, sig, msg if good else msg + b"!", kp.account_id))
        expected.append(good)
    items.append((9, b"", b"", b""))
    expected.append(False)
    return items, expected


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_verify_batch_matches_sequential(workers):
    items, expected = _mixed_items(300)
    assert verify_batch(items, workers=workers) == expected
    assert verify_batch(iter(items), workers=workers) == expected
    assert [verify_multisignature(*it) for it in items] == expected


def test_verify_batch_small_and_empty():
    assert verify_batch([]) == []
    items, expected = _mixed_items(5)
    assert verify_batch(items) == expected


def test_verify_batch_malformed_items():
    items, expected = _mixed_items(100)
    items = items + [(0, None, None, None), (1, b"", b"", b""), (), None, (0, b"")]
    assert verify_batch(items, workers=2) == expected + [False] * 5
    assert verify_batch(items, workers=1) == expected + [False] * 5
