"""The errors of key handling (secret URIs, mnemonics, seeds, derivation, schemes): all ``ValueError``s."""
from __future__ import annotations


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
