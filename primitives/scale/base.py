"""What the codec and its compiled fast paths share: the error type and compact integers."""
from __future__ import annotations


class ScaleError(ValueError):
    """Raised for any value that cannot be encoded or any bytes that cannot be decoded."""


_COMPACT_SMALL = [bytes((n << 2,)) for n in range(64)]   # the trie encodes these on every node


def encode_compact(value: int) -> bytes:
    """SCALE compact (variable-length) integer encoding."""
    if 0 <= value < 64:
        return _COMPACT_SMALL[value]
    if value < 0:
        raise ScaleError(f"compact: negative value {value}")
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    length = (value.bit_length() + 7) // 8
    if length > 67:
        raise ScaleError("compact: value too large")
    return bytes((((length - 4) << 2) | 3,)) + value.to_bytes(length, "little")


def decode_compact(data: bytes, pos: int) -> tuple[int, int]:
    """Decode a compact integer; rejects non-canonical encodings as Substrate does."""
    first = data[pos]
    mode = first & 3
    if mode == 0:
        return first >> 2, pos + 1
    if mode == 1:
        if pos + 2 > len(data):
            raise ScaleError("compact: input too short")
        value = int.from_bytes(data[pos:pos + 2], "little") >> 2
        if value < 1 << 6:
            raise ScaleError("compact: non-canonical encoding")
        return value, pos + 2
    if mode == 2:
        if pos + 4 > len(data):
            raise ScaleError("compact: input too short")
        value = int.from_bytes(data[pos:pos + 4], "little") >> 2
        if value < 1 << 14:
            raise ScaleError("compact: non-canonical encoding")
        return value, pos + 4
    length = (first >> 2) + 4
    end = pos + 1 + length
    if end > len(data):
        raise ScaleError("compact: input too short")
    value = int.from_bytes(data[pos + 1:end], "little")
    if value < 1 << 30 or (length > 4 and value >> ((length - 1) * 8) == 0):
        raise ScaleError("compact: non-canonical encoding")
    return value, end

