"""state_getStorage over one WebSocket against a real dev node process."""
from __future__ import annotations

import json
import tempfile
import time

import websocket

from tests.integration.nodeproc import NodeProcess

KEY = ("0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
       "de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
N = 4000


def bench() -> list[dict]:
    with tempfile.TemporaryDirectory() as base:
        node = NodeProcess(__import__("pathlib").Path(base), "--no-prometheus", block_time_ms=2000).start()
        try:
            ws = websocket.create_connection(node.url)
            request = lambda i: json.dumps({"jsonrpc": "2.0", "id": i, "method": "state_getStorage", "params": [KEY]})
            started = time.perf_counter()
            for i in range(N // 4):
                ws.send(request(i))
                assert "result" in json.loads(ws.recv())
            sequential = (N // 4) / (time.perf_counter() - started)
            started = time.perf_counter()
            window = 64
            sent = received = 0
            while received < N:
                while sent < N and sent - received < window:
                    ws.send(request(sent))
                    sent += 1
                assert "result" in json.loads(ws.recv())
                received += 1
            pipelined = N / (time.perf_counter() - started)
            ws.close()
        finally:
            node.stop()
    return [
        {"benchmark": "state_getStorage, one WebSocket, pipelined (64 in flight)", "value": pipelined, "unit": "req/s",
         "baseline": sequential, "baseline_name": "one at a time", "note": "target >= 2,000 req/s"},
        {"benchmark": "state_getStorage, one WebSocket, one at a time", "value": sequential, "unit": "req/s",
         "note": "round-trip bound"},
    ]


if __name__ == "__main__":
    for row in bench():
        print(row)
