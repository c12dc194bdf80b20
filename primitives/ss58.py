"""SS58 address format (https://docs.substrate.io/reference/address-formats/).

``base58( prefix ++ data ++ checksum )`` where

* ``prefix`` is one byte for address types 0..63 and two bytes for 64..16383:
  ``b0 = ((t & 0xFC) >> 2) | 0x40``, ``b1 = (t >> 8) | ((t & 0x03) << 6)``;
* ``checksum`` is the first 1 or 2 bytes of ``blake2b-512(b"SS58PRE" ++ prefix ++ data)``:
  1 byte for 1/2/4/8-byte data (account indices), 2 bytes for 32/33-byte data
  (AccountId32, compressed ECDSA public keys).

Prefix bytes 0b10xxxxxx (128..255) are reserved and rejected, as are the reserved address
types 46 and 47 (``sp_core``'s ``format_is_allowed``); the bitcoin base58 alphabet is used.
"""
from __future__ import annotations

import hashlib

__all__ = [
    "SS58Error",
    "DEFAULT_SS58_FORMAT",
    "ss58_encode",
    "ss58_decode",
    "ss58_decode_with_format",
    "is_valid_ss58_address",
    "base58_encode",
    "base58_decode",
    "NETWORK_NAMES",
    "parse_network",
    "network_name",
]

DEFAULT_SS58_FORMAT = 42
MAX_SS58_FORMAT = 16383
RESERVED_SS58_FORMATS = frozenset((46, 47))

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_PREFIX = b"SS58PRE"

#: data length -> checksum length
_CHECKSUM_LEN = {1: 1, 2: 1, 4: 1, 8: 1, 32: 2, 33: 2}

#: A few well-known networks from the ss58-registry (names as subkey prints them).
NETWORK_NAMES = {0: "polkadot", 2: "kusama", 42: "substrate"}
_NAME_TO_FORMAT = {v: k for k, v in NETWORK_NAMES.items()}


class SS58Error(ValueError):
    """Invalid SS58 input (bad character, checksum, length or address type)."""


# --- base58 ------------------------------------------------------------------------------

def base58_encode(data: bytes) -> str:
    data = bytes(data)
    n_zero = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_ALPHABET[rem])
    return "1" * n_zero + "".join(reversed(out))


def base58_decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise SS58Error(f"expected a str, got {type(text).__name__}")
    num = 0
    for pos, ch in enumerate(text):
        try:
            num = num * 58 + _INDEX[ch]
        except KeyError:
            raise SS58Error(f"invalid base58 character {ch!r} at position {pos}") from None
    n_zero = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * n_zero + body


# --- SS58 --------------------------------------------------------------------------------

def _checksum(prefixed: bytes) -> bytes:
    return hashlib.blake2b(_PREFIX + prefixed, digest_size=64).digest()


def _encode_prefix(ss58_format: int) -> bytes:
    if isinstance(ss58_format, bool) or not isinstance(ss58_format, int):
        raise SS58Error(f"SS58 format must be an int, got {ss58_format!r}")
    if not 0 <= ss58_format <= MAX_SS58_FORMAT:
        raise SS58Error(f"SS58 format {ss58_format} out of range 0..{MAX_SS58_FORMAT}")
    if ss58_format in RESERVED_SS58_FORMATS:
        raise SS58Error(f"SS58 format {ss58_format} is reserved")
    if ss58_format < 64:
        return bytes((ss58_format,))
    first = ((ss58_format & 0b0000_0000_1111_1100) >> 2) | 0b0100_0000
    second = (ss58_format >> 8) | ((ss58_format & 0b0000_0000_0000_0011) << 6)
    return bytes((first, second))


def ss58_encode(data: bytes, ss58_format: int = DEFAULT_SS58_FORMAT) -> str:
    """Encode ``data`` (usually a 32-byte AccountId) for address type ``ss58_format``."""
    try:
        data = bytes(data)
    except TypeError:
        raise SS58Error(f"data must be bytes, got {type(data).__name__}") from None
    if len(data) not in _CHECKSUM_LEN:
        raise SS58Error(f"cannot SS58-encode {len(data)} bytes; "
                        f"supported lengths: {sorted(_CHECKSUM_LEN)}")
    prefixed = _encode_prefix(ss58_format) + data
    return base58_encode(prefixed + _checksum(prefixed)[:_CHECKSUM_LEN[len(data)]])


def ss58_decode_with_format(address: str) -> tuple[bytes, int]:
    """Decode an SS58 string into ``(data, ss58_format)``; raises :class:`SS58Error`."""
    raw = base58_decode(address)
    if len(raw) < 2:
        raise SS58Error(f"SS58 address too short ({len(raw)} bytes)")
    b0 = raw[0]
    if b0 < 64:
        prefix_len, fmt = 1, b0
    elif b0 < 128:
        lower = ((b0 << 2) | (raw[1] >> 6)) & 0xFF
        upper = raw[1] & 0b0011_1111
        prefix_len, fmt = 2, lower | (upper << 8)
    else:
        raise SS58Error(f"invalid SS58 prefix byte 0x{b0:02x} (reserved range)")
    rest = len(raw) - prefix_len
    for data_len, ck_len in _CHECKSUM_LEN.items():
        if data_len + ck_len == rest:
            break
    else:
        raise SS58Error(f"invalid SS58 address length: {len(raw)} bytes "
                        f"({prefix_len}-byte prefix + {rest})")
    body, checksum = raw[:-ck_len], raw[-ck_len:]
    if _checksum(body)[:ck_len] != checksum:
        raise SS58Error("invalid SS58 checksum")
    if fmt in RESERVED_SS58_FORMATS:
        raise SS58Error(f"SS58 format {fmt} is reserved")
    return body[prefix_len:], fmt


def ss58_decode(address: str, valid_ss58_format: int | None = None) -> bytes:
    """Decode an SS58 string into its data (e.g. the 32-byte AccountId).

    With ``valid_ss58_format`` set, an address of any other type raises :class:`SS58Error`.
    """
    data, fmt = ss58_decode_with_format(address)
    if valid_ss58_format is not None and fmt != valid_ss58_format:
        raise SS58Error(f"SS58 format {fmt} does not match expected {valid_ss58_format}")
    return data


def parse_account(value: str | bytes) -> bytes:
    """A 32-byte account id from an SS58 address or ``0x`` hex (bytes pass through); ValueError if neither."""
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    elif not isinstance(value, str):
        raise ValueError("expected an SS58 address or hex")
    elif value[:2] in ("0x", "0X"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raise ValueError("invalid hex string") from None
    else:
        return ss58_decode(value)
    if len(raw) != 32:
        raise ValueError("expected 32 bytes")
    return raw


def is_valid_ss58_address(address: str, valid_ss58_format: int | None = None) -> bool:
    try:
        ss58_decode(address, valid_ss58_format)
    except SS58Error:
        return False
    return True


def parse_network(value: str | int) -> int:
    """Parse a ``--network`` value: a registry name from :data:`NETWORK_NAMES` or a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        fmt = value
    else:
        text = str(value).strip()
        if text.lower() in _NAME_TO_FORMAT:
            return _NAME_TO_FORMAT[text.lower()]
        try:
            fmt = int(text, 10)
        except ValueError:
            raise SS58Error(f"unknown network {value!r}: give an SS58 format number 0.."
                            f"{MAX_SS58_FORMAT} or one of {sorted(_NAME_TO_FORMAT)}") from None
    _encode_prefix(fmt)  # range check
    return fmt


def network_name(ss58_format: int) -> str:
    """The network name subkey prints for ``ss58_format`` (the number if not well known)."""
    return NETWORK_NAMES.get(ss58_format, str(ss58_format))
