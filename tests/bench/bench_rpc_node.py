"""state_getStorage over one WebSocket against a real dev node process.

Uses the raw-socket WebSocket client of bench_rpc_transport so that the client (Python,
on the same 2 cores) is not what is measured.
"""
from __future__ import annotations

import pathlib
import tempfile

from tests.bench.bench_rpc_transport import _pipelined, _sequential
from tests.integration.nodeproc import NodeProcess

KEY = ("0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
       "de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
N = 20_000


def bench() -> list[dict]:
    with tempfile.TemporaryDirectory() as base:
        node = NodeProcess(pathlib.Path(base), "--no-prometheus", block_time_ms=2000).start()
        try:
            _pipelined(node.rpc_port, "state_getStorage", [KEY], 2000, 64)  # warm up
            pipelined = _pipelined(node.rpc_port, "state_getStorage", [KEY], N, 128)
            sequential, p50, _p99 = _sequential(node.rpc_port, "state_getStorage", [KEY], 2000)
        finally:
            node.stop()
    return [
        {"benchmark": "node state_getStorage, one WebSocket, 128 in flight", "value": pipelined, "unit": "req/s",
         "baseline": 2000, "baseline_name": "target", "note": "real node process; blocks authored meanwhile"},
        {"benchmark": "node state_getStorage, one WebSocket, one at a time", "value": sequential, "unit": "req/s",
         "note": f"p50 {p50:.0f} us round trip"},
    ]


if __name__ == "__main__":
    for row in bench():
        print(row)
