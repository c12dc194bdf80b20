"""JSON-RPC transport throughput and latency over one WebSocket (and HTTP keep-alive).

The server (``node.rpc.serve_rpc`` with a toy module) runs in a child process so it
has its own interpreter and GIL; the client here is a minimal blocking-socket
WebSocket client with pre-built frames, so it costs far less per request than the
server and the numbers describe the server.

Rows:
* pipelined req/s: one connection, up to ``WINDOW`` requests in flight (what a
  client like polkadot.js or a batch job does);
* sequential p50 / p99 latency and req/s: one request in flight;
* HTTP keep-alive sequential req/s.
The baseline of the pipelined rows is the node's target: 2,000 state_getStorage/s
over one WebSocket, which the transport alone must beat by a wide margin. On a
shared machine the sequential rows swing with the load (p99 especially).
"""
from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time

TARGET = 2000.0
WINDOW = 128
PIPELINED_REQUESTS = 30000
SEQUENTIAL_REQUESTS = 3000
STORAGE_VALUE = "0x" + "ab" * 80  # an AccountInfo-sized storage value


# --- the server (child process) ---------------------------------------------------------------

def _serve() -> None:
    from functools import partial

    import trio

    from node.rpc import RpcModule, serve_rpc

    rpc = RpcModule()

    @rpc.method("system_health")
    async def system_health(params):
        return {"peers": 0, "isSyncing": False, "shouldHavePeers": False}

    @rpc.method("state_getStorage", aliases=["state_getStorageAt"])
    async def state_get_storage(params):
        return STORAGE_VALUE if params else None

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            port = await nursery.start(partial(serve_rpc, rpc, "127.0.0.1", 0))
            print(port, flush=True)
            await trio.sleep_forever()

    trio.run(main)


# --- a minimal client --------------------------------------------------------------------------

def _request(i: int, method: str, params: list) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params},
                      separators=(",", ":")).encode()


def _client_frame(payload: bytes) -> bytes:
    """A masked text frame with an all-zero mask (valid; the payload goes as is)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x81, 0x80 | n))
    elif n < 65536:
        head = b"\x81\xfe" + struct.pack("!H", n)
    else:
        head = b"\x81\xff" + struct.pack("!Q", n)
    return head + b"\0\0\0\0" + payload


class _WsClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += self.sock.recv(4096)
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def messages(self) -> list[bytes]:
        """Block for data, return every complete server frame's payload received so far."""
        self.buf += self.sock.recv(1 << 20)
        out = []
        buf = self.buf
        pos = 0
        while True:
            if len(buf) - pos < 2:
                break
            n = buf[pos + 1] & 0x7F
            start = pos + 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n = struct.unpack_from("!H", buf, pos + 2)[0]
                start = pos + 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n = struct.unpack_from("!Q", buf, pos + 2)[0]
                start = pos + 10
            if len(buf) - start < n:
                break
            out.append(buf[start:start + n])
            pos = start + n
        self.buf = buf[pos:]
        return out

    def close(self) -> None:
        self.sock.close()


def _pipelined(port: int, method: str, params: list, total: int, window: int) -> float:
    client = _WsClient(port)
    frames = [_client_frame(_request(i, method, params)) for i in range(total)]
    # warm-up and a correctness check
    client.sock.sendall(frames[0])
    first = json.loads(client.messages()[0])
    assert first["id"] == 0 and "result" in first, first
    sent, received = 1, 1
    started = time.perf_counter()
    while received < total:
        if sent - received <= window // 2 and sent < total:
            upto = min(total, received + window)
            client.sock.sendall(b"".join(frames[sent:upto]))
            sent = upto
        received += len(client.messages())
    elapsed = time.perf_counter() - started
    client.close()
    return (total - 1) / elapsed


def _sequential(port: int, method: str, params: list, total: int) -> tuple[float, float, float]:
    client = _WsClient(port)
    frames = [_client_frame(_request(i, method, params)) for i in range(total)]
    times = []
    for frame in frames[:50]:  # warm-up
        client.sock.sendall(frame)
        while not client.messages():
            pass
    started = time.perf_counter()
    for frame in frames:
        t0 = time.perf_counter()
        client.sock.sendall(frame)
        while not client.messages():
            pass
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    client.close()
    times.sort()
    return total / elapsed, times[len(times) // 2] * 1e6, times[int(len(times) * 0.99)] * 1e6


def _http_sequential(port: int, total: int) -> float:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = _request(1, "state_getStorage", ["0x26aa394eea5630e07c48ae0c9558cef7"])
    request = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    started = time.perf_counter()
    buf = b""
    for _ in range(total):
        sock.sendall(request)
        while True:
            head_end = buf.find(b"\r\n\r\n")
            if head_end >= 0:
                head = buf[:head_end].lower()
                length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                if len(buf) >= head_end + 4 + length:
                    buf = buf[head_end + 4 + length:]
                    break
            buf += sock.recv(65536)
    elapsed = time.perf_counter() - started
    sock.close()
    return total / elapsed


def bench() -> list[dict]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve"], stdout=subprocess.PIPE,
                             cwd=root, env=env, text=True)
    try:
        port = int(child.stdout.readline())
        key = ["0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"]
        storage_rps = _pipelined(port, "state_getStorage", key, PIPELINED_REQUESTS, WINDOW)
        health_rps = _pipelined(port, "system_health", [], PIPELINED_REQUESTS, WINDOW)
        seq_rps, p50, p99 = _sequential(port, "state_getStorage", key, SEQUENTIAL_REQUESTS)
        http_rps = _http_sequential(port, SEQUENTIAL_REQUESTS)
    finally:
        child.terminate()
        child.wait(10)
    note = "toy handler; server in a child process"
    return [
        {"benchmark": f"rpc ws pipelined state_getStorage (window {WINDOW})", "value": storage_rps,
         "unit": "req/s", "baseline": TARGET, "baseline_name": "node target", "lower_is_better": False,
         "note": note},
        {"benchmark": f"rpc ws pipelined system_health (window {WINDOW})", "value": health_rps,
         "unit": "req/s", "baseline": TARGET, "baseline_name": "node target", "lower_is_better": False,
         "note": note},
        {"benchmark": "rpc ws sequential state_getStorage", "value": seq_rps, "unit": "req/s",
         "baseline": None, "baseline_name": "", "lower_is_better": False,
         "note": "one request in flight: bound by the round trip, not the server"},
        {"benchmark": "rpc ws sequential p50 latency", "value": p50, "unit": "us", "baseline": None,
         "baseline_name": "", "lower_is_better": True, "note": f"p99 {p99:.0f} us"},
        {"benchmark": "rpc http keep-alive sequential state_getStorage", "value": http_rps, "unit": "req/s",
         "baseline": None, "baseline_name": "", "lower_is_better": False, "note": "one request in flight"},
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        _serve()
    else:
        for row in bench():
            print(f"{row['benchmark']:55s} {row['value']:12,.0f} {row['unit']:6s} {row['note']}")
