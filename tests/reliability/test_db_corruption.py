"""Issue 12, item 5: a damaged database ends in a refusal to start with one clear message,
or in a fully consistent chain: never a hole, a finalized block rolled back, or a zombie.

One database is made once (two runs, so it has both .ldb tables and a live .log, then
kill -9); each variant damages a copy the way the issue did and starts a node on it.
"""
from __future__ import annotations

import pathlib
import shutil

import pytest

from tests.integration.nodeproc import NodeProcess, rpc
from tests.reliability.chaincheck import (
    BLOCK_MS, assert_no_rollback, check_head_state, finalized_chain, purge, start_or_refusal, wait_finalized,
)

pytestmark = pytest.mark.integration


def _db_dir(base: pathlib.Path) -> pathlib.Path:
    return base / "chains" / "agora_dev" / "db" / "full"


@pytest.fixture(scope="module")
def crashed_db(tmp_path_factory):
    """A dev database killed with -9 while authoring; returns (base path, finalized chain before)."""
    base = tmp_path_factory.mktemp("crashed")
    node = NodeProcess(base, block_time_ms=BLOCK_MS).start(wait_blocks=2)
    node.stop()                                   # the next open turns the log into a table
    node = NodeProcess(base, block_time_ms=BLOCK_MS).start(wait_blocks=0)
    wait_finalized(node, 6)
    before = finalized_chain(node.rpc_port)
    node.kill9()
    db = _db_dir(base)
    assert list(db.glob("*.ldb")) and list(db.glob("*.log")), sorted(p.name for p in db.iterdir())
    return base, before


def _newest(db: pathlib.Path, pattern: str) -> pathlib.Path:
    return max(db.glob(pattern), key=lambda p: (p.stat().st_size > 0, p.name))


def _flip(path: pathlib.Path, offset: int, count: int = 64) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, min(offset + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def flip_log(db):
    log = _newest(db, "*.log")
    _flip(log, log.stat().st_size // 2)


def truncate_log(db):
    log = _newest(db, "*.log")
    with open(log, "r+b") as f:
        f.truncate(log.stat().st_size // 2)


def flip_table(db):
    table = max(db.glob("*.ldb"), key=lambda p: p.stat().st_size)
    _flip(table, table.stat().st_size // 3)


def delete_current(db):
    (db / "CURRENT").unlink()


def untouched(db):
    pass


@pytest.mark.parametrize("damage", [untouched, flip_log, truncate_log, flip_table, delete_current])
def test_damaged_database_is_refused_or_consistent(crashed_db, tmp_path, damage):
    source, before = crashed_db
    base = tmp_path / "copy"
    shutil.copytree(source, base)
    damage(_db_dir(base))
    node = NodeProcess(base, block_time_ms=BLOCK_MS)
    try:
        refusal = start_or_refusal(node)
        if refusal is None:
            after = finalized_chain(node.rpc_port)
            assert_no_rollback(before, after)
            check_head_state(node.rpc_port)
            health = rpc(node.rpc_port, "system_health")
            assert "result" in health, health                       # not a zombie: it can author
            wait_finalized(node, max(after) + 1)
            assert damage is untouched or damage is truncate_log, "this damage must not go unnoticed"
        else:
            assert damage is not untouched, refusal[-3000:]
            assert node.proc.returncode == 1
            assert "is damaged" in refusal and "purge-chain" in refusal, refusal[-3000:]
            assert "Traceback" not in refusal, refusal[-3000:]
    finally:
        node.stop()
    if refusal is not None and damage is delete_current:  # the advertised recovery works
        purge(base)
        fresh = NodeProcess(base, block_time_ms=BLOCK_MS)
        try:
            assert start_or_refusal(fresh) is None
        finally:
            fresh.stop()
