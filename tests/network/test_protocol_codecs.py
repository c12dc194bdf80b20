"""Wire codecs of node/network: round trips, and hostile bytes only ever raise ProtocolError."""
from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings, strategies as st

from consensus.finality import Vote
from node.network import protocol as proto

H = b"\x11" * 32


def test_round_trips():
    s = proto.Status(H, 7, b"\x22" * 32, 5, b"\x33" * 32)
    assert proto.decode_status(proto.encode_status(s)) == s
    a = proto.decode_announce(proto.encode_announce(b"hdr", True, b"body"))
    assert (a.header, a.best, a.body) == (b"hdr", True, b"body")
    assert proto.decode_announce(proto.encode_announce(b"hdr", False, None)).body is None
    r = proto.decode_block_request(proto.encode_block_request(H, direction=proto.DESC, max_blocks=9, fields=3))
    assert (r.start, r.direction, r.max_blocks, r.fields) == (H, proto.DESC, 9, 3)
    r = proto.decode_block_request(proto.encode_block_request(12, max_blocks=10**6))
    assert r.start == 12 and r.max_blocks == proto.MAX_BLOCKS_PER_REQUEST      # capped
    blocks = [(b"h1", b"b1", None), (b"h2", None, b"j2")]
    assert proto.decode_block_response(proto.encode_block_response(blocks)) == blocks
    assert proto.decode_transactions(proto.encode_transactions([b"a", b"b"])) == [b"a", b"b"]
    v = Vote(3, H, 4, b"\x44" * 32, b"\x55" * 64)
    m = proto.decode_finality(proto.encode_votes(0, [v]))
    assert m.kind == "votes" and m.votes == (v,)
    m = proto.decode_finality(proto.encode_commit(0, b"just"))
    assert m.kind == "commit" and m.justification == b"just"


@pytest.mark.parametrize("payload", [
    msgpack.packb({"v": 1}), msgpack.packb([1, 2]), msgpack.packb({"genesis": b"x", "best": [1, H], "finalized": [0, H]}),
    msgpack.packb({"genesis": H, "best": [-1, H], "finalized": [0, H]}),
    msgpack.packb({"genesis": H, "best": [2**40, H], "finalized": [0, H]}),
])
def test_bad_status(payload):
    with pytest.raises(proto.ProtocolError):
        proto.decode_status(payload)


def test_limits():
    with pytest.raises(proto.ProtocolError):
        proto.decode_announce(proto.encode_announce(b"h" * (proto.MAX_HEADER + 1), True, None))
    with pytest.raises(proto.ProtocolError):
        proto.decode_transactions(proto.encode_transactions([b"x"] * (proto.MAX_TXS_PER_MESSAGE + 1)))
    with pytest.raises(proto.ProtocolError):
        proto.decode_block_response(proto.encode_block_response([(b"h", None, None)] *
                                                                 (proto.MAX_BLOCKS_PER_REQUEST + 1)))
    with pytest.raises(proto.ProtocolError):
        proto.decode_finality(msgpack.packb({"k": "votes", "s": 0, "l": [[1, H, 1, H, b"s" * 64]] * 1025}))


DECODERS = [proto.decode_status, proto.decode_announce, proto.decode_block_request, proto.decode_block_response,
            proto.decode_transactions, proto.decode_finality]

msgpack_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.binary(max_size=40) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(
        ["v", "genesis", "best", "finalized", "header", "body", "from", "dir", "max", "fields", "k", "s", "l", "j"]),
        inner, max_size=6),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | msgpack_values.map(lambda v: msgpack.packb(v, use_bin_type=True)))
def test_hostile_bytes_only_raise_protocol_error(data):
    for decode in DECODERS:
        try:
            decode(data)
        except proto.ProtocolError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_hostile_blocks_and_justifications(header, body):
    from consensus.justification import InvalidJustification, Justification
    from node.network.import_queue import decode_block
    from runtime.frame.dispatch import InvalidBlock

    try:
        decode_block((header, body, None))
    except InvalidBlock:
        pass
    try:
        Justification.decode(header + body)
    except InvalidJustification:
        pass
