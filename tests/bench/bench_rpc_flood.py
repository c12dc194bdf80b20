"""Issue 12 bar: a well-behaved client and block production while another connection sends
the heaviest JSON-RPC batch the default limits let through (the longest batch of system_health
calls whose answer fits the 15 MiB response limit), and the node's peak RSS for one request
(over its RSS just before that request, in MiB as the limits are), on a node that served other
requests before and on fresh ones that have finished starting. The node hands a big request's
freed pages back as it serves it (node.rpc.heap), so the peak is about its answer, or its body
when that is the bigger. Latency baselines are measured in the same run, on the same node, with
no flood."""
from __future__ import annotations

import json
import pathlib
import tempfile
import time

from tests.integration.nodeproc import NodeProcess, rpc
from tests.reliability.flood import post_batch, well_behaved_during, ws_batch

REQUEST_LIMIT = 15 * 2**20
RESPONSE_LIMIT = 15 * 2**20
SLOT_MS = 1000


def _status_mb(pid: int, field: str) -> float:
    """A /proc/PID/status figure (kB there, i.e. KiB) in MiB."""
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


def _settled(node: NodeProcess, timeout: float = 60.0) -> None:
    """Wait until the node's start-up work is over: the runtime's warm-up (numba and LLVM
    loading the Yuma kernel, ~20-30 MB, in a worker thread that may still run after the first
    block) has logged its end, and RSS has stopped moving. Growth before that is not a request's."""
    deadline = time.monotonic() + timeout
    while "Runtime warmed up" not in node.log_path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the node did not warm up in {timeout:.0f} s")
        time.sleep(0.2)
    previous = _status_mb(node.proc.pid, "VmRSS")
    while time.monotonic() < deadline:
        time.sleep(1.0)
        current = _status_mb(node.proc.pid, "VmRSS")
        if abs(current - previous) < 0.5:
            return
        previous = current


def _fresh_node_rss(base: pathlib.Path, send) -> tuple[float, object]:
    """Peak RSS growth of a node that served nothing before ``send(port)`` (memory an earlier
    request freed would be reused unseen), and what ``send`` returned. The node has finished
    its start-up work (:func:`_settled`) before the request."""
    node = NodeProcess(base, "--no-prometheus", block_time_ms=SLOT_MS).start(wait_blocks=1)
    try:
        _settled(node)
        before = _peak_from_here(node.proc.pid)
        answer = send(node.rpc_port)
        return _status_mb(node.proc.pid, "VmHWM") - before, answer
    finally:
        node.stop()


def _outcome(answer) -> str:
    return f"{len(answer):,} answers" if isinstance(answer, list) else f"error {answer['error']['code']}"


def bench() -> list[dict]:
    item = json.dumps({"jsonrpc": "2.0", "id": 100000, "method": "system_health"})
    largest = REQUEST_LIMIT // (len(item) + 2) - 10   # post_batch separates items with ", "
    with tempfile.TemporaryDirectory() as base:
        node = NodeProcess(pathlib.Path(base) / "http", "--no-prometheus", block_time_ms=SLOT_MS).start(wait_blocks=1)
        try:
            pid = node.proc.pid
            _settled(node)
            health = rpc(node.rpc_port, "system_health")["result"]
            answer_item = len(json.dumps({"jsonrpc": "2.0", "id": 100000, "result": health}, separators=(",", ":")))
            answered = int(RESPONSE_LIMIT / (answer_item + 1) * 0.99)  # the longest batch whose answer fits
            answer_mib = (answered * (answer_item + 1) + 1) / 2**20
            idle_latencies, idle_heads = _observe(node.rpc_port, 6)
            rpc(node.rpc_port, "state_getMetadata")  # the node's metadata cache (~2 MiB, kept), filled once
            rss_before_metadata = _peak_from_here(pid)
            metadata = post_batch(node.rpc_port, 3000, "state_getMetadata")
            rss_metadata = _status_mb(pid, "VmHWM") - rss_before_metadata
            rss_before_flood = _peak_from_here(pid)
            heads: list[tuple[float, int]] = []
            started = time.monotonic()
            seen = well_behaved_during(node.rpc_port, lambda: post_batch(node.rpc_port, answered))
            flood_s = time.monotonic() - started
            rss_flood = _status_mb(pid, "VmHWM") - rss_before_flood
        finally:
            node.stop()
        rss_refused, refused = _fresh_node_rss(pathlib.Path(base) / "refused", lambda port: post_batch(port, largest))
        rss_fresh, _ = _fresh_node_rss(pathlib.Path(base) / "fresh", lambda port: post_batch(port, answered))
        rss_ws, ws_answer = _fresh_node_rss(pathlib.Path(base) / "ws", lambda port: ws_batch(port, answered))
    # well_behaved_during records heads without times: one sample per call, ~20 ms apart plus latency
    t = 0.0
    for latency, number in zip(seen["latencies"], seen["heads"]):
        t += latency + 0.02
        heads.append((t, number))
    return [
        {"benchmark": f"chain_getHeader p99 during a {answered:,}-call batch (the longest whose answer fits)",
         "value": _p99(seen["latencies"]), "unit": "ms", "baseline": _p99(idle_latencies),
         "baseline_name": "no flood", "lower_is_better": True,
         "note": f"target < 250 ms; {len(seen['latencies'])} calls; batch {flood_s:.1f} s, {_outcome(seen['result'])}"},
        {"benchmark": "longest gap between blocks during that batch", "value": _max_head_gap(heads),
         "unit": "ms", "baseline": _max_head_gap(idle_heads), "baseline_name": "no flood", "lower_is_better": True,
         "note": f"slot {SLOT_MS} ms; blocks {seen['heads'][0]} -> {seen['heads'][-1]}"},
        {"benchmark": "node peak RSS growth, 3,000 state_getMetadata in one batch", "value": rss_metadata,
         "unit": "MiB", "baseline": RESPONSE_LIMIT / 2**20, "baseline_name": "response limit",
         "note": (f"answer: error {metadata['error']['code']}" if isinstance(metadata, dict) else "answered")
         + "; after one call filled the node's metadata cache"},
        {"benchmark": "node peak RSS growth, that batch (HTTP, after the metadata batch)", "value": rss_flood,
         "unit": "MiB", "baseline": RESPONSE_LIMIT / 2**20, "baseline_name": "response limit",
         "note": f"its answer alone is {answer_mib:.2f} MiB; the body shrinks as the answer grows"},
        {"benchmark": "node peak RSS growth, that batch (HTTP, the node's first request)", "value": rss_fresh,
         "unit": "MiB", "baseline": RESPONSE_LIMIT / 2**20, "baseline_name": "response limit",
         "note": f"answer {answer_mib:.2f} MiB; what a fresh node's first big request grows once"},
        {"benchmark": "node peak RSS growth, that batch as one WebSocket frame (first request)", "value": rss_ws,
         "unit": "MiB", "baseline": RESPONSE_LIMIT / 2**20, "baseline_name": "response limit",
         "note": f"{_outcome(ws_answer)}, {answer_mib:.2f} MiB"},
        {"benchmark": f"node peak RSS growth, a {largest:,}-call batch (15 MiB body)", "value": rss_refused,
         "unit": "MiB", "baseline": REQUEST_LIMIT / 2**20, "baseline_name": "request limit",
         "note": f"fresh node; {_outcome(refused)}: its answer and the rest of its body pass the limit"},
    ]


if __name__ == "__main__":
    for row in bench():
        print(row)
