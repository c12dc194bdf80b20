"""Signature verification for ``sp_runtime::MultiSignature``.

Wire format of a ``MultiSignature``: one variant byte followed by the raw signature.

====  =========  ======  ==============================================================
kind  variant    length  verification
====  =========  ======  ==============================================================
0     Ed25519    64      Ed25519 over the message, public key = the 32-byte AccountId
1     Sr25519    64      schnorrkel, signing context ``b"substrate"``, public = AccountId
2     Ecdsa      65      secp256k1 ``r || s || v`` over ``blake2_256(message)``;
                         AccountId = ``blake2_256(33-byte compressed public key)``
====  =========  ======  ==============================================================

The *message* is what the signer actually signed; for extrinsics that is
``signing_payload(raw_payload)`` (``blake2_256`` of the payload when it is longer than
256 bytes, as ``sp_runtime::generic::SignedPayload`` does).

Backends: PyNaCl (libsodium) for Ed25519, py-sr25519-bindings (schnorrkel) for Sr25519,
coincurve (libsecp256k1; installed with libp2p) for ECDSA.

Measured behaviour that shapes :func:`verify_batch`: libsodium and libsecp256k1 are
called through cffi, which releases the GIL, so Ed25519/ECDSA verification scales with
threads; the sr25519 bindings (PyO3) hold the GIL, so sr25519 gains nothing from threads.
``verify_batch`` therefore hands Ed25519/ECDSA chunks to a small thread pool and verifies
sr25519 items on the calling thread at the same time.

Measured (116-byte messages, the size of a transfer's signing payload), verifications/s:

=================  ===============  ===============================================
scheme             one core         verify_batch (16-core machine, workers=2/4/8)
=================  ===============  ===============================================
sr25519            9.0k (dev box)   ~18k at every worker count (GIL-bound)
                   18k (16-core)
ed25519            9.4k / 12-14k    18k / 34k / 62k
ecdsa (recover)    10.5k / 18k      20k / 39k / 35k
50/50 sr25519+ed   9.2k / 10.5k     13k / 20k / 25k
=================  ===============  ===============================================

Ed25519 edge-case note: Substrate verifies Ed25519 with ed25519-zebra (ZIP-215 rules:
cofactored equation, small-order and non-canonical point encodings accepted). libsodium
is stricter (rejects small-order/non-canonical keys and R). Every signature produced by
an honest signer verifies identically under both; only specially crafted signatures
differ (e.g. a small-order public key), and those are *rejected* here.
"""
from __future__ import annotations

import enum
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Sequence

import nacl.bindings as _nacl
import nacl.exceptions as _nacl_exc
import sr25519 as _sr25519

from primitives.hashing import blake2_256

try:  # coincurve ships with libp2p; ECDSA is optional if it is missing.
    import coincurve as _coincurve
except ImportError:  # pragma: no cover - exercised only without coincurve
    _coincurve = None

__all__ = [
    "SignatureKind",
    "SIGNATURE_LENGTHS",
    "UnsupportedSignature",
    "signing_payload",
    "verify_ed25519",
    "verify_sr25519",
    "verify_ecdsa",
    "ecdsa_recover",
    "ecdsa_account_id",
    "verify_multisignature",
    "verify_encoded_multisignature",
    "split_multisignature",
    "verify_batch",
    "ECDSA_AVAILABLE",
]


class SignatureKind(enum.IntEnum):
    """``sp_runtime::MultiSignature`` variant indices."""

    ED25519 = 0
    SR25519 = 1
    ECDSA = 2


#: Raw signature length (without the variant byte) per kind.
SIGNATURE_LENGTHS = {SignatureKind.ED25519: 64, SignatureKind.SR25519: 64, SignatureKind.ECDSA: 65}

#: Payloads longer than this are signed as their blake2_256 hash.
MAX_UNHASHED_PAYLOAD = 256

ECDSA_AVAILABLE = _coincurve is not None


class UnsupportedSignature(Exception):
    """The signature scheme is known but cannot be verified in this installation."""


def signing_payload(payload: bytes) -> bytes:
    """The bytes actually signed for a SCALE-encoded signing payload.

    ``sp_runtime::generic::SignedPayload::using_encoded``: payloads longer than 256 bytes
    are replaced by their ``blake2_256`` hash; shorter ones are signed as they are.
    """
    payload = bytes(payload)
    if len(payload) > MAX_UNHASHED_PAYLOAD:
        return blake2_256(payload)
    return payload


# --- single-scheme verifiers -------------------------------------------------------------
# Each takes (signature, message, public) and returns bool; none of them raises.

_crypto_sign_open = _nacl.crypto_sign_open
_BadSignatureError = _nacl_exc.BadSignatureError
_sr_verify = _sr25519.verify


def verify_ed25519(signature: bytes, message: bytes, public: bytes) -> bool:
    """Ed25519 (RFC 8032, libsodium rules) over ``message`` with a 32-byte public key."""
    try:
        if len(signature) != 64 or len(public) != 32:
            return False
        _crypto_sign_open(bytes(signature) + bytes(message), bytes(public))
        return True
    except (_BadSignatureError, TypeError, ValueError):
        # only a bad signature or malformed input is "invalid": a MemoryError must not make a
        # valid block look invalid (and its sender banned)
        return False


def verify_sr25519(signature: bytes, message: bytes, public: bytes) -> bool:
    """schnorrkel sr25519 with Substrate's ``b"substrate"`` signing context."""
    try:
        if len(signature) != 64 or len(public) != 32:
            return False
        return bool(_sr_verify(bytes(signature), bytes(message), bytes(public)))
    except (TypeError, ValueError):  # structurally invalid keys/signatures
        return False


def ecdsa_recover(signature: bytes, message: bytes) -> bytes | None:
    """Recover the 33-byte compressed secp256k1 public key that signed ``blake2_256(message)``.

    Mirrors ``sp_io::crypto::secp256k1_ecdsa_recover_compressed``: ``v`` may be 0..3 or
    27..30. Returns ``None`` for any invalid input. Raises :class:`UnsupportedSignature`
    only if coincurve is not installed.
    """
    if _coincurve is None:
        raise UnsupportedSignature("ECDSA verification needs the 'coincurve' package")
    try:
        if len(signature) != 65:
            return None
        signature = bytes(signature)
        v = signature[64]
        if v > 26:
            v -= 27
        if v > 3:
            return None
        digest = blake2_256(bytes(message))
        pub = _coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes((v,)), digest, hasher=None)
        return pub.format(compressed=True)
    except (TypeError, ValueError):  # coincurve's answer to an unrecoverable signature
        return None


def ecdsa_account_id(public: bytes) -> bytes:
    """AccountId32 of an ECDSA signer: ``blake2_256`` of the 33-byte compressed public key."""
    return blake2_256(bytes(public))


def verify_ecdsa(signature: bytes, message: bytes, signer: bytes) -> bool:
    """``MultiSignature::Ecdsa`` check: recover, hash the compressed key, compare with ``signer``.

    ``signer`` may be the 32-byte AccountId or the 33-byte compressed public key.
    """
    recovered = ecdsa_recover(signature, message)
    if recovered is None:
        return False
    try:
        signer = bytes(signer)
    except (TypeError, ValueError):
        return False
    if len(signer) == 33:
        return recovered == signer
    return len(signer) == 32 and blake2_256(recovered) == signer


def verify_multisignature(kind: int, signature: bytes, message: bytes, signer: bytes) -> bool:
    """Verify ``MultiSignature`` variant ``kind`` (0 Ed25519, 1 Sr25519, 2 Ecdsa).

    ``signer`` is the 32-byte AccountId32 (the public key for Ed25519/Sr25519).
    ``message`` is the signed bytes (apply :func:`signing_payload` to raw extrinsic
    payloads first). Returns False for any malformed input, unknown kinds included; the
    only exception is :class:`UnsupportedSignature` for ECDSA without coincurve.
    """
    if kind == 1:  # the common case first
        return verify_sr25519(signature, message, signer)
    if kind == 0:
        return verify_ed25519(signature, message, signer)
    if kind == 2:
        return verify_ecdsa(signature, message, signer)
    return False


def split_multisignature(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Decode a SCALE ``MultiSignature`` at ``data[offset:]``.

    Returns ``(kind, raw_signature, new_offset)``. Raises ``ValueError`` for an unknown
    variant or truncated input.
    """
    if offset >= len(data):
        raise ValueError("MultiSignature: no data")
    kind = data[offset]
    try:
        length = SIGNATURE_LENGTHS[SignatureKind(kind)]
    except ValueError:
        raise ValueError(f"MultiSignature: unknown variant {kind}") from None
    end = offset + 1 + length
    if end > len(data):
        raise ValueError(f"MultiSignature: {SignatureKind(kind).name} needs {length} bytes, "
                         f"{len(data) - offset - 1} available")
    return kind, bytes(data[offset + 1:end]), end


def verify_encoded_multisignature(encoded: bytes, message: bytes, signer: bytes) -> bool:
    """Verify a SCALE-encoded ``MultiSignature`` (variant byte + signature, nothing else)."""
    try:
        kind, sig, end = split_multisignature(encoded)
    except (ValueError, TypeError):
        return False
    if end != len(encoded):
        return False
    return verify_multisignature(kind, sig, message, signer)


# --- batch verification ------------------------------------------------------------------

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_POOL_PID = 0

#: Below this many GIL-releasing (Ed25519/ECDSA) items the pool is not worth its overhead.
BATCH_THREAD_THRESHOLD = 64


def _default_workers() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        n = os.cpu_count() or 1
    # Measured on 16 cores: Ed25519 scales to ~8 threads; beyond that the threads mostly
    # contend for the GIL with the sr25519 loop on the calling thread.
    return max(1, min(n, 8))


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL, _POOL_PID
    with _POOL_LOCK:
        if _POOL is None or _POOL_PID != os.getpid() or _POOL._max_workers != workers:
            if _POOL is not None and _POOL_PID == os.getpid():
                _POOL.shutdown(wait=False)
            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sigverify")
            _POOL_PID = os.getpid()
        return _POOL


def _verify_indices(items: Sequence, indices: Sequence[int], out: list) -> None:
    for i in indices:
        try:
            kind, sig, msg, signer = items[i]
        except (TypeError, ValueError):
            continue  # malformed item: stays False
        out[i] = verify_multisignature(kind, sig, msg, signer)


def verify_batch(items: Iterable[tuple[int, bytes, bytes, bytes]],
                 workers: int | None = None) -> list[bool]:
    """Verify many ``(kind, signature, message, signer)`` tuples; returns one bool each.

    Same semantics as :func:`verify_multisignature` item by item. With ``workers > 1``
    (default: the CPUs this process may use, at most 8) and enough Ed25519/ECDSA items, those are
    verified in a thread pool (their C backends release the GIL) while the sr25519 items
    are verified on the calling thread. ``workers=1`` forces a plain sequential loop.
    """
    items = items if isinstance(items, (list, tuple)) else list(items)
    n = len(items)
    out: list = [False] * n
    if workers is None:
        workers = _default_workers()
    if workers <= 1 or n < BATCH_THREAD_THRESHOLD:
        _verify_indices(items, range(n), out)
        return out

    gil_free: list[int] = []
    gil_bound: list[int] = []
    for i, item in enumerate(items):
        try:
            kind = item[0]
        except (TypeError, LookupError):
            kind = None
        (gil_free if kind in (0, 2) else gil_bound).append(i)

    if len(gil_free) < BATCH_THREAD_THRESHOLD:
        _verify_indices(items, range(n), out)
        return out

    # The calling thread counts as one worker when it has sr25519 items of its own.
    n_threads = workers - 1 if gil_bound else workers
    n_threads = max(1, n_threads)
    size = -(-len(gil_free) // n_threads)
    pool = _pool(n_threads)
    futures = [pool.submit(_verify_indices, items, gil_free[k:k + size], out)
               for k in range(0, len(gil_free), size)]
    _verify_indices(items, gil_bound, out)
    for f in futures:
        f.result()
    return out
