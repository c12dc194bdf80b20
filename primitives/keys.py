"""Key pairs from Substrate secret URIs, byte-compatible with ``sp_core`` / ``subkey``.

Secret URI grammar (``sp_core::crypto::SecretUri``)::

    [phrase | 0x<32-byte hex seed>] ( "//" hard | "/" soft )* [ "///" password ]

* An empty phrase means the development phrase :data:`DEV_PHRASE` (``//Alice``).
* A BIP39 English mnemonic becomes a 32-byte *mini secret* with Substrate's rule:
  ``PBKDF2-HMAC-SHA512(entropy, "mnemonic" + password, 2048)[:32]`` where ``entropy`` is
  the BIP39 entropy (not the phrase text, unlike BIP39's own seed).
* Junctions: a decimal ``u64`` is SCALE-encoded as ``u64``; anything else as a SCALE
  ``str``; the encoding is zero-padded to 32 bytes, or ``blake2_256``-hashed if longer.
* sr25519: hard and soft derivation (schnorrkel HDKD, via py-sr25519-bindings; the hard
  derived mini secret is also computed here so the "secret seed" can be shown and signing
  nonces stay deterministic, like ``sp_core``).
* ed25519: hard only; ``seed' = blake2_256(SCALE(("Ed25519HDKD", seed, chain_code)))``.
* ecdsa (secp256k1, as ``sp_core::ecdsa``): hard only, ``"Secp256k1HDKD"``; signatures
  are recoverable over ``blake2_256(message)``; AccountId = ``blake2_256(compressed pub)``.

BIP39 word handling (phrase validation, phrase -> entropy -> mini secret, generation)
uses py-bip39-bindings (the ``bip39`` module, the same Rust code substrate-interface
uses); :func:`mini_secret_from_entropy` is the pure-Python form of the derivation.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Iterable

import nacl.bindings as _nacl
import sr25519 as _sr25519

from primitives import crypto as _crypto
from primitives.hashing import blake2_256
from primitives.ss58 import DEFAULT_SS58_FORMAT, ss58_decode_with_format, ss58_encode

try:
    import bip39 as _bip39  # py-bip39-bindings
except ImportError:  # pragma: no cover - exercised only without the package
    _bip39 = None

try:
    import coincurve as _coincurve
except ImportError:  # pragma: no cover
    _coincurve = None

__all__ = [
    "DEV_PHRASE",
    "SCHEMES",
    "KeyringError",
    "InvalidSecretUri",
    "InvalidMnemonic",
    "InvalidSeed",
    "InvalidDerivation",
    "UnsupportedScheme",
    "DeriveJunction",
    "SecretUri",
    "parse_secret_uri",
    "mini_secret_from_entropy",
    "mnemonic_to_mini_secret",
    "validate_mnemonic",
    "generate_mnemonic",
    "Keypair",
    "public_to_account_id",
    "parse_public",
]

DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
SCHEMES = ("sr25519", "ed25519", "ecdsa")
JUNCTION_ID_LEN = 32
_U64_MAX = 2**64 - 1


class KeyringError(ValueError):
    """Base class of key errors (a ``ValueError``)."""


class InvalidSecretUri(KeyringError):
    pass


class InvalidMnemonic(KeyringError):
    pass


class InvalidSeed(KeyringError):
    pass


class InvalidDerivation(KeyringError):
    pass


class UnsupportedScheme(KeyringError):
    pass


def _scheme(scheme: str) -> str:
    s = str(scheme).lower()
    if s not in SCHEMES:
        raise UnsupportedScheme(f"unknown key scheme {scheme!r}; expected one of {SCHEMES}")
    if s == "ecdsa" and _coincurve is None:
        raise UnsupportedScheme("ecdsa keys need the 'coincurve' package")
    return s


# --- SCALE helpers (only what key derivation needs) --------------------------------------

def _compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes((n << 2,))
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    body = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes((((len(body) - 4) << 2) | 3,)) + body


def _scale_str(s: str) -> bytes:
    b = s.encode("utf-8")
    return _compact(len(b)) + b


# --- secret URIs -------------------------------------------------------------------------

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


# --- BIP39 -------------------------------------------------------------------------------

def mini_secret_from_entropy(entropy: bytes, password: str = "") -> bytes:
    """Substrate's mini secret: ``PBKDF2-HMAC-SHA512(entropy, "mnemonic"+password, 2048)[:32]``.

    (``substrate_bip39::mini_secret_from_entropy``; entropy must be 16..32 bytes, a
    multiple of 4.)
    """
    entropy = bytes(entropy)
    if len(entropy) < 16 or len(entropy) > 32 or len(entropy) % 4:
        raise InvalidMnemonic(f"invalid BIP39 entropy length {len(entropy)}")
    salt = ("mnemonic" + (password or "")).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha512", entropy, salt, 2048)[:32]


def _require_bip39():
    if _bip39 is None:
        raise InvalidMnemonic("mnemonic phrases need the 'py-bip39-bindings' package "
                              "(module 'bip39'); hex seeds work without it")
    return _bip39


def _normalize_phrase(phrase: str) -> str:
    return " ".join(phrase.split())


def validate_mnemonic(phrase: str) -> bool:
    """True for a valid BIP39 English mnemonic (word list and checksum)."""
    b = _require_bip39()
    try:
        return bool(b.bip39_validate(_normalize_phrase(phrase)))
    except Exception:  # user input to a key tool, off consensus paths: any failure means "not valid"
        return False


def mnemonic_to_mini_secret(phrase: str, password: str = "") -> bytes:
    """The 32-byte Substrate mini secret / seed for a BIP39 English mnemonic."""
    b = _require_bip39()
    norm = _normalize_phrase(phrase)
    n_words = len(norm.split(" ")) if norm else 0
    if n_words not in (12, 15, 18, 21, 24):
        raise InvalidMnemonic("invalid secret phrase: a BIP39 mnemonic has 12, 15, 18, 21 or 24 "
                              f"words, got {n_words}")
    if not validate_mnemonic(norm):
        raise InvalidMnemonic("invalid secret phrase: unknown BIP39 word or bad checksum")
    try:
        return bytes(b.bip39_to_mini_secret(norm, password or ""))
    except Exception as e:  # pragma: no cover - validate_mnemonic already passed
        raise InvalidMnemonic(f"invalid mnemonic: {e}") from None


def generate_mnemonic(words: int = 12) -> str:
    """A new random BIP39 English mnemonic of 12, 15, 18, 21 or 24 words."""
    if words not in (12, 15, 18, 21, 24):
        raise InvalidMnemonic(f"words must be one of 12, 15, 18, 21, 24, got {words}")
    return str(_require_bip39().bip39_generate(words))


# --- merlin transcript (for schnorrkel's hard derivation seed) ---------------------------
# Keccak-f[1600] + the STROBE-128 subset that merlin uses. Only key derivation uses this.

_RC = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)
_ROT = (0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61,
        56, 14)  # indexed x + 5*y
_M64 = (1 << 64) - 1


def _keccak_f1600(state: bytearray) -> None:
    a = [int.from_bytes(state[8 * i:8 * i + 8], "little") for i in range(25)]
    for rc in _RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _M64)
             for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                i = x + 5 * y
                r = _ROT[i]
                v = a[i]
                b[y + 5 * ((2 * x + 3 * y) % 5)] = ((v << r) | (v >> (64 - r))) & _M64 if r else v
        a = [b[i] ^ ((~b[(i % 5 + 1) % 5 + 5 * (i // 5)]) & b[(i % 5 + 2) % 5 + 5 * (i // 5)])
             for i in range(25)]
        a[0] ^= rc
    state[:] = b"".join(v.to_bytes(8, "little") for v in a)


class _Strobe128:
    R = 166
    F_I, F_A, F_C, F_T, F_M, F_K = 1, 2, 4, 8, 16, 32

    def __init__(self, protocol_label: bytes):
        st = bytearray(200)
        st[0:6] = bytes((1, self.R + 2, 1, 0, 1, 96))
        st[6:18] = b"STROBEv1.0.2"
        _keccak_f1600(st)
        self.st, self.pos, self.pos_begin, self.cur_flags = st, 0, 0, 0
        self.meta_ad(protocol_label, False)

    def _run_f(self):
        self.st[self.pos] ^= self.pos_begin
        self.st[self.pos + 1] ^= 0x04
        self.st[self.R + 1] ^= 0x80
        _keccak_f1600(self.st)
        self.pos = self.pos_begin = 0

    def _absorb(self, data: bytes):
        for byte in data:
            self.st[self.pos] ^= byte
            self.pos += 1
            if self.pos == self.R:
                self._run_f()

    def _squeeze(self, n: int) -> bytes:
        out = bytearray(n)
        for i in range(n):
            out[i] = self.st[self.pos]
            self.st[self.pos] = 0
            self.pos += 1
            if self.pos == self.R:
                self._run_f()
        return bytes(out)

    def _begin_op(self, flags: int, more: bool):
        if more:
            assert self.cur_flags == flags
            return
        old_begin = self.pos_begin
        self.pos_begin = self.pos + 1
        self.cur_flags = flags
        self._absorb(bytes((old_begin, flags)))
        if flags & (self.F_C | self.F_K) and self.pos != 0:
            self._run_f()

    def meta_ad(self, data: bytes, more: bool):
        self._begin_op(self.F_M | self.F_A, more)
        self._absorb(data)

    def ad(self, data: bytes, more: bool):
        self._begin_op(self.F_A, more)
        self._absorb(data)

    def prf(self, n: int, more: bool) -> bytes:
        self._begin_op(self.F_I | self.F_A | self.F_C, more)
        return self._squeeze(n)


class MerlinTranscript:
    """Minimal merlin v1.0 transcript (append_message / challenge_bytes)."""

    def __init__(self, label: bytes):
        self._s = _Strobe128(b"Merlin v1.0")
        self.append_message(b"dom-sep", label)

    def append_message(self, label: bytes, message: bytes) -> None:
        self._s.meta_ad(label, False)
        self._s.meta_ad(len(message).to_bytes(4, "little"), True)
        self._s.ad(message, False)

    def challenge_bytes(self, label: bytes, n: int) -> bytes:
        self._s.meta_ad(label, False)
        self._s.meta_ad(n.to_bytes(4, "little"), True)
        return self._s.prf(n, False)


def sr25519_hard_derive_mini_secret(secret_key: bytes, chain_code: bytes) -> bytes:
    """schnorrkel ``SecretKey::hard_derive_mini_secret_key(Some(cc), b"")`` -> mini secret.

    ``secret_key`` is the 64-byte schnorrkel secret (scalar ++ nonce); only the scalar is
    used.
    """
    t = MerlinTranscript(b"SchnorrRistrettoHDKD")
    t.append_message(b"sign-bytes", b"")
    t.append_message(b"chain-code", bytes(chain_code))
    t.append_message(b"secret-key", bytes(secret_key[:32]))
    return t.challenge_bytes(b"HDKD-hard", 32)


# --- key pairs ---------------------------------------------------------------------------

def public_to_account_id(public: bytes, scheme: str = "sr25519") -> bytes:
    """AccountId32 for a public key: itself for sr25519/ed25519, ``blake2_256`` for ecdsa."""
    public = bytes(public)
    if len(public) == 33:
        return blake2_256(public)
    if len(public) == 32:
        return public
    raise KeyringError(f"public key must be 32 bytes (or 33 for ecdsa), got {len(public)}")


def parse_public(text: str) -> tuple[bytes, int | None]:
    """Parse a public key given as ``0x`` hex or SS58; returns ``(public, ss58_format|None)``."""
    text = text.strip()
    if text.startswith("0x") or text.startswith("0X"):
        try:
            raw = bytes.fromhex(text[2:])
        except ValueError:
            raise KeyringError(f"invalid hex public key {text!r}") from None
        if len(raw) not in (32, 33):
            raise KeyringError(f"public key must be 32 or 33 bytes, got {len(raw)}")
        return raw, None
    data, fmt = ss58_decode_with_format(text)
    if len(data) not in (32, 33):
        raise KeyringError(f"SS58 address holds {len(data)} bytes, not a public key")
    return data, fmt


class Keypair:
    """An sr25519, ed25519 or ecdsa key pair.

    Attributes: ``scheme``, ``public_key`` (32 bytes; 33-byte compressed for ecdsa),
    ``seed`` (the 32-byte secret seed when known, else ``None``; soft sr25519 derivation
    loses it, as in ``sp_core``), ``ss58_format``.
    """

    __slots__ = ("scheme", "public_key", "seed", "ss58_format", "_secret", "_ecdsa")

    def __init__(self, scheme: str, public_key: bytes, secret: bytes, seed: bytes | None,
                 ss58_format: int = DEFAULT_SS58_FORMAT):
        self.scheme = scheme
        self.public_key = bytes(public_key)
        self._secret = bytes(secret)  # sr25519: 64-byte schnorrkel secret; others: seed
        self.seed = None if seed is None else bytes(seed)
        self.ss58_format = ss58_format
        self._ecdsa = _coincurve.PrivateKey(self._secret) if scheme == "ecdsa" else None

    # construction ---------------------------------------------------------------------

    @classmethod
    def from_seed(cls, seed: bytes | str, scheme: str = "sr25519",
                  ss58_format: int = DEFAULT_SS58_FORMAT) -> "Keypair":
        """From a 32-byte seed (bytes or ``0x`` hex): the sr25519 mini secret, the ed25519
        RFC 8032 seed, or the secp256k1 secret key."""
        scheme = _scheme(scheme)
        if isinstance(seed, str):
            text = seed[2:] if seed[:2] in ("0x", "0X") else seed
            try:
                seed = bytes.fromhex(text)
            except ValueError:
                raise InvalidSeed("seed is not valid hex") from None
        seed = bytes(seed)
        if len(seed) != 32:
            raise InvalidSeed(f"seed must be 32 bytes, got {len(seed)}")
        if scheme == "sr25519":
            public, secret = _sr25519.pair_from_seed(seed)
            return cls(scheme, public, secret, seed, ss58_format)
        if scheme == "ed25519":
            public, _sk = _nacl.crypto_sign_seed_keypair(seed)
            return cls(scheme, public, seed, seed, ss58_format)
        try:
            public = _coincurve.PrivateKey(seed).public_key.format(compressed=True)
        except Exception:  # user input to a key tool: coincurve's refusal of an invalid secret
            raise InvalidSeed("seed is not a valid secp256k1 secret key") from None
        return cls(scheme, public, seed, seed, ss58_format)

    @classmethod
    def from_mnemonic(cls, phrase: str, scheme: str = "sr25519", password: str = "",
                      ss58_format: int = DEFAULT_SS58_FORMAT) -> "Keypair":
        """From a BIP39 English mnemonic (``sp_core::Pair::from_phrase``)."""
        return cls.from_seed(mnemonic_to_mini_secret(phrase, password), scheme, ss58_format)

    @classmethod
    def from_uri(cls, suri: str, scheme: str = "sr25519", password: str | None = None,
                 ss58_format: int = DEFAULT_SS58_FORMAT) -> "Keypair":
        """From a secret URI (``sp_core::Pair::from_string``); ``password`` overrides the
        URI's ``///password``. A password has no effect on hex seeds (as in sp_core)."""
        scheme = _scheme(scheme)
        uri = parse_secret_uri(suri)
        pw = password if password is not None else uri.password
        phrase = uri.phrase
        if phrase.startswith("0x") or phrase.startswith("0X"):
            try:
                seed = bytes.fromhex(phrase[2:])
            except ValueError:
                raise InvalidSeed("secret URI seed is not valid hex") from None
            if len(seed) != 32:
                raise InvalidSeed(f"secret URI seed must be 32 bytes, got {len(seed)}")
            root = cls.from_seed(seed, scheme, ss58_format)
        else:
            root = cls.from_mnemonic(phrase, scheme, pw or "", ss58_format)
        return root.derive(uri.junctions)

    @classmethod
    def generate(cls, scheme: str = "sr25519", words: int = 12,
                 ss58_format: int = DEFAULT_SS58_FORMAT, password: str = "") -> tuple["Keypair", str]:
        """A new key pair from a fresh mnemonic; returns ``(keypair, phrase)``."""
        phrase = generate_mnemonic(words)
        return cls.from_mnemonic(phrase, scheme, password, ss58_format), phrase

    @classmethod
    def random(cls, scheme: str = "sr25519", ss58_format: int = DEFAULT_SS58_FORMAT) -> "Keypair":
        """A key pair from a random 32-byte seed (no mnemonic; for tests and tooling)."""
        while True:
            try:
                return cls.from_seed(secrets.token_bytes(32), scheme, ss58_format)
            except InvalidSeed:  # pragma: no cover - secp256k1 out of range, ~2**-128
                continue

    # derivation -----------------------------------------------------------------------

    def derive(self, junctions: Iterable[DeriveJunction] | str) -> "Keypair":
        """Apply junctions (objects, or a path string like ``"//Alice/0"``)."""
        if isinstance(junctions, str):
            path = junctions
            if not re.fullmatch(r"(?://?[^/]+)*", path, flags=re.DOTALL):
                raise InvalidDerivation(f"invalid derivation path {path!r}: expected "
                                        "'//hard' and '/soft' junctions")
            junctions = [DeriveJunction.from_path_element(j[1:] if j.startswith("/") else j,
                                                          j.startswith("/"))
                         for j in _JUNCTION_RE.findall(path)]
        kp = self
        for j in junctions:
            kp = kp._derive_one(j)
        return kp

    def _derive_one(self, j: DeriveJunction) -> "Keypair":
        cc = j.chain_code
        if self.scheme == "sr25519":
            if j.hard:
                mini = sr25519_hard_derive_mini_secret(self._secret, cc)
                public, secret = _sr25519.pair_from_seed(mini)
                # Keep the seed only while every step so far had one (sp_core semantics).
                return Keypair("sr25519", public, secret, mini if self.seed is not None else None,
                               self.ss58_format)
            _cc, public, secret = _sr25519.derive_keypair((cc, self.public_key, self._secret), b"")
            return Keypair("sr25519", public, secret, None, self.ss58_format)
        if not j.hard:
            raise InvalidDerivation(f"{self.scheme} supports only hard derivation ('//'), "
                                    "not soft ('/')")
        tag = b"Ed25519HDKD" if self.scheme == "ed25519" else b"Secp256k1HDKD"
        new_seed = blake2_256(_compact(len(tag)) + tag + self._secret + cc)
        return Keypair.from_seed(new_seed, self.scheme, self.ss58_format)

    # use ------------------------------------------------------------------------------

    @property
    def account_id(self) -> bytes:
        """The 32-byte AccountId32 (the public key; ``blake2_256(public)`` for ecdsa)."""
        return public_to_account_id(self.public_key)

    @property
    def ss58_address(self) -> str:
        return ss58_encode(self.account_id, self.ss58_format)

    @property
    def ss58_public_key(self) -> str:
        """SS58 of the public key itself (differs from the address only for ecdsa)."""
        return ss58_encode(self.public_key, self.ss58_format)

    @property
    def multisignature_kind(self) -> int:
        return {"ed25519": 0, "sr25519": 1, "ecdsa": 2}[self.scheme]

    def sign(self, message: bytes) -> bytes:
        """Raw signature: 64 bytes (sr25519, ed25519) or 65 (ecdsa ``r||s||v``).

        Sign exactly the bytes given; for an extrinsic payload pass
        ``crypto.signing_payload(payload)``.
        """
        message = bytes(message)
        if self.scheme == "sr25519":
            return bytes(_sr25519.sign((self.public_key, self._secret), message))
        if self.scheme == "ed25519":
            _pk, sk = _nacl.crypto_sign_seed_keypair(self._secret)
            return _nacl.crypto_sign(message, sk)[:64]
        return self._ecdsa.sign_recoverable(blake2_256(message), hasher=None)

    def sign_multisignature(self, message: bytes) -> bytes:
        """SCALE ``MultiSignature``: variant byte ++ signature."""
        return bytes((self.multisignature_kind,)) + self.sign(message)

    def verify(self, message: bytes, signature: bytes) -> bool:
        return _crypto.verify_multisignature(self.multisignature_kind, signature, message,
                                             self.account_id)

    def __repr__(self) -> str:
        return f"<Keypair {self.scheme} {self.ss58_address}>"
