"""Issue 12 bar: a well-behaved client and block production while another connection sends
the largest JSON-RPC batch the default limits admit (15 MiB of system_health calls), and
the node's peak RSS for one request (over its RSS just before that request). Baselines are measured in the same run, on the same
node, with no flood."""
from __future__ import annotations

import json
import pathlib
import tempfile
import time

from tests.integration.nodeproc import NodeProcess, rpc
from tests.reliability.flood import post_batch, well_behaved_during, ws_batch

REQUEST_LIMIT = 15 * 2**20
SLOT_MS = 1000


def _status_mb(pid: int, field: str) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_from_here(pid: int) -> float:
    """Reset the node's peak RSS to its current RSS (clear_refs 5) and return that RSS, so the
    next peak reading is what one request added, not what an earlier one left behind."""
    try:
        pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:  # not allowed here: the growth is then over the node's earlier peak
        return _status_mb(pid, "VmHWM")
    return _status_mb(pid, "VmRSS")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def _max_head_gap(samples: list[tuple[float, int]]) -> float:
    """Longest time between two head changes the client saw (ms)."""
    changes = [t for (t, n), (_, prev) in zip(samples[1:], samples) if n != prev]
    return max((b - a for a, b in zip(changes, changes[1:])), default=0.0) * 1000


def _observe(port: int, seconds: float) -> tuple[list[float], list[tuple[float, int]]]:
    latencies, heads = [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        number = int(rpc(port, "chain_getHeader")["result"]["number"], 16)
        latencies.append(time.perf_counter() - started)
        heads.append((time.monotonic(), number))
        time.sleep(0.02)
    return latencies, heads


def bench() -> list[dict]:
    item = json.dumps({"jsonrpc": "2.0", "id": 100000, "method": "system_health"})
    largest = REQUEST_LIMIT // (len(item) + 2) - 10   # post_batch separates items with ", "
    with tempfile.TemporaryDirectory() as base:
        node = NodeProcess(pathlib.Path(base), "--no-prometheus", block_time_ms=SLOT_MS).start(wait_blocks=1)
        try:
            pid = node.proc.pid
            idle_latencies, idle_heads = _observe(node.rpc_port, 6)
            rss_before_metadata = _peak_from_here(pid)
            metadata = post_batch(node.rpc_port, 3000, "state_getMetadata")
            rss_metadata = _status_mb(pid, "VmHWM") - rss_before_metadata
            rss_before_flood = _peak_from_here(pid)
            heads: list[tuple[float, int]] = []
            started = time.monotonic()
            seen = well_behaved_during(node.rpc_port, lambda: post_batch(node.rpc_port, largest))
            flood_s = time.monotonic() - started
            rss_flood = _status_mb(pid, "VmHWM") - rss_before_flood
            flood_answer = seen["result"]
        finally:
            node.stop()
        # A node of its own: memory the HTTP batch freed would otherwise be reused unseen.
        node = NodeProcess(pathlib.Path(base) / "ws", "--no-prometheus", block_time_ms=SLOT_MS).start(wait_blocks=1)
        try:
            rss_before_ws = _peak_from_here(node.proc.pid)
            ws_answer = ws_batch(node.rpc_port, largest)
            rss_ws = _status_mb(node.proc.pid, "VmHWM") - rss_before_ws
        finally:
            node.stop()
    # well_behaved_during records heads without times: one sample per call, ~20 ms apart plus latency
    t = 0.0
    for latency, number in zip(seen["latencies"], seen["heads"]):
        t += latency + 0.02
        heads.append((t, number))
    outcome, ws_outcome = ((f"{len(answer)} answers" if isinstance(answer, list) else f"error {answer['error']['code']}")
                           for answer in (flood_answer, ws_answer))
    return [
        {"benchmark": f"chain_getHeader p99 during a {largest:,}-call batch (15 MiB)",
         "value": _p99(seen["latencies"]), "unit": "ms", "baseline": _p99(idle_latencies),
         "baseline_name": "no flood", "lower_is_better": True,
         "note": f"target < 250 ms; {len(seen['latencies'])} calls; batch {flood_s:.1f} s, {outcome}"},
        {"benchmark": "longest gap between blocks during that batch", "value": _max_head_gap(heads),
         "unit": "ms", "baseline": _max_head_gap(idle_heads), "baseline_name": "no flood", "lower_is_better": True,
         "note": f"slot {SLOT_MS} ms; blocks {seen['heads'][0]} -> {seen['heads'][-1]}"},
        {"benchmark": "node peak RSS growth, 3,000 state_getMetadata in one batch", "value": rss_metadata,
         "unit": "MB", "baseline": 15 * 2**20 / 1e6, "baseline_name": "response limit",
         "note": f"answer: error {metadata['error']['code']}" if isinstance(metadata, dict) else "answered"},
        {"benchmark": "node peak RSS growth, the largest batch", "value": rss_flood, "unit": "MB",
         "baseline": REQUEST_LIMIT / 1e6, "baseline_name": "request limit",
         "note": "answer stops at the response limit; the body shrinks as it is served"},
        {"benchmark": "node peak RSS growth, the largest batch over WebSocket", "value": rss_ws, "unit": "MB",
         "baseline": REQUEST_LIMIT / 1e6, "baseline_name": "request limit",
         "note": f"one text frame, kept as the pieces read; {ws_outcome}"},
    ]


if __name__ == "__main__":
    for row in bench():
        print(row)
