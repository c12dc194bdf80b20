"""BIP39 English mnemonics as Substrate uses them (``substrate_bip39``).

A mnemonic becomes a 32-byte *mini secret* with Substrate's rule
``PBKDF2-HMAC-SHA512(entropy, "mnemonic" + password, 2048)[:32]``, where ``entropy`` is the BIP39
entropy (not the phrase text, unlike BIP39's own seed). Word handling (validation, phrase ->
entropy -> mini secret, generation) uses py-bip39-bindings (the ``bip39`` module, the same Rust code
substrate-interface uses); :func:`mini_secret_from_entropy` is the pure-Python form of the derivation.
"""
from __future__ import annotations

import hashlib

from primitives.key_errors import InvalidMnemonic

try:
    import bip39 as _bip39  # py-bip39-bindings
except ImportError:  # pragma: no cover - exercised only without the package
    _bip39 = None


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
