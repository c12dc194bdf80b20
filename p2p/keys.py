"""Persistent node identity (Ed25519 libp2p key).

Like Substrate, the key lives in ``<base>/network/secret_ed25519`` as the raw
32-byte Ed25519 secret (seed).  ``--node-key`` takes the same 32 bytes as hex.
The libp2p peer id of an Ed25519 key is the identity multihash of its
protobuf-encoded public key, which base58-encodes to ``12D3KooW...``.
"""
from __future__ import annotations

import os
import pathlib

from libp2p.crypto.ed25519 import Ed25519PrivateKey
from libp2p.crypto.keys import KeyPair
from libp2p.peer.id import ID

SECRET_FILE = ("network", "secret_ed25519")


def keypair_from_secret(secret: bytes) -> KeyPair:
    if len(secret) != 32:
        raise ValueError(f"ed25519 node key must be 32 bytes, got {len(secret)}")
    priv = Ed25519PrivateKey.new(bytes(secret))
    return KeyPair(priv, priv.get_public_key())


def keypair_from_hex(node_key: str) -> KeyPair:
    """``--node-key`` value: 64 hex chars (an optional 0x prefix is accepted)."""
    s = node_key.strip()
    if s.startswith(("0x", "0X")):
        s = s[2:]
    try:
        raw = bytes.fromhex(s)
    except ValueError as exc:
        raise ValueError("--node-key must be 32 bytes of hex") from exc
    return keypair_from_secret(raw)


def secret_of(kp: KeyPair) -> bytes:
    # PyNaCl's SigningKey serialises to its 32-byte seed.
    return bytes(kp.private_key.to_bytes())[:32]


def generate_keypair() -> KeyPair:
    priv = Ed25519PrivateKey.new()
    return KeyPair(priv, priv.get_public_key())


def node_key_path(base_path: str | os.PathLike[str]) -> pathlib.Path:
    return pathlib.Path(base_path).joinpath(*SECRET_FILE)


def load_or_generate_keypair(base_path: str | os.PathLike[str]) -> KeyPair:
    """Load ``<base>/network/secret_ed25519`` or create it (mode 0600)."""
    path = node_key_path(base_path)
    if path.exists():
        raw = path.read_bytes()
        if len(raw) == 64:  # tolerate a hex-encoded file
            try:
                return keypair_from_hex(raw.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                pass
        return keypair_from_secret(raw)
    kp = generate_keypair()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, secret_of(kp))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return kp


def resolve_keypair(base_path: str | os.PathLike[str] | None = None,
                    node_key_hex: str | None = None) -> KeyPair:
    """``--node-key`` wins; else the persisted file; else an ephemeral key."""
    if node_key_hex:
        return keypair_from_hex(node_key_hex)
    if base_path is not None:
        return load_or_generate_keypair(base_path)
    return generate_keypair()


def peer_id_of(kp: KeyPair) -> str:
    return ID.from_pubkey(kp.public_key).to_base58()
