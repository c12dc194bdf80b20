"""Issue 12, items 2 and 3: what one JSON-RPC batch may cost the node.

A batch is refused past ``--rpc-max-batch-request-len``, stops being built at the first
answer past the response limit (so its memory is bounded by that limit, not by its
length), and yields to the scheduler while it runs, so other connections and tasks keep
being served. Timings are not asserted here: ``make bench`` (bench_rpc_flood) measures them.
"""
from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager

import trio

from node.rpc import RpcModule, RpcServer
from node.rpc.jsonrpc_wire import BATCHES_NOT_SUPPORTED, TOO_BIG_BATCH_REQUEST, TOO_BIG_BATCH_RESPONSE


class Probe:
    def __init__(self) -> None:
        self.big_calls = 0
        self.module = rpc = RpcModule()

        @rpc.method("big")
        def big(params):
            self.big_calls += 1
            return "x" * 10_000

        @rpc.method("busy")
        def busy(params):  # a little CPU per item, like a real handler
            end = time.perf_counter() + 0.0002
            while time.perf_counter() < end:
                pass
            return True

        @rpc.method("ping")
        def ping(params):
            return "pong"


@asynccontextmanager
async def serving(probe: Probe, **options):
    server = RpcServer(probe.module, "127.0.0.1", 0, cors="all", **options)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve)
        yield server.port
        nursery.cancel_scope.cancel()


def batch(method: str, n: int) -> bytes:
    return json.dumps([{"jsonrpc": "2.0", "id": i, "method": method} for i in range(n)]).encode()


async def post(port: int, body: bytes) -> object:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        data = b""
        with trio.fail_after(60):
            while chunk := await stream.receive_some(1 << 20):
                data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:100]
    return json.loads(payload)


async def test_batch_length_limit_and_disabled_batches():
    probe = Probe()
    async with serving(probe, max_batch_len=10) as port:
        assert len(await post(port, batch("ping", 10))) == 10
        answer = await post(port, batch("ping", 11))
        assert answer == {"jsonrpc": "2.0", "id": None, "error": {
            "code": TOO_BIG_BATCH_REQUEST, "message": "The batch request was too large",
            "data": "Exceeded max limit of 10"}}
    async with serving(probe, batches_enabled=False) as port:
        assert (await post(port, batch("ping", 2)))["error"]["code"] == BATCHES_NOT_SUPPORTED
        assert (await post(port, b'{"jsonrpc":"2.0","id":1,"method":"ping"}'))["result"] == "pong"


async def test_batch_stops_at_the_response_limit():
    """3,000 answers of 10 kB against a 100 kB limit: about ten are built, not 3,000."""
    probe = Probe()
    async with serving(probe, max_response_bytes=100_000) as port:
        answer = await post(port, batch("big", 3000))
        assert answer["error"]["code"] == TOO_BIG_BATCH_RESPONSE
        assert answer["error"]["data"] == "Exceeded max limit of 100000"
        assert probe.big_calls <= 11
        assert len(await post(port, batch("big", 9))) == 9  # under the limit: served


async def test_a_long_batch_does_not_starve_other_connections_or_tasks():
    probe = Probe()
    ticks_during_batch = 0
    answers_during_batch = 0
    batch_done = trio.Event()

    async def ticker():  # stands for the authoring loop: a task that wants to run now and then
        nonlocal ticks_during_batch
        while not batch_done.is_set():
            await trio.sleep(0.01)
            ticks_during_batch += 1

    async def flood(port):
        answer = await post(port, batch("busy", 5000))
        assert len(answer) == 5000 and all(item["result"] is True for item in answer)
        batch_done.set()

    async def well_behaved(port):
        nonlocal answers_during_batch
        while not batch_done.is_set():
            answer = await post(port, b'{"jsonrpc":"2.0","id":1,"method":"ping"}')
            assert answer["result"] == "pong"
            if not batch_done.is_set():
                answers_during_batch += 1

    async with serving(probe) as port:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(flood, port)
            await trio.sleep(0.05)  # the batch is being served
            nursery.start_soon(ticker)
            nursery.start_soon(well_behaved, port)
    assert answers_during_batch >= 3
    assert ticks_during_batch >= 3
