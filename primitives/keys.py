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

The parts live in their own modules, re-exported here: :mod:`primitives.suri` (secret URIs and
junctions), :mod:`primitives.mnemonic` (BIP39), :mod:`primitives.merlin` (the transcript for sr25519
hard derivation), :mod:`primitives.key_errors`; this module holds the key pairs.
"""
from __future__ import annotations

import re
import secrets
from typing import Iterable

import nacl.bindings as _nacl
import sr25519 as _sr25519

from primitives import crypto as _crypto
from primitives.hashing import blake2_256
from primitives.key_errors import (InvalidDerivation, InvalidMnemonic, InvalidSecretUri, InvalidSeed,  # noqa: F401
                                   KeyringError, UnsupportedScheme)
from primitives.merlin import MerlinTranscript, sr25519_hard_derive_mini_secret  # noqa: F401
from primitives.mnemonic import (generate_mnemonic, mini_secret_from_entropy, mnemonic_to_mini_secret,  # noqa: F401
                                 validate_mnemonic)
from primitives.scale import encode_compact
from primitives.ss58 import DEFAULT_SS58_FORMAT, ss58_decode_with_format, ss58_encode
from primitives.suri import (_JUNCTION_RE, DEV_PHRASE, JUNCTION_ID_LEN, DeriveJunction, SecretUri,  # noqa: F401
                            parse_secret_uri)

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

SCHEMES = ("sr25519", "ed25519", "ecdsa")


def _scheme(scheme: str) -> str:
    s = str(scheme).lower()
    if s not in SCHEMES:
        raise UnsupportedScheme(f"unknown key scheme {scheme!r}; expected one of {SCHEMES}")
    if s == "ecdsa" and _coincurve is None:
        raise UnsupportedScheme("ecdsa keys need the 'coincurve' package")
    return s


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
        new_seed = blake2_256(encode_compact(len(tag)) + tag + self._secret + cc)
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
