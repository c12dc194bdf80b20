"""Substrate secret URIs (``sp_core::crypto::SecretUri``) and derivation junctions.

    [phrase | 0x<32-byte hex seed>] ( "//" hard | "/" soft )* [ "///" password ]

An empty phrase means the development phrase :data:`DEV_PHRASE` (``//Alice``). A junction that is
a decimal ``u64`` is SCALE-encoded as ``u64``, anything else as a SCALE ``str``; the encoding is
zero-padded to 32 bytes, or ``blake2_256``-hashed if longer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from primitives.hashing import blake2_256
from primitives.key_errors import InvalidSecretUri
from primitives.scale import encode_compact

DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
JUNCTION_ID_LEN = 32
_U64_MAX = 2**64 - 1


def _scale_str(s: str) -> bytes:
    b = s.encode("utf-8")
    return encode_compact(len(b)) + b


@dataclass(frozen=True)
class DeriveJunction:
    """One derivation step: a 32-byte chain code and whether it is hard (``//``)."""

    chain_code: bytes
    hard: bool

    @classmethod
    def from_path_element(cls, code: str, hard: bool) -> "DeriveJunction":
        """``sp_core::DeriveJunction::from(&str)``: u64 numbers encode as u64, else as str."""
        if re.fullmatch(r"\+?[0-9]+", code, flags=re.ASCII) and int(code) <= _U64_MAX:
            encoded = int(code).to_bytes(8, "little")
        else:
            encoded = _scale_str(code)
        if len(encoded) > JUNCTION_ID_LEN:
            cc = blake2_256(encoded)
        else:
            cc = encoded.ljust(JUNCTION_ID_LEN, b"\0")
        return cls(cc, hard)

    @classmethod
    def soft(cls, code: str | int) -> "DeriveJunction":
        return cls.from_path_element(str(code), False)

    @classmethod
    def hard_(cls, code: str | int) -> "DeriveJunction":
        return cls.from_path_element(str(code), True)


@dataclass(frozen=True)
class SecretUri:
    phrase: str
    junctions: tuple[DeriveJunction, ...]
    password: str | None
    path: str  # the textual derivation path, e.g. "//Alice/1"


# sp_core: ^(?P<phrase>[\d\w ]+)?(?P<path>(//?[^/]+)*)(///(?P<password>.*))?$
_SURI_RE = re.compile(r"(?P<phrase>[\w ]+)?(?P<path>(?://?[^/]+)*)(?:///(?P<password>.*))?",
                      re.DOTALL)
_JUNCTION_RE = re.compile(r"/(/?[^/]+)")


def parse_secret_uri(suri: str) -> SecretUri:
    """Split a secret URI into phrase (or hex seed), junctions and password."""
    if not isinstance(suri, str):
        raise InvalidSecretUri(f"secret URI must be a str, got {type(suri).__name__}")
    m = _SURI_RE.fullmatch(suri)
    if m is None:
        raise InvalidSecretUri(f"invalid secret URI {_redact(suri)!r}: expected "
                               "'<phrase or 0x seed>[//hard][/soft][///password]'")
    phrase = m.group("phrase")
    phrase = DEV_PHRASE if phrase is None else phrase
    path = m.group("path") or ""
    junctions = []
    for j in _JUNCTION_RE.findall(path):
        hard = j.startswith("/")
        junctions.append(DeriveJunction.from_path_element(j[1:] if hard else j, hard))
    return SecretUri(phrase, tuple(junctions), m.group("password"), path)


def _redact(suri: str) -> str:
    """Never echo secret phrases in error messages; keep only the path part."""
    i = suri.find("/")
    return "<secret>" + (suri[i:] if i >= 0 else "")
