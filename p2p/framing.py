"""Length-prefixed framing over libp2p streams.

A frame on the wire is ``uvarint(len(body)) || body`` where ``uvarint`` is the
unsigned LEB128 varint used by libp2p/multiformats (and by Substrate's
request/response and notification substreams).  Each reader is given a hard
limit per call; a length prefix above it raises :class:`FrameTooLarge`
*before* any of the body is buffered, so a peer cannot make us allocate more
than the limit.
"""
from __future__ import annotations

from typing import Any

from p2p.errors import FrameTooLarge, MalformedFrame, StreamClosed

# 9 bytes of varint hold 63 bits: far beyond any limit we accept.
MAX_VARINT_LEN = 9
READ_CHUNK = 64 * 1024


def encode_uvarint(n: int) -> bytes:
    if n < 0:
        raise ValueError("uvarint must be non-negative")
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def decode_uvarint(buf: bytes | bytearray | memoryview, pos: int = 0) -> tuple[int, int] | None:
    """Decode a uvarint at ``buf[pos:]``.

    Returns ``(value, new_pos)``, or ``None`` when more bytes are needed.
    Raises :class:`MalformedFrame` for an over-long or non-minimal encoding.
    """
    value = 0
    shift = 0
    end = len(buf)
    i = pos
    while i < end:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            if b == 0 and i - pos > 1:
                raise MalformedFrame("non-minimal varint")
            return value, i
        shift += 7
        if i - pos >= MAX_VARINT_LEN:
            raise MalformedFrame("varint too long")
    return None


def encode_frame(body: bytes) -> bytes:
    return encode_uvarint(len(body)) + body


class FramedStream:
    """Buffered frame reader/writer around a libp2p ``INetStream``.

    ``bytes_in`` / ``bytes_out`` count wire bytes (prefixes included).
    """

    __slots__ = ("stream", "_buf", "_pos", "bytes_in", "bytes_out", "frames_in")

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self._buf = bytearray()
        self._pos = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.frames_in = 0

    @property
    def buffered(self) -> int:
        return len(self._buf) - self._pos

    async def _fill(self) -> None:
        try:
            data = await self.stream.read(READ_CHUNK)
        except Exception as exc:  # libp2p raises StreamEOF/StreamReset/StreamError/...
            raise StreamClosed(f"{type(exc).__name__}: {exc}") from exc
        if not data:
            raise StreamClosed("EOF")
        self.bytes_in += len(data)
        self._buf += data

    def _compact(self) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0

    async def read_frame(self, max_size: int) -> bytes:
        """Read one frame body.  ``max_size`` bounds the body length."""
        while True:
            parsed = decode_uvarint(self._buf, self._pos)
            if parsed is not None:
                break
            self._compact()
            await self._fill()
        length, start = parsed
        if length > max_size:
            raise FrameTooLarge(length, max_size)
        end = start + length
        if len(self._buf) < end:
            # move the partial frame to the front once, then append until complete
            shift = self._pos
            self._compact()
            start -= shift
            end -= shift
            while len(self._buf) < end:
                await self._fill()
        body = bytes(self._buf[start:end])
        if end == len(self._buf):
            self._buf.clear()
            self._pos = 0
        else:
            self._pos = end
        self.frames_in += 1
        return body

    async def write_raw(self, data: bytes) -> None:
        try:
            await self.stream.write(data)
        except Exception as exc:
            raise StreamClosed(f"{type(exc).__name__}: {exc}") from exc
        self.bytes_out += len(data)

    async def write_frame(self, body: bytes) -> None:
        await self.write_raw(encode_frame(body))

    async def close(self) -> None:
        try:
            await self.stream.close()
        except Exception:
            pass

    async def reset(self) -> None:
        try:
            await self.stream.reset()
        except Exception:
            pass
