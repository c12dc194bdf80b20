"""The node's wire protocols on top of p2p: ids, limits and msgpack message codecs.

Envelopes are msgpack; blocks (header + body), extrinsics and justifications travel
inside as SCALE bytes.  Every ``decode_*`` raises :class:`ProtocolError` on anything
malformed: the caller reports the peer.

=============================  =========================================================
protocol                       payload
=============================  =========================================================
handshake (p2p's)              ``{"v": 1, "genesis": bin32, "best": [n, bin32], "finalized": [n, bin32]}``
/agora/block-announces/1       ``{"header": bin, "best": bool, "body": bin | nil}``
/agora/sync/2 (request)        ``{"from": n | bin32, "dir": 0 asc | 1 desc, "max": n, "fields": bits}``
/agora/sync/2 (response)       ``[[header: bin, body: bin | nil, justification: bin | nil], ...]``
/agora/transactions/1          ``[extrinsic: bin, ...]``
/agora/finality/1              ``{"k": "votes", "s": set_id, "l": [[round, hash, n, voter, sig], ...]}``
                               ``{"k": "commit", "s": set_id, "j": justification}``
=============================  =========================================================
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from consensus.finality import Vote

BLOCK_ANNOUNCES = "/agora/block-announces/1"
SYNC = "/agora/sync/2"
TRANSACTIONS = "/agora/transactions/1"
FINALITY = "/agora/finality/1"

# limits
MAX_HEADER = 64 * 1024
MAX_BODY = 8 * 1024 * 1024
MAX_ANNOUNCE = MAX_HEADER + MAX_BODY + 1024
MAX_BLOCKS_PER_REQUEST = 256
MAX_SYNC_RESPONSE = 16 * 1024 * 1024
MAX_TX_MESSAGE = 4 * 1024 * 1024
MAX_TXS_PER_MESSAGE = 4096
MAX_FINALITY_MESSAGE = 1024 * 1024
MAX_VOTES_PER_MESSAGE = 1024

FIELD_HEADER, FIELD_BODY, FIELD_JUSTIFICATION = 1, 2, 4
ASC, DESC = 0, 1


class ProtocolError(ValueError):
    """A peer sent a message that does not follow the protocol."""


_pack = msgpack.Packer(use_bin_type=True, autoreset=True).pack


def _unpack(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=True, max_bin_len=MAX_SYNC_RESPONSE,
                               max_array_len=100_000, max_map_len=64, max_str_len=1024)
    except Exception as exc:  # pure decoding of peer bytes: whatever msgpack raises, the bytes are bad
        raise ProtocolError(f"bad msgpack: {type(exc).__name__}") from None


def _hash(value: Any) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ProtocolError("expected a 32-byte hash")
    return value


def _uint(value: Any, limit: int = 2**32 - 1) -> int:
    if type(value) is not int or not 0 <= value <= limit:
        raise ProtocolError("expected an unsigned integer")
    return value


def _blob(value: Any, limit: int, optional: bool = False) -> bytes | None:
    if value is None and optional:
        return None
    if not isinstance(value, bytes) or len(value) > limit:
        raise ProtocolError("expected bytes within the limit")
    return value


# -- handshake ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    genesis: bytes
    best_number: int
    best_hash: bytes
    finalized_number: int
    finalized_hash: bytes


def encode_status(s: Status) -> bytes:
    return _pack({"v": 1, "genesis": s.genesis, "best": [s.best_number, s.best_hash],
                  "finalized": [s.finalized_number, s.finalized_hash]})


def decode_status(data: bytes) -> Status:
    m = _unpack(data)
    if not isinstance(m, dict):
        raise ProtocolError("status is not a map")
    try:
        best, fin = m["best"], m["finalized"]
        return Status(_hash(m["genesis"]), _uint(best[0]), _hash(best[1]), _uint(fin[0]), _hash(fin[1]))
    except (KeyError, IndexError, TypeError) as exc:
        raise ProtocolError(f"bad status: {exc!r}") from None


# -- block announcements ------------------------------------------------------------------------

@dataclass(frozen=True)
class Announce:
    header: bytes
    best: bool
    body: bytes | None


def encode_announce(header: bytes, best: bool, body: bytes | None) -> bytes:
    return _pack({"header": header, "best": best, "body": body})


def decode_announce(data: bytes) -> Announce:
    m = _unpack(data)
    if not isinstance(m, dict) or not isinstance(m.get("best"), bool):
        raise ProtocolError("bad announce")
    return Announce(_blob(m.get("header"), MAX_HEADER), m["best"],  # type: ignore[arg-type]
                    _blob(m.get("body"), MAX_BODY, optional=True))


# -- block requests -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BlockRequest:
    start: int | bytes        # a number or a block hash
    direction: int
    max_blocks: int
    fields: int


def encode_block_request(start: int | bytes, *, direction: int = ASC, max_blocks: int = 128,
                         fields: int = FIELD_HEADER | FIELD_BODY | FIELD_JUSTIFICATION) -> bytes:
    return _pack({"from": start, "dir": direction, "max": max_blocks, "fields": fields})


def decode_block_request(data: bytes) -> BlockRequest:
    m = _unpack(data)
    if not isinstance(m, dict):
        raise ProtocolError("bad block request")
    start = m.get("from")
    if isinstance(start, bytes):
        start = _hash(start)
    else:
        start = _uint(start)
    direction = m.get("dir", ASC)
    if direction not in (ASC, DESC):
        raise ProtocolError("bad direction")
    return BlockRequest(start, direction, max(1, min(_uint(m.get("max", 1)), MAX_BLOCKS_PER_REQUEST)),
                        _uint(m.get("fields", 7), 7))


BlockData = tuple[bytes, "bytes | None", "bytes | None"]   # header, body, justification


def encode_block_response(blocks: list[BlockData]) -> bytes:
    return _pack([list(b) for b in blocks])


def decode_block_response(data: bytes) -> list[BlockData]:
    m = _unpack(data)
    if not isinstance(m, list) or len(m) > MAX_BLOCKS_PER_REQUEST:
        raise ProtocolError("bad block response")
    out: list[BlockData] = []
    for item in m:
        if not isinstance(item, list) or len(item) != 3:
            raise ProtocolError("bad block entry")
        out.append((_blob(item[0], MAX_HEADER), _blob(item[1], MAX_BODY, True),  # type: ignore[arg-type]
                    _blob(item[2], MAX_HEADER * 8, True)))
    return out


# -- transactions -------------------------------------------------------------------------------

def encode_transactions(extrinsics: list[bytes]) -> bytes:
    return _pack(list(extrinsics))


def decode_transactions(data: bytes) -> list[bytes]:
    m = _unpack(data)
    if not isinstance(m, list) or len(m) > MAX_TXS_PER_MESSAGE or not all(isinstance(x, bytes) for x in m):
        raise ProtocolError("bad transactions message")
    return m


# -- finality ---------------------------------------------------------------------------------------

def encode_votes(set_id: int, votes: list[Vote]) -> bytes:
    return _pack({"k": "votes", "s": set_id,
                  "l": [[v.round, v.target_hash, v.target_number, v.voter, v.signature] for v in votes]})


def encode_commit(set_id: int, justification: bytes) -> bytes:
    return _pack({"k": "commit", "s": set_id, "j": justification})


@dataclass(frozen=True)
class FinalityMessage:
    kind: str
    set_id: int
    votes: tuple[Vote, ...] = ()
    justification: bytes = b""


def decode_finality(data: bytes) -> FinalityMessage:
    m = _unpack(data)
    if not isinstance(m, dict) or m.get("k") not in ("votes", "commit"):
        raise ProtocolError("bad finality message")
    set_id = _uint(m.get("s"), 2**64 - 1)
    if m["k"] == "commit":
        return FinalityMessage("commit", set_id, justification=_blob(m.get("j"), MAX_FINALITY_MESSAGE))  # type: ignore[arg-type]
    items = m.get("l")
    if not isinstance(items, list) or len(items) > MAX_VOTES_PER_MESSAGE:
        raise ProtocolError("bad vote list")
    votes = []
    for it in items:
        if not isinstance(it, list) or len(it) != 5:
            raise ProtocolError("bad vote")
        sig = it[4]
        if not isinstance(sig, bytes) or len(sig) != 64:
            raise ProtocolError("bad vote signature")
        votes.append(Vote(_uint(it[0], 2**64 - 1), _hash(it[1]), _uint(it[2]), _hash(it[3]), sig))
    return FinalityMessage("votes", set_id, votes=tuple(votes))
