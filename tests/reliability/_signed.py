"""Signed extrinsics built with the runtime's own codecs, for tests that drive the executive
directly (the validate + apply path the pool and block import use)."""
from __future__ import annotations

from runtime.construct import get_runtime
from runtime.executive import apply_extrinsic, validate_transaction
from runtime.extrinsic import Extrinsic, decode_extrinsic, encode_signed, extra_bytes
from primitives import crypto
from primitives.keys import Keypair
from runtime.version import VERSION
from tests.runtime.helpers import GENESIS_HASH

RT = get_runtime()


def signed(key: Keypair, call: tuple, *, nonce: int = 0, tip: int = 0) -> Extrinsic:
    """`call` as `(pallet, (name, args))` or `(pallet, name)`, signed by `key` (immortal era)."""
    call_bytes = RT.call_enum.encode(call)
    payload = (call_bytes + extra_bytes(None, nonce, tip) + VERSION.spec_version.to_bytes(4, "little")
               + VERSION.transaction_version.to_bytes(4, "little") + GENESIS_HASH + GENESIS_HASH + b"\x00")
    signature = key.sign(crypto.signing_payload(payload))
    return decode_extrinsic(encode_signed(call_bytes, key.public_key, key.multisignature_kind, signature, None,
                                          nonce, tip))


def validate(ext_env, xt: Extrinsic):
    """The pool's check, against the current block's state (raises TransactionValidityError)."""
    return validate_transaction(RT, ext_env.state, ext_env.number - 1, b"\x01" * 32, xt, GENESIS_HASH)


def apply(ext_env, xt: Extrinsic):
    """Apply in the current block, as the author and every importer do."""
    return apply_extrinsic(ext_env.builder, xt)
