"""Network benchmarks with real node processes on 127.0.0.1.

* Sync speed of a fresh node from one peer (blocks/s), for empty blocks and for blocks
  full of signed transfers.  The chain is built offline (node.chaingen) into the
  serving node's base path; the baseline is importing the same blocks in process
  (no network), measured in the same run.
* Time from block production (its slot start) to finality in a 4-validator devnet
  with 2 s slots, observed at every validator (median and p90).
"""
from __future__ import annotations

import json
import os
import pathlib
import statistics
import tempfile
import time

from genesis.spec import genesis_storage, slot_duration_ms
from tools import devnet as dn
from node.chain import Chain
from node.chaingen import dev_senders, generate
from primitives.types import DigestItem
from storage.chain_store import ChainStore
from storage.kv import LevelDBKV
from tests.network.harness import Devnet, full_node, wait_for

EMPTY_BLOCKS = 2000
FULL_BLOCKS = 30
TRANSFERS = 500
LATENCY_SECONDS = 40


def _in_process_import_rate(server_base: pathlib.Path, spec: dict, blocks: int) -> float:
    """Import the server's blocks into a fresh chain in this process (the no-network ceiling)."""
    src = Chain(ChainStore(LevelDBKV(str(server_base / "chains" / spec["id"] / "db" / "full"))),
                genesis_storage(spec))
    todo = [src.block(src.hash_at(n)) for n in range(1, blocks + 1)]
    src.store.close()
    with tempfile.TemporaryDirectory() as d:
        dst = Chain(ChainStore(LevelDBKV(d)), genesis_storage(spec))
        started = time.perf_counter()
        with dst.bulk():
            for b in todo:
                dst.import_block(b)
        rate = blocks / (time.perf_counter() - started)
        dst.store.close()
    return rate


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sync_once(blocks: int, transfers: int) -> tuple[float, float, float]:
    devnet = dn.load()
    spec = dn.chain_spec(devnet, 4)
    with tempfile.TemporaryDirectory() as d:
        base = pathlib.Path(d)
        spec_path = base / "spec.json"
        spec_path.write_text(json.dumps(spec))
        server = full_node(base, "server", spec_path)
        generate(spec, server.plan.base_path, blocks, authority_uris=[v["key"] for v in devnet["validators"]],
                 slot_ms=slot_duration_ms(spec), transfers_per_block=transfers, senders=dev_senders(),
                 finalize_every=100)
        ceiling = _in_process_import_rate(server.plan.base_path, spec, blocks)
        fresh = full_node(base, "fresh", spec_path, [server.plan.multiaddr])
        try:
            server.start().wait_rpc()
            fresh.start().wait_rpc()
            first = wait_for(lambda: (fresh.best() > 0) and (time.monotonic(), fresh.best(),
                                                             _cpu_seconds(fresh.proc.pid)), 60, "sync to start",
                             interval=0.02)
            wait_for(lambda: fresh.best() >= blocks, 300, "sync to finish", interval=0.02)
            rate = (blocks - first[1]) / (time.monotonic() - first[0])
            per_cpu = (blocks - first[1]) / max(_cpu_seconds(fresh.proc.pid) - first[2], 1e-3)
        finally:
            fresh.stop()
            server.stop()
    return rate, ceiling, per_cpu


def _slot_of(header: dict) -> int:
    for item in header["digest"]["logs"]:
        kind, value = DigestItem.decode(bytes.fromhex(item[2:]))
        if kind == "PreRuntime" and value[0] == b"aura":
            return int.from_bytes(value[1], "little")
    raise ValueError("no slot")


def _finality_latency() -> tuple[list[float], int]:
    slot_ms = 2000
    with tempfile.TemporaryDirectory() as d:
        net = Devnet(pathlib.Path(d), 4, slot_ms=slot_ms)
        try:
            net.start()
            nodes = list(net.nodes.values())
            wait_for(lambda: all(n.finalized()[0] >= 2 for n in nodes), 60, "first finality")
            last = {n.name: n.finalized()[0] for n in nodes}
            latencies: list[float] = []
            end = time.monotonic() + LATENCY_SECONDS
            while time.monotonic() < end:
                for n in nodes:
                    number, _ = n.finalized()
                    now_ms = time.time() * 1000
                    for k in range(last[n.name] + 1, number + 1):
                        header = n.rpc("chain_getHeader", [n.hash_at(k)])
                        latencies.append((now_ms - _slot_of(header) * slot_ms) / 1000)
                    last[n.name] = max(last[n.name], number)
                time.sleep(0.05)
            return latencies, slot_ms
        finally:
            net.stop()


def bench() -> list[dict]:
    rows = []
    load = os.getloadavg()[0]
    rate, ceiling, per_cpu = _sync_once(EMPTY_BLOCKS, 0)
    rows.append({"benchmark": f"sync {EMPTY_BLOCKS} empty blocks from one peer", "value": rate, "unit": "blocks/s",
                 "baseline": ceiling, "baseline_name": "in-process import",
                 "note": f"target >= 500; {per_cpu:,.0f} blocks per CPU-second of the syncing node; "
                         f"load {load:.1f} on {os.cpu_count()} cores"})
    rate, ceiling, per_cpu = _sync_once(FULL_BLOCKS, TRANSFERS)
    rows.append({"benchmark": f"sync {FULL_BLOCKS} blocks x {TRANSFERS} transfers from one peer", "value": rate,
                 "unit": "blocks/s", "baseline": ceiling, "baseline_name": "in-process import",
                 "note": f"= {rate * TRANSFERS:,.0f} tx/s (signatures verified); {per_cpu:.1f} blocks per CPU-second"})
    lat, slot_ms = _finality_latency()
    med = statistics.median(lat)
    p90 = sorted(lat)[int(len(lat) * 0.9)]
    rows.append({"benchmark": "block production -> finality, 4 validators, 2 s slots (median)", "value": med,
                 "unit": "s", "baseline": 3 * slot_ms / 1000, "baseline_name": "target: 3 slots",
                 "lower_is_better": True,
                 "note": f"{med * 1000 / slot_ms:.2f} slots; p90 {p90:.2f} s; {len(lat)} observations, 4 nodes"})
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row)
