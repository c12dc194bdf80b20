"""The sans-io RFC 6455 decoder/encoder (node.rpc.websocket_frames), without sockets."""
from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.rpc.websocket_frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    BinaryMessage,
    Close,
    FrameDecoder,
    MessageTooLarge,
    Ping,
    Pong,
    TextMessage,
    WebSocketProtocolError,
    accept_token,
    encode_close,
    encode_frame,
    encode_text,
    STREAMED_MESSAGE_BYTES,
)

MASK = b"\x37\xfa\x21\x3d"


def client(opcode: int, payload: bytes, fin: bool = True, mask: bytes = MASK) -> bytes:
    return encode_frame(opcode, payload, fin=fin, mask=mask)


def decode_all(data: bytes, limit: int = 1 << 20) -> list:
    decoder = FrameDecoder(limit)
    decoder.feed(data)
    return decoder.events()


def describe(events: list) -> list[tuple]:
    out = []
    for e in events:
        if isinstance(e, (TextMessage, BinaryMessage)):
            data = e.data
            if isinstance(data, list):  # a long message: its pieces, joined here to compare
                data = b"".join(data)
                data = data.decode() if isinstance(e, TextMessage) else data
            out.append((type(e).__name__, data))
        elif isinstance(e, (Ping, Pong)):
            out.append((type(e).__name__, e.payload))
        elif isinstance(e, Close):
            out.append(("Close", e.code, e.reason))
        else:
            out.append(("TooLarge", e.limit))
    return out


# --- examples -------------------------------------------------------------------------------

def test_rfc_examples_single_frames():
    # RFC 6455 section 5.7: a masked "Hello" from a client.
    assert describe(decode_all(bytes.fromhex("818537fa213d7f9f4d5158"))) == [("TextMessage", "Hello")]
    assert encode_text(b"Hello") == bytes.fromhex("810548656c6c6f")
    assert encode_frame(OP_PONG, b"Hello") == bytes.fromhex("8a0548656c6c6f")
    # section 1.3: the handshake's accept token
    assert accept_token(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_length_encodings(size):
    payload = os.urandom(size)
    assert describe(decode_all(client(OP_BINARY, payload))) == [("BinaryMessage", payload)]
    frame = encode_text(b"a" * size)
    assert frame == encode_frame(OP_TEXT, b"a" * size)


def test_fragmentation_with_interleaved_control_frames():
    data = (client(OP_TEXT, b"hel", fin=False) + client(OP_PING, b"p1")
            + client(OP_CONTINUATION, b"lo ", fin=False) + client(OP_PONG, b"")
            + client(OP_CONTINUATION, "wörld".encode()) + client(OP_BINARY, b"\xff"))
    assert describe(decode_all(data)) == [("Ping", b"p1"), ("Pong", b""), ("TextMessage", "hello wörld"),
                                          ("BinaryMessage", b"\xff")]


def test_byte_at_a_time_equals_all_at_once():
    data = client(OP_TEXT, b"x" * 300, fin=False) + client(OP_PING, b"!") + client(OP_CONTINUATION, b"y")
    decoder = FrameDecoder(1 << 20)
    events = []
    for i in range(len(data)):
        decoder.feed(data[i:i + 1])
        events += decoder.events()
    assert describe(events) == describe(decode_all(data))


@pytest.mark.parametrize(("payload", "expected"), [
    (b"", ("Close", 1005, "")),
    (struct.pack("!H", 1000), ("Close", 1000, "")),
    (struct.pack("!H", 1001) + b"bye", ("Close", 1001, "bye")),
    (struct.pack("!H", 4000) + "ü".encode(), ("Close", 4000, "ü")),
])
def test_close_frames(payload, expected):
    assert describe(decode_all(client(OP_CLOSE, payload))) == [expected]


@pytest.mark.parametrize(("data", "code"), [
    (client(OP_CLOSE, b"\x03"), 1002),                               # 1-byte close payload
    (client(OP_CLOSE, struct.pack("!H", 999)), 1002),                # below 1000
    (client(OP_CLOSE, struct.pack("!H", 1005)), 1002),               # local only
    (client(OP_CLOSE, struct.pack("!H", 1006)), 1002),
    (client(OP_CLOSE, struct.pack("!H", 1004)), 1002),               # reserved
    (client(OP_CLOSE, struct.pack("!H", 2999)), 1002),
    (client(OP_CLOSE, struct.pack("!H", 5000)), 1002),
    (client(OP_CLOSE, struct.pack("!H", 1000) + b"\xff"), 1007),     # reason not UTF-8
    (client(OP_TEXT, b"\xc3\x28"), 1007),                             # text not UTF-8
    (client(OP_TEXT, b"\xc3", fin=False) + client(OP_CONTINUATION, b"\x28"), 1007),
    (encode_frame(OP_TEXT, b"unmasked"), 1002),                       # client frames must be masked
    (bytes((0xC1,)) + client(OP_TEXT, b"x")[1:], 1002),               # RSV1 without an extension
    (bytes((0x83,)) + client(OP_TEXT, b"x")[1:], 1002),               # reserved opcode
    (client(OP_PING, b"x", fin=False), 1002),                         # fragmented control frame
    (client(OP_PING, b"x" * 126), 1002),                              # control frame too long
    (client(OP_CONTINUATION, b"x"), 1002),                            # continuation of nothing
    (client(OP_TEXT, b"a", fin=False) + client(OP_TEXT, b"b"), 1002),  # new message inside one
    (bytes((0x81, 0xFE, 0, 5)) + MASK + b"hello", 1002),             # 16-bit length below 126
    (bytes((0x82, 0xFF)) + struct.pack("!Q", 1 << 63) + MASK, 1002),  # 64-bit length with top bit
])
def test_protocol_errors(data, code):
    with pytest.raises(WebSocketProtocolError) as info:
        decode_all(data)
    assert info.value.code == code


def test_events_before_an_error_come_first_then_the_error_sticks():
    decoder = FrameDecoder(1 << 20)
    decoder.feed(client(OP_TEXT, b"ok") + client(OP_CONTINUATION, b"bad"))
    assert describe(decoder.events()) == [("TextMessage", "ok")]
    with pytest.raises(WebSocketProtocolError):
        decoder.events()
    decoder.feed(client(OP_TEXT, b"more"))
    with pytest.raises(WebSocketProtocolError):
        decoder.events()


def test_oversized_message_is_skipped_and_the_connection_goes_on():
    decoder = FrameDecoder(10)
    decoder.feed(client(OP_TEXT, b"a" * 6, fin=False) + client(OP_PING, b"p")
                 + client(OP_CONTINUATION, b"b" * 6, fin=False))
    assert describe(decoder.events()) == [("Ping", b"p"), ("TooLarge", 10)]
    # the rest of that message, fed in pieces, is skipped without being kept
    tail = client(OP_CONTINUATION, b"c" * 1000)
    decoder.feed(tail[:300])
    assert decoder.events() == []
    decoder.feed(tail[300:] + client(OP_TEXT, b"next"))
    assert describe(decoder.events()) == [("TextMessage", "next")]
    assert len(decoder._buf) == 0


def test_encode_close():
    assert encode_close(None) == b"\x88\x00"
    assert encode_close(1005) == b"\x88\x00"
    assert encode_close(1006) == b"\x88\x02\x03\xe8"          # local-only code -> 1000
    frame = encode_close(1002, "é" * 100)                       # reason cut on a character boundary
    assert len(frame) <= 2 + 125
    assert frame[4:].decode() == "é" * 61


# --- properties -----------------------------------------------------------------------------

@st.composite
def messages(draw):
    """A message, split into fragments, with control frames between some of them."""
    binary = draw(st.booleans())
    data = draw(st.binary(max_size=3000)) if binary else draw(st.text(max_size=1000)).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=5)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    frames = []
    expected = []
    for i, piece in enumerate(pieces):
        opcode = (OP_BINARY if binary else OP_TEXT) if i == 0 else OP_CONTINUATION
        frames.append(client(opcode, piece, fin=i == len(pieces) - 1, mask=draw(st.binary(min_size=4, max_size=4))))
        if i < len(pieces) - 1 and draw(st.booleans()):
            ping = draw(st.binary(max_size=125))
            frames.append(client(OP_PING, ping, mask=draw(st.binary(min_size=4, max_size=4))))
            expected.append(("Ping", ping))
    expected.append(("BinaryMessage", data) if binary else ("TextMessage", data.decode()))
    return b"".join(frames), expected


@settings(max_examples=200, deadline=None)
@given(st.lists(messages(), min_size=1, max_size=4), st.lists(st.integers(1, 4000), max_size=20))
def test_round_trip_any_fragmentation_and_any_read_sizes(msgs, reads):
    data = b"".join(m[0] for m in msgs)
    expected = [e for m in msgs for e in m[1]]
    decoder = FrameDecoder(1 << 20)
    events = []
    pos = 0
    for n in reads:
        decoder.feed(data[pos:pos + n])
        pos += n
        events += decoder.events()
    decoder.feed(data[pos:])
    events += decoder.events()
    assert describe(events) == expected


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2000), st.integers(0, 300), st.integers(1, 500))
def test_arbitrary_bytes_raise_only_the_protocol_error(data, limit, chunk):
    decoder = FrameDecoder(limit)
    try:
        for i in range(0, len(data), chunk):
            decoder.feed(data[i:i + chunk])
            for event in decoder.events():
                assert isinstance(event, (TextMessage, BinaryMessage, Ping, Pong, Close, MessageTooLarge))
    except WebSocketProtocolError as exc:
        assert exc.code in (1002, 1007)


@settings(max_examples=200, deadline=None)
@given(st.lists(messages(), min_size=1, max_size=3), st.integers(0, 2000))
def test_size_limit_drops_only_oversized_messages(msgs, limit):
    data = b"".join(m[0] for m in msgs)
    events = describe(decode_all(data, limit))
    expected = []
    for _frames, exp in msgs:
        *pings, final = exp
        size = len(final[1] if final[0] == "BinaryMessage" else final[1].encode())
        expected += pings
        expected.append(final if size <= limit else ("TooLarge", limit))
    # an oversized message is reported when its limit is crossed, so before its later pings
    assert sorted(map(repr, events)) == sorted(map(repr, expected))
    assert [e for e in events if e[0] != "Ping"] == [e for e in expected if e[0] != "Ping"]


# --- long messages: kept as pieces, never buffered whole ------------------------------------

def _feed_in_reads(decoder: FrameDecoder, data: bytes, read: int = 65536) -> list:
    events = []
    for i in range(0, len(data), read):
        decoder.feed(data[i:i + read])
        events += decoder.events()
        assert len(decoder._buf) < read + 14  # at most one read and a frame header waits in it
    return events


@pytest.mark.parametrize("fragments", [1, 3, 7])
def test_a_long_text_message_arrives_as_its_checked_pieces(fragments):
    """A 1 MiB text message (multi-byte characters across piece and frame boundaries) comes out
    as a list of unmasked pieces whose join is the text, however it was fragmented."""
    text = ("ab\u00e9\u4e2d\U0001f600" * 110_000)[:2**20 // 3 * 2]
    data = text.encode()
    assert len(data) > STREAMED_MESSAGE_BYTES
    step = len(data) // fragments + 1
    frames = b"".join(client(OP_TEXT if i == 0 else OP_CONTINUATION, data[i * step:(i + 1) * step],
                             fin=i == fragments - 1, mask=bytes((i + 1, 2 * i + 7, 99, 250)))
                      for i in range(fragments))
    (event,) = _feed_in_reads(FrameDecoder(4 << 20), frames, read=65537)
    assert isinstance(event, TextMessage) and isinstance(event.data, list) and len(event.data) > 1
    assert b"".join(event.data).decode() == text


def test_a_long_binary_message_arrives_as_pieces_and_short_ones_whole():
    data = os.urandom(STREAMED_MESSAGE_BYTES + 5)
    (event,) = _feed_in_reads(FrameDecoder(1 << 20), client(OP_BINARY, data))
    assert isinstance(event.data, list) and b"".join(event.data) == data
    (event,) = _feed_in_reads(FrameDecoder(1 << 20), client(OP_BINARY, data[:STREAMED_MESSAGE_BYTES - 1]))
    assert event.data == data[:STREAMED_MESSAGE_BYTES - 1]


@pytest.mark.parametrize("where", ["start", "middle", "cut at the end"])
def test_invalid_utf8_in_a_long_text_message_closes_with_1007_at_its_end(where):
    data = bytearray(b"x" * (STREAMED_MESSAGE_BYTES * 2))
    if where == "start":
        data[0] = 0xFF
    elif where == "middle":
        data[STREAMED_MESSAGE_BYTES + 3] = 0xC0
    else:
        data[-1] = 0xE4  # the first byte of a three-byte sequence, then nothing
    decoder = FrameDecoder(1 << 20)
    frames = client(OP_TEXT, bytes(data), fin=False) + client(OP_PING, b"p") + client(OP_CONTINUATION, b"", fin=True)
    decoder.feed(frames)
    assert describe(decoder.events()) == [("Ping", b"p")]  # the error is the message's, at its end
    with pytest.raises(WebSocketProtocolError) as err:
        decoder.events()
    assert err.value.code == 1007


def test_an_oversized_long_message_is_dropped_and_the_next_one_served():
    decoder = FrameDecoder(STREAMED_MESSAGE_BYTES * 2)
    big = b"y" * (STREAMED_MESSAGE_BYTES + 10)
    frames = (client(OP_TEXT, big, fin=False) + client(OP_CONTINUATION, big)
              + client(OP_TEXT, b"next"))
    assert describe(_feed_in_reads(decoder, frames)) == [("TooLarge", STREAMED_MESSAGE_BYTES * 2),
                                                         ("TextMessage", "next")]
