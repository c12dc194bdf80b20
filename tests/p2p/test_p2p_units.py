"""Pure-logic tests: varint framing, envelopes, reputation, token buckets, node keys."""
from __future__ import annotations

import os
import stat

import msgpack
import pytest
import trio

from p2p import envelope as env
from p2p.errors import FrameTooLarge, MalformedFrame, StreamClosed
from p2p.framing import FramedStream, decode_uvarint, encode_frame, encode_uvarint
from p2p.keys import keypair_from_hex, load_or_generate_keypair, node_key_path, peer_id_of, resolve_keypair
from p2p.reputation import ReputationBook, TokenBucket


class FakeStream:
    """Delivers ``data`` in ``chunk``-byte reads, then EOF."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self.data, self.chunk, self.written = data, chunk, b""

    async def read(self, n: int) -> bytes:
        await trio.lowlevel.checkpoint()
        out, self.data = self.data[: min(n, self.chunk)], self.data[min(n, self.chunk):]
        return out

    async def write(self, data: bytes) -> None:
        self.written += data


@pytest.mark.parametrize("n", [0, 1, 127, 128, 255, 300, 16383, 16384, 2**21, 2**32 + 5, 2**62])
def test_uvarint_roundtrip(n):
    enc = encode_uvarint(n)
    assert decode_uvarint(enc) == (n, len(enc))
    assert decode_uvarint(enc[:-1]) is None  # incomplete


def test_uvarint_known_vectors():
    assert encode_uvarint(300) == b"\xac\x02"
    assert encode_uvarint(1) == b"\x01"


def test_uvarint_malformed():
    with pytest.raises(MalformedFrame):
        decode_uvarint(b"\xff" * 12)
    with pytest.raises(MalformedFrame):
        decode_uvarint(b"\x81\x00")  # non-minimal


@pytest.mark.parametrize("chunk", [1, 3, 1000, 1 << 20])
async def test_framed_stream_reassembles(chunk):
    bodies = [b"", b"a", b"x" * 300, os.urandom(70_000 if chunk >= 1000 else 700), b"end"]
    fs = FramedStream(FakeStream(b"".join(encode_frame(b) for b in bodies), chunk))
    for b in bodies:
        assert await fs.read_frame(1 << 20) == b
    with pytest.raises(StreamClosed):
        await fs.read_frame(10)


@pytest.mark.parametrize("chunk", [61, 4096, 65536])
async def test_framed_stream_many_small_frames_across_chunks(chunk):
    # regression: compaction during a partial frame used to shift the frame's offsets
    bodies = [i.to_bytes(4, "big") + bytes([i % 251]) * (200 + i % 37) for i in range(2000)]
    fs = FramedStream(FakeStream(b"".join(encode_frame(b) for b in bodies), chunk))
    assert [await fs.read_frame(1024) for _ in bodies] == bodies


async def test_framed_stream_limits():
    fs = FramedStream(FakeStream(encode_frame(b"x" * 1001), 7))
    with pytest.raises(FrameTooLarge):
        await fs.read_frame(1000)
    fs = FramedStream(FakeStream(b"\xff" * 20, 4))
    with pytest.raises(MalformedFrame):
        await fs.read_frame(1000)


def test_envelopes_roundtrip_and_reject_garbage():
    kind, msg = env.decode(env.encode_notification("/a/1", b"\x00\x01"))
    assert kind == env.NOTIFICATION and env.parse_notification(msg) == ("/a/1", b"\x00\x01")
    kind, msg = env.decode(env.encode_handshake(env.HANDSHAKE, "full", ["/ip4/1.2.3.4/tcp/1"], b"g"))
    assert env.parse_handshake(msg) == ("full", ["/ip4/1.2.3.4/tcp/1"], b"g")
    kind, msg = env.decode(env.encode_error(2, "nope"))
    assert kind == env.ERROR and env.parse_error(msg) == (2, "nope")
    # a later version with extra trailing fields still parses
    kind, msg = env.decode(msgpack.packb([7, env.REQUEST, b"p", "future"]))
    assert env.parse_payload(msg) == b"p"
    for junk in (b"", b"\xc1", b"\x93\x01", msgpack.packb({"a": 1}), msgpack.packb([0, 3, "x", b""]),
                 msgpack.packb(["1", 3])):
        with pytest.raises(MalformedFrame):
            env.decode(junk)
    with pytest.raises(MalformedFrame):
        env.parse_notification(env.decode(msgpack.packb([1, 3, "/a", "not-bytes"]))[1])


def test_token_bucket():
    now = [0.0]
    b = TokenBucket(rate=10, burst=5, clock=lambda: now[0])
    assert all(b.take() for _ in range(5))
    assert not b.take()
    now[0] += 0.1
    assert b.take() and not b.take()
    now[0] += 100
    assert sum(b.take() for _ in range(100)) == 5


def test_reputation_decay_and_ban():
    now = [0.0]
    book = ReputationBook(ban_threshold=-100, ban_duration=30, half_life=10, clock=lambda: now[0])
    assert not book.report("p", -60)
    now[0] += 10
    assert book.get("p") == pytest.approx(-30)
    assert not book.report("p", -60)       # -90
    assert book.report("p", -20)           # -110 < -100
    book.ban("p", "test")
    assert book.banned("p") and book.ban_reason("p") == "test"
    assert book.get("p") == 0
    now[0] += 31
    assert not book.banned("p")


def test_node_key_persists(tmp_path):
    kp1 = load_or_generate_keypair(tmp_path)
    path = node_key_path(tmp_path)
    assert path == tmp_path / "network" / "secret_ed25519"
    raw = path.read_bytes()
    assert len(raw) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kp2 = load_or_generate_keypair(tmp_path)
    assert peer_id_of(kp1) == peer_id_of(kp2)
    assert peer_id_of(kp1).startswith("12D3KooW")
    # --node-key hex override gives the same identity as the file's secret
    assert peer_id_of(keypair_from_hex(raw.hex())) == peer_id_of(kp1)
    assert peer_id_of(resolve_keypair(tmp_path, "0x" + "11" * 32)) == peer_id_of(keypair_from_hex("11" * 32))
    with pytest.raises(ValueError):
        keypair_from_hex("abcd")


def test_peer_id_derivation_matches_libp2p_spec():
    # libp2p spec: peer id of an Ed25519 key = base58btc(identity multihash of the
    # protobuf PublicKey{Type: Ed25519 (1), Data: 32-byte key}); computed here by hand.
    import base58
    from nacl.signing import SigningKey

    secret = bytes(31) + b"\x01"
    pub = bytes(SigningKey(secret).verify_key)
    proto = b"\x08\x01\x12\x20" + pub
    expected = base58.b58encode(b"\x00" + bytes([len(proto)]) + proto).decode()
    pid = peer_id_of(keypair_from_hex(secret.hex()))
    assert pid == expected and pid.startswith("12D3KooW") and len(pid) == 52
