"""Start-up checks of the chain database: refuse a damaged one instead of running on it.

`open_checked` opens LevelDB (paranoid), verifies every table's checksums after an
unclean stop, then `verify_chain` walks the best chain from its head back past the
finalized block to a checkpoint (hashes, parent links, canonical index, bodies) and
checks the head's state against its state root. `FinalizedRecord` is a small file
beside the database that remembers the newest finalized block: a database that lost
finalized blocks (a truncated log) is refused, never rolled back and rebuilt.
"""
from __future__ import annotations

import json
import logging
import os
import pathlib

from primitives.hashing import blake2_256
from primitives.scale import ScaleError
from primitives.types import Header
from storage.chain_store import ChainStore
from storage.kv import DatabaseDamaged, DatabaseError, LevelDBKV
from storage.trie import EMPTY_ROOT, TrieError

log = logging.getLogger("agora")

#: How far below the finalized block the start-up walk goes (older blocks are not re-read).
CHECKPOINT_DEPTH = 512
#: Flat-state entries compared with the trie at start-up, besides the head's own changes.
STATE_SAMPLE = 64


class FinalizedRecord:
    """`<db>/finalized.json`: number and hash of the newest finalized block, written after the database."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def read(self) -> tuple[int, bytes] | None:
        try:
            data = json.loads(self.path.read_text())
            return int(data["number"]), bytes.fromhex(data["hash"][2:])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise DatabaseDamaged(f"{self.path} is unreadable ({exc})") from None

    def write(self, number: int, block_hash: bytes) -> None:
        # Written after the database's own synced write: after a power loss this record can only
        # be older than the database, which the check accepts.
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"number": number, "hash": "0x" + block_hash.hex()}))
        os.replace(tmp, self.path)


def open_checked(db_path: pathlib.Path, record: FinalizedRecord) -> ChainStore:
    """Open and verify the database; DatabaseDamaged names what is wrong."""
    kv = LevelDBKV(str(db_path))
    try:
        if not kv.was_clean and not kv.is_empty():
            log.info("🔎 The node did not stop cleanly: verifying the database's checksums")
            kv.verify_checksums()
        store = ChainStore(kv)
        verify_chain(store, record.read())
    except DatabaseError as exc:
        kv.damaged = True
        kv.close()
        raise DatabaseDamaged(f"LevelDB: {exc}") from None
    except BaseException:
        kv.damaged = True
        kv.close()
        raise
    return store


def _header(store: ChainStore, block_hash: bytes, what: str) -> dict:
    raw = store.header(block_hash)
    if raw is None:
        raise DatabaseDamaged(f"the header of {what} (0x{block_hash.hex()}) is missing")
    if blake2_256(raw) != block_hash:
        raise DatabaseDamaged(f"the header stored for {what} (0x{block_hash.hex()}) does not hash to it")
    try:
        return Header.decode(raw)
    except (ScaleError, ValueError, IndexError) as exc:
        raise DatabaseDamaged(f"the header of {what} does not decode: {exc}") from None


def verify_chain(store: ChainStore, finalized_record: tuple[int, bytes] | None,
                 depth: int = CHECKPOINT_DEPTH) -> None:
    """Raise DatabaseDamaged unless the best chain down to the checkpoint and the head's state are whole."""
    genesis = store.genesis_hash
    if genesis is None:
        if finalized_record is not None and finalized_record[0] > 0:
            raise DatabaseDamaged(f"the database is empty, but this node had finalized block #{finalized_record[0]}")
        if not _kv_empty(store):
            raise DatabaseDamaged("the database holds data but no genesis block")
        return
    best, finalized = store.best_hash, store.finalized_hash
    if best is None or finalized is None:
        raise DatabaseDamaged("the best or finalized block pointer is missing")
    fin_number = _header(store, finalized, "the finalized block")["number"]
    head = _header(store, best, "the best block")
    if head["number"] < fin_number:
        raise DatabaseDamaged(f"the best block #{head['number']} is below the finalized block #{fin_number}")
    checkpoint = max(0, fin_number - depth)
    block_hash, header = best, head
    while True:
        number = header["number"]
        what = f"block #{number}"
        if store.canonical_hash(number) != block_hash:
            raise DatabaseDamaged(f"the canonical index at #{number} does not point to the best chain's block")
        if store.body(block_hash) is None:
            raise DatabaseDamaged(f"the body of {what} (0x{block_hash.hex()}) is missing")
        if number == fin_number and block_hash != finalized:
            raise DatabaseDamaged(f"the finalized block #{fin_number} is not on the best chain")
        if number == 0:
            if block_hash != genesis:
                raise DatabaseDamaged("the best chain does not start at the genesis block")
            break
        if number <= checkpoint:
            break
        parent = header["parent_hash"]
        header = _header(store, parent, f"block #{number - 1} (parent of #{number})")
        if header["number"] != number - 1:
            raise DatabaseDamaged(f"the parent of #{number} is numbered #{header['number']}")
        block_hash = parent
    if finalized_record is not None:
        number, block_hash = finalized_record
        if number > fin_number:
            raise DatabaseDamaged(f"finalized blocks were lost: this node had finalized #{number} "
                                  f"(0x{block_hash.hex()}), the database only reaches #{fin_number}")
        if store.canonical_hash(number) != block_hash:
            raise DatabaseDamaged(f"the finalized block #{number} (0x{block_hash.hex()}) was replaced")
    _verify_head_state(store, best, head)


def _kv_empty(store: ChainStore) -> bool:
    return next(iter(store.kv.iter_keys(b"")), None) is None


def _verify_head_state(store: ChainStore, best: bytes, head: dict) -> None:
    root = head["state_root"]
    if root != EMPTY_ROOT and store.kv.get(b"T" + root) is None:
        raise DatabaseDamaged(f"the state root of the best block #{head['number']} (0x{root.hex()}) is missing")
    trie = store.trie_at(root)
    flat = store.best_state
    try:
        checks = list(store.changes(best).items()) if head["number"] else []
        for index, key in enumerate(flat.iter_keys(b"")):
            if index >= STATE_SAMPLE:
                break
            checks.append((key, flat.get(key)))
        for key, value in checks:
            if flat.get(key) != value or trie.get(key) != value:
                raise DatabaseDamaged(f"the state of the best block #{head['number']} does not match its "
                                      f"state root (key 0x{key.hex()})")
    except (TrieError, ValueError) as exc:  # ValueError: an undecodable change record
        raise DatabaseDamaged(f"the state trie of the best block #{head['number']} is incomplete: {exc}") from None
