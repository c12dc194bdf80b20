"""author_insertKey / author_hasKey / author_rotateKeys / author_hasSessionKeys over the node's file keystore.

The keystore is Substrate's layout (node/keystore.py): a file `hex(key type) + hex(public key)` holding
the secret URI as a JSON string, in --keystore-path or <base>/chains/<id>/keystore. These methods are
unsafe (they write secrets), as in Substrate.
"""
from __future__ import annotations

import json
import os
import pathlib
import secrets

from node.keystore import AURA, keystore_file_name
from node.rpc.api.common import hx, parse_hex, positional
from node.rpc.jsonrpc import RpcError, RpcModule
from primitives.keys import Keypair

# Substrate's author error codes (rpc-api/src/author/error.rs)
BAD_KEY_TYPE = 1005
BAD_SEED_PHRASE = 1006
KEYSTORE_UNAVAILABLE = 1007
SESSION_KEY_TYPES = (AURA,)           # SessionKeys of this runtime: aura only (no GRANDPA, no ImOnline)


def _key_type(value) -> bytes:
    if not isinstance(value, str) or len(value.encode()) != 4:
        raise RpcError(BAD_KEY_TYPE, "Invalid key type", "a key type is four ASCII characters, e.g. 'aura'")
    return value.encode()


def keystore_dir(node) -> pathlib.Path:
    return node.config.keystore_path or node.config.chain_path() / "keystore"


def _write(node, key_type: bytes, suri: str, public: bytes) -> None:
    directory = keystore_dir(node)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / keystore_file_name(key_type, public)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # a secret: owner-only, as Substrate's
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(suri))
    except OSError as exc:
        raise RpcError(KEYSTORE_UNAVAILABLE, "Keystore unavailable", str(exc)) from None


def _has(node, key_type: bytes, public: bytes) -> bool:
    return (keystore_dir(node) / keystore_file_name(key_type, public)).is_file()


def register(rpc: RpcModule, node) -> None:
    @rpc.method("author_insertKey", unsafe=True)
    def insert_key(params):
        key_type, suri, public = positional(params, ("keyType", "suri", "publicKey"), 3)
        key_type = _key_type(key_type)
        if not isinstance(suri, str):
            raise RpcError(BAD_SEED_PHRASE, "Invalid seed phrase/SURI", "suri: expected a string")
        public = parse_hex(public, "publicKey")
        if key_type in SESSION_KEY_TYPES:     # sr25519 keys of ours: the secret must give that public key
            try:
                derived = Keypair.from_uri(suri).public_key
            except ValueError as exc:
                raise RpcError(BAD_SEED_PHRASE, "Invalid seed phrase/SURI", str(exc)) from None
            if derived != public:
                raise RpcError(BAD_SEED_PHRASE, "Invalid seed phrase/SURI",
                               f"the secret's public key is 0x{derived.hex()}, not {hx(public)}")
        _write(node, key_type, suri, public)
        return None

    @rpc.method("author_hasKey", unsafe=True)
    def has_key(params):
        public, key_type = positional(params, ("publicKey", "keyType"), 2)
        return _has(node, _key_type(key_type), parse_hex(public, "publicKey"))

    @rpc.method("author_rotateKeys", unsafe=True)
    def rotate_keys(params):
        out = b""
        for key_type in SESSION_KEY_TYPES:
            suri = "0x" + secrets.token_bytes(32).hex()
            public = Keypair.from_uri(suri).public_key
            _write(node, key_type, suri, public)
            out += public
        return hx(out)

    @rpc.method("author_hasSessionKeys", unsafe=True)
    def has_session_keys(params):
        (keys,) = positional(params, ("sessionKeys",), 1)
        raw = parse_hex(keys, "sessionKeys")
        if len(raw) != 32 * len(SESSION_KEY_TYPES):
            raise RpcError(-32602, "Invalid params", "sessionKeys: not this runtime's SessionKeys encoding")
        return all(_has(node, t, raw[32 * i:32 * (i + 1)]) for i, t in enumerate(SESSION_KEY_TYPES))
