"""Keys read from files, so that no secret has to appear on a command line.

Two Substrate conventions, so that the same volumes, Docker secrets and Kubernetes Secrets
work for both kinds of node:

* ``--keystore-path DIR``: Substrate's local keystore. A key is a file named
  ``hex(key type) + hex(public key)`` whose content is the secret URI as a JSON string
  (what ``author_insertKey`` and ``key insert`` write). The authority key is the one of type
  ``aura``; files of other types, and files whose names are not of that form (``README``,
  a ``node-key`` file beside them), are left alone.
* ``--node-key-file FILE``: the libp2p identity, as 64 hex characters or the raw 32 bytes.
"""
from __future__ import annotations

import json
import pathlib

from primitives.keys import Keypair

AURA = b"aura"
_NAME_LEN = 2 * (len(AURA) + 32)


class KeystoreError(ValueError):
    """The keystore or key file cannot give the key asked for (the message says why)."""


def keystore_file_name(key_type: bytes, public_key: bytes) -> str:
    return key_type.hex() + public_key.hex()


def keystore_entry(suri: str, key_type: bytes = AURA) -> tuple[str, str]:
    """(file name, content) of the keystore file that holds ``suri``."""
    return keystore_file_name(key_type, Keypair.from_uri(suri).public_key), json.dumps(suri)


def authority_key(directory: str | pathlib.Path) -> Keypair:
    """The one ``aura`` key in ``directory``; its public key must match the file's name."""
    path = pathlib.Path(directory)
    if not path.is_dir():
        raise KeystoreError(f"keystore {path} is not a directory")
    prefix = AURA.hex()
    found = []
    for entry in sorted(path.iterdir()):
        name = entry.name.lower()
        if len(name) != _NAME_LEN or not name.startswith(prefix) or not entry.is_file():
            continue
        try:
            bytes.fromhex(name)
            suri = json.loads(entry.read_text())
        except (ValueError, UnicodeDecodeError):
            raise KeystoreError(f"keystore file {entry}: not a JSON string holding a secret URI") from None
        if not isinstance(suri, str):
            raise KeystoreError(f"keystore file {entry}: not a JSON string holding a secret URI")
        try:
            key = Keypair.from_uri(suri)
        except ValueError as exc:
            raise KeystoreError(f"keystore file {entry}: {exc}") from None
        if key.public_key.hex() != name[len(prefix):]:
            raise KeystoreError(f"keystore file {entry}: the key it holds has public key 0x{key.public_key.hex()}")
        found.append(key)
    if not found:
        raise KeystoreError(f"keystore {path} holds no aura key (a file named {prefix}<public key hex>)")
    if len(found) > 1:
        raise KeystoreError(f"keystore {path} holds {len(found)} aura keys; keep one per node")
    return found[0]


def read_node_key(file: str | pathlib.Path) -> str:
    """The node key in ``file`` as 64 hex characters (the file holds hex or the raw 32 bytes)."""
    try:
        raw = pathlib.Path(file).read_bytes()
    except OSError as exc:
        raise KeystoreError(f"--node-key-file: {exc.strerror or exc}: {file}") from None
    text = raw.strip()
    if len(text) in (64, 66):
        try:
            hex_text = text.decode("ascii").removeprefix("0x")
            bytes.fromhex(hex_text)
            return hex_text
        except (UnicodeDecodeError, ValueError):
            pass
    if len(raw) == 32:
        return raw.hex()
    raise KeystoreError(f"--node-key-file {file}: expected 64 hex characters or 32 raw bytes")
