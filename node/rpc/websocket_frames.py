"""RFC 6455 frames, sans I/O: the server side's decoder of client frames and its frame encoder.

:class:`FrameDecoder` is fed bytes as they arrive and returns whole events:
:class:`TextMessage`, :class:`BinaryMessage` (fragments reassembled, unmasked; a message of
:data:`STREAMED_MESSAGE_BYTES` or more stays the list of its pieces as they arrived, so a
15 MiB batch is never one more copy of itself, and its pieces can be dropped as it is served),
:class:`Ping`, :class:`Pong`, :class:`Close` (control frames may arrive between the
fragments of a message) and :class:`MessageTooLarge` (a message over ``max_message_bytes``:
the rest of it is skipped without being buffered and the connection stays usable).
Anything that breaks the protocol raises :class:`WebSocketProtocolError` with the close
code to send (1002 protocol error, 1007 invalid UTF-8); nothing else is raised for any
input, and after an error the decoder raises it again for whatever it is fed.

No extensions are negotiated, so every reserved bit must be 0; client frames must be
masked (section 5.1). The encoders write unmasked server frames.
"""
from __future__ import annotations

import base64
import codecs
import hashlib
import struct

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_NO_STATUS = 1005           # "no code in the close frame": never sent on the wire
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_MESSAGE_TOO_BIG = 1009
#: Codes a peer may send: the defined ones (not the local-only 1005, 1006, 1015) and 3000-4999.
_REMOTE_CLOSE_CODES = frozenset((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013))
_LOCAL_ONLY_CLOSE_CODES = frozenset((1005, 1006, 1015))
MAX_CONTROL_PAYLOAD = 125

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocketProtocolError(Exception):
    """The peer broke RFC 6455; close the connection with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


#: A message this long or longer is delivered as its list of unmasked pieces (UTF-8 already
#: checked for text), not joined and decoded: the JSON-RPC layer parses such a body piece by
#: piece on a worker thread anyway (it is 256 KiB there too, ``DECODE_INLINE_LIMIT``).
STREAMED_MESSAGE_BYTES = 256 * 1024


class TextMessage:
    """``data``: the text, or for a long message the list of its UTF-8 pieces."""
    __slots__ = ("data",)

    def __init__(self, data: str | list[bytes]) -> None:
        self.data = data


class BinaryMessage:
    """``data``: the bytes, or for a long message the list of its pieces."""
    __slots__ = ("data",)

    def __init__(self, data: bytes | list[bytes]) -> None:
        self.data = data


class Ping:
    __slots__ = ("payload",)

    def __init__(self, payload: bytes) -> None:
        self.payload = payload


class Pong:
    __slots__ = ("payload",)

    def __init__(self, payload: bytes) -> None:
        self.payload = payload


class Close:
    """The peer's close frame; ``code`` is 1005 when it carried none."""
    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class MessageTooLarge:
    """A message longer than the limit began; its frames are being skipped."""
    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit


Event = TextMessage | BinaryMessage | Ping | Pong | Close | MessageTooLarge


def _unmask(payload: bytes | bytearray, mask: bytes | bytearray) -> bytes:
    n = len(payload)
    if not n or mask == b"\0\0\0\0":
        return bytes(payload)
    return (int.from_bytes(payload, "little")
            ^ int.from_bytes((bytes(mask) * ((n >> 2) + 1))[:n], "little")).to_bytes(n, "little")


def _rotated(mask: bytes, offset: int) -> bytes:
    """The mask for payload bytes that start ``offset`` bytes into the frame."""
    shift = offset & 3
    return mask[shift:] + mask[:shift] if shift else mask


def _valid_prefix(utf8, piece: bytes) -> bool:
    try:
        utf8.decode(piece)
    except UnicodeDecodeError:
        return False
    return True


def _parse_close(payload: bytes) -> Close:
    if not payload:
        return Close(CLOSE_NO_STATUS, "")
    if len(payload) == 1:
        raise WebSocketProtocolError(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload")
    code = (payload[0] << 8) | payload[1]
    if code in _LOCAL_ONLY_CLOSE_CODES:
        raise WebSocketProtocolError(CLOSE_PROTOCOL_ERROR, "remote close with a local-only code")
    if code not in _REMOTE_CLOSE_CODES and not 3000 <= code <= 4999:
        raise WebSocketProtocolError(CLOSE_PROTOCOL_ERROR, "close frame with an invalid code")
    try:
        reason = payload[2:].decode()
    except UnicodeDecodeError:
        raise WebSocketProtocolError(CLOSE_INVALID_PAYLOAD, "invalid UTF-8 in the close reason") from None
    return Close(code, reason)


class FrameDecoder:
    """Client frames in, events out. ``max_message_bytes`` bounds a reassembled message."""

    def __init__(self, max_message_bytes: int, initial: bytes = b"") -> None:
        self.limit = max_message_bytes
        self._buf = bytearray(initial)
        self._parts: list[bytes] = []   # unmasked pieces of the message being assembled
        self._opcode = 0                # its opcode (1 text, 2 binary), 0 between messages
        self._size = 0                  # its size so far, counting the whole of the current frame
        self._utf8 = None               # incremental UTF-8 check of a long text message's pieces
        self._utf8_bad = False
        self._left = 0                  # payload bytes of the current data frame still to come
        self._taken = 0                 # payload bytes of it already taken (for the mask's phase)
        self._mask = b""
        self._fin = False
        self._dropping = False          # the rest of an oversized message is being skipped
        self._skip = 0                  # payload bytes of an oversized frame still to skip
        self._error: WebSocketProtocolError | None = None

    def feed(self, data: bytes) -> None:
        self._buf += data

    def _fail(self, code: int, reason: str) -> WebSocketProtocolError:
        self._error = WebSocketProtocolError(code, reason)
        self._buf.clear()
        self._parts = []
        return self._error

    def _take(self, masked: bytes | bytearray) -> None:
        """Unmask a piece of the current data frame's payload and keep it."""
        piece = _unmask(masked, _rotated(self._mask, self._taken))
        self._taken += len(piece)
        self._parts.append(piece)
        if self._utf8 is not None:
            self._check_utf8(piece)
        elif self._opcode == OP_TEXT and self._size >= STREAMED_MESSAGE_BYTES:
            # a long text message: from here on each piece is checked as it arrives
            self._utf8 = codecs.getincrementaldecoder("utf-8")()
            for earlier in self._parts:
                self._check_utf8(earlier)

    def _check_utf8(self, piece: bytes) -> None:
        if not self._utf8_bad and not _valid_prefix(self._utf8, piece):
            self._utf8_bad = True  # reported when the message ends, as for a short one

    def _reset_message(self) -> None:
        self._parts, self._opcode, self._size, self._utf8, self._utf8_bad = [], 0, 0, None, False

    def _finish(self) -> TextMessage | BinaryMessage:
        """The message whose last frame just ended."""
        parts, text, utf8 = self._parts, self._opcode == OP_TEXT, self._utf8
        streamed = self._size >= STREAMED_MESSAGE_BYTES
        bad = self._utf8_bad
        self._reset_message()
        if streamed:
            if text:
                # _size reached the threshold at a frame header with payload to come, so _take
                # started the incremental check (utf8) on that frame's first piece
                if not bad:
                    try:
                        utf8.decode(b"", True)
                    except UnicodeDecodeError:
                        bad = True
                if bad:
                    raise self._fail(CLOSE_INVALID_PAYLOAD, "invalid UTF-8 in a text message")
                return TextMessage(parts)
            return BinaryMessage(parts)
        payload = parts[0] if len(parts) == 1 else b"".join(parts)
        if not text:
            return BinaryMessage(payload)
        try:
            return TextMessage(payload.decode())
        except UnicodeDecodeError:
            raise self._fail(CLOSE_INVALID_PAYLOAD, "invalid UTF-8 in a text message") from None

    def events(self) -> list[Event]:
        """The events that the bytes fed so far complete.

        Raises :class:`WebSocketProtocolError` at a frame that breaks the protocol; the
        events of the frames before it are returned first (the next call raises)."""
        if self._error is not None:
            raise self._error
        buf = self._buf
        pos = 0
        out: list[Event] = []
        try:
            while True:
                avail = len(buf) - pos
                if self._left:
                    # inside a data frame: take what has arrived of its payload, never more
                    # than one read's worth is buffered
                    n = self._left if self._left < avail else avail
                    if not n:
                        break
                    self._take(buf[pos:pos + n])
                    pos += n
                    self._left -= n
                    if self._left:
                        break
                    if self._fin:
                        out.append(self._finish())
                    continue
                if self._skip:
                    n = self._skip if self._skip < avail else avail
                    pos += n
                    self._skip -= n
                    if self._skip:
                        break
                    continue
                if avail < 2:
                    break
                b0 = buf[pos]
                b1 = buf[pos + 1]
                opcode = b0 & 0x0F
                fin = b0 & 0x80
                length = b1 & 0x7F
                head = 6
                if b0 & 0x70:
                    raise self._fail(CLOSE_PROTOCOL_ERROR, "reserved bit set")
                if opcode > 2 and opcode not in (OP_CLOSE, OP_PING, OP_PONG):
                    raise self._fail(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
                if not b1 & 0x80:
                    raise self._fail(CLOSE_PROTOCOL_ERROR, "client frame not masked")
                if opcode > 2 and (length > MAX_CONTROL_PAYLOAD or not fin):
                    raise self._fail(CLOSE_PROTOCOL_ERROR, "control frame fragmented or too long")
                if length == 126:
                    if avail < 4:
                        break
                    length = (buf[pos + 2] << 8) | buf[pos + 3]
                    head = 8
                    if length < 126:
                        raise self._fail(CLOSE_PROTOCOL_ERROR, "length not minimally encoded")
                elif length == 127:
                    if avail < 10:
                        break
                    length = struct.unpack_from("!Q", buf, pos + 2)[0]
                    head = 14
                    if length < 65536 or length >> 63:
                        raise self._fail(CLOSE_PROTOCOL_ERROR, "length not minimally encoded or too large")
                if opcode > 2:
                    end = pos + head + length
                    if len(buf) < end:
                        break
                    payload = _unmask(buf[pos + head:end], buf[pos + head - 4:pos + head])
                    pos = end
                    if opcode == OP_PING:
                        out.append(Ping(payload))
                    elif opcode == OP_PONG:
                        out.append(Pong(payload))
                    else:
                        try:
                            out.append(_parse_close(payload))
                        except WebSocketProtocolError as exc:
                            raise self._fail(exc.code, exc.reason) from None
                    continue
                if (opcode == 0) != bool(self._opcode or self._dropping):
                    raise self._fail(CLOSE_PROTOCOL_ERROR,
                                     "unexpected continuation" if opcode == 0 else "expected continuation")
                if self._dropping or self._size + length > self.limit:
                    if avail < head:
                        break
                    if not self._dropping:
                        out.append(MessageTooLarge(self.limit))
                        self._reset_message()
                    self._dropping = not fin
                    pos += head
                    self._skip = length
                    continue
                if avail < head:
                    break
                self._mask = bytes(buf[pos + head - 4:pos + head])
                pos += head
                if opcode:
                    self._opcode = opcode
                self._size += length
                self._left, self._taken, self._fin = length, 0, bool(fin)
                if not length and fin:
                    out.append(self._finish())
        except WebSocketProtocolError:
            if out:  # what came before the bad frame first; the error on the next call
                return out
            raise
        finally:
            if pos and self._error is None:
                del buf[:pos]
        return out


# --- encoding (server frames: unmasked) ---------------------------------------------------------

def encode_frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = None) -> bytes:
    """One frame; ``mask`` (4 bytes) masks it as a client would."""
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    masked = 0x80 if mask is not None else 0
    if n < 126:
        head = bytes((first, masked | n))
    elif n < 65536:
        head = bytes((first, masked | 126)) + struct.pack("!H", n)
    else:
        head = bytes((first, masked | 127)) + struct.pack("!Q", n)
    if mask is None:
        return head + payload
    return head + mask + _unmask(payload, mask)


def encode_text(payload: bytes) -> bytes:
    """A final, unmasked text frame of already UTF-8 ``payload`` (the hot path)."""
    return text_header(len(payload)) + payload


def text_header(n: int) -> bytes:
    """The header of a final, unmasked text frame of ``n`` payload bytes (sent before them)."""
    if n < 126:
        return bytes((0x81, n))
    if n < 65536:
        return b"\x81\x7e" + struct.pack("!H", n)
    return b"\x81\x7f" + struct.pack("!Q", n)


def _truncate_utf8(data: bytes, limit: int) -> bytes:
    return data[:limit].decode(errors="ignore").encode()


def encode_close(code: int | None = CLOSE_NORMAL, reason: str | None = None) -> bytes:
    """A close frame. 1005 (or None) sends no code; the other local-only codes become 1000;
    the reason is cut (on a character boundary) to fit a control frame."""
    if code is None or code == CLOSE_NO_STATUS:
        return encode_frame(OP_CLOSE, b"")
    if code in _LOCAL_ONLY_CLOSE_CODES:
        code = CLOSE_NORMAL
    payload = struct.pack("!H", code)
    if reason:
        payload += _truncate_utf8(reason.encode(), MAX_CONTROL_PAYLOAD - 2)
    return encode_frame(OP_CLOSE, payload)


def accept_token(key: bytes) -> bytes:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (section 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.strip() + _GUID).digest())
