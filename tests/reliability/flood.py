"""A JSON-RPC batch flood against a real node, with a well-behaved client timing its calls
alongside (used by test_rpc_flood and by make bench's bench_rpc_flood)."""
from __future__ import annotations

import json
import threading
import time
import urllib.request

import websocket

from tests.integration.nodeproc import rpc


def _batch(n: int, method: str) -> str:
    return json.dumps([{"jsonrpc": "2.0", "id": i, "method": method} for i in range(n)])


def post_batch(port: int, n: int, method: str = "system_health", timeout: float = 300.0) -> list:
    body = _batch(n, method).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def ws_batch(port: int, n: int, method: str = "system_health", timeout: float = 300.0):
    """The same batch as :func:`post_batch`, sent as one WebSocket text message (websocket-client,
    the library substrate-interface speaks through)."""
    body = _batch(n, method)
    connection = websocket.create_connection(f"ws://127.0.0.1:{port}", timeout=timeout)
    try:
        connection.send(body)
        return json.loads(connection.recv())
    finally:
        connection.close()


def well_behaved_during(port: int, flood) -> dict:
    """Run `flood()` in a thread; meanwhile call chain_getHeader one at a time. Returns what the
    client saw while the flood was in flight: latencies (s), head numbers, the flood's result."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = flood()
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.2)  # the flood is being served
    latencies, heads = [], []
    while thread.is_alive():
        started = time.perf_counter()
        header = rpc(port, "chain_getHeader", timeout=60)["result"]
        if thread.is_alive():
            latencies.append(time.perf_counter() - started)
            heads.append(int(header["number"], 16))
        time.sleep(0.02)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return {"latencies": latencies, "heads": heads, "result": outcome["result"]}
