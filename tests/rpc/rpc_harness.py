"""A toy RPC module and raw HTTP / WebSocket clients for the node.rpc server tests."""
from __future__ import annotations

import json
import struct
from contextlib import asynccontextmanager
from functools import partial

import requests
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Request,
    TextMessage,
)

from node.rpc import RpcError, RpcModule, RpcServer

HEALTH = {"peers": 0, "isSyncing": False, "shouldHavePeers": False}


class Toy:
    """A toy module with one of everything, and probes the tests read."""

    def __init__(self) -> None:
        self.module = rpc = RpcModule()
        self.notified: list = []
        self.live_subscriptions = 0
        self.subscription_ended = trio.Event()
        self.release = trio.Event()

        @rpc.method("system_health")
        async def system_health(params):
            return HEALTH

        @rpc.method("system_chain")
        def system_chain(params):
            return "Agora Toy"

        @rpc.method("echo", aliases=["echo_alias"])
        def echo(params):
            return params

        @rpc.method("notify_me")
        async def notify_me(params):
            self.notified.append(params)
            return None

        @rpc.method("boom")
        async def boom(params):
            raise ZeroDivisionError("handler bug")

        @rpc.method("invalid_tx")
        async def invalid_tx(params):
            raise RpcError(1010, "Invalid Transaction", "Inability to pay some fees (e.g. account balance too low)")

        @rpc.method("needs_int")
        async def needs_int(params):
            if not params or type(params[0]) is not int:
                raise RpcError.invalid_params("expected an integer")
            return params[0] * 2

        @rpc.method("author_rotateKeys", unsafe=True)
        async def rotate_keys(params):
            return "0x" + "00" * 32

        @rpc.method("not_json")
        async def not_json(params):
            return {1, 2}

        @rpc.method("huge")
        async def huge(params):
            return "x" * params[0]

        @rpc.method("wait_release", concurrent=True)
        async def wait_release(params):
            await self.release.wait()
            return "released"

        @rpc.method("do_release")
        async def do_release(params):
            self.release.set()
            return True

        @rpc.subscription("test_subscribeTicks", "test_unsubscribeTicks", "test_tick",
                          aliases=["test_subscribeTick"], unsubscribe_aliases=["test_unsubscribeTick"])
        async def ticks(params, sink):
            if params and type(params[0]) is not int:
                raise RpcError.invalid_params("period must be an integer")
            period = params[0] / 1000 if params else 0.01
            self.live_subscriptions += 1
            try:
                n = 0
                while True:
                    await sink.send(n)
                    n += 1
                    await trio.sleep(period)
            finally:
                self.live_subscriptions -= 1
                self.subscription_ended.set()

        @rpc.subscription("test_subscribeOnce", "test_unsubscribeOnce", "test_once")
        async def once(params, sink):
            await sink.send("only")

        @rpc.subscription("test_subscribeFlood", "test_unsubscribeFlood", "test_flood")
        async def flood(params, sink):
            self.live_subscriptions += 1
            try:
                blob = "y" * 65536
                while True:
                    await sink.send(blob)
            finally:
                self.live_subscriptions -= 1
                self.subscription_ended.set()


@asynccontextmanager
async def running(toy: Toy, **options):
    server = RpcServer(toy.module, "127.0.0.1", 0, **options)
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(server.serve))
        yield server
        nursery.cancel_scope.cancel()


async def wait_until(predicate, timeout: float = 5.0) -> None:
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(0.01)


def req(method: str, params=None, id=1) -> dict:  # noqa: A002
    message = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


# --- blocking HTTP helpers (run in threads) ------------------------------------------------------

def http_post(port: int, body, content_type: str = "application/json", headers: dict | None = None):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(f"http://127.0.0.1:{port}/", data=data,
                         headers={"Content-Type": content_type, **(headers or {})}, timeout=10)


async def post(port: int, body, **kw):
    return await trio.to_thread.run_sync(partial(http_post, port, body, **kw))


# --- a trio WebSocket client on wsproto (for protocol-level tests) -------------------------------

class WsClient:
    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.events: list = []
        self.parts: list = []

    @classmethod
    async def connect(cls, port: int, target: str = "/") -> WsClient:
        client = cls(await trio.open_tcp_stream("127.0.0.1", port))
        await client.stream.send_all(client.ws.send(Request(host="127.0.0.1", target=target)))
        event = await client.next_event()
        assert isinstance(event, AcceptConnection), event
        return client

    async def next_event(self, timeout: float = 5.0):
        with trio.fail_after(timeout):
            while not self.events:
                self.events.extend(self.ws.events())
                if self.events:
                    break
                data = await self.stream.receive_some(65536)
                self.ws.receive_data(data or None)
            return self.events.pop(0)

    async def send(self, message) -> None:
        if not isinstance(message, (str, bytes)):
            message = json.dumps(message)
        await self.stream.send_all(self.ws.send(Message(data=message)))

    async def recv(self, timeout: float = 5.0):
        """The next complete data message, JSON-decoded."""
        while True:
            event = await self.next_event(timeout)
            if isinstance(event, (TextMessage, BytesMessage)):
                self.parts.append(event.data)
                if event.message_finished:
                    whole = "".join(self.parts) if isinstance(event, TextMessage) else b"".join(self.parts)
                    self.parts = []
                    return json.loads(whole)
            elif isinstance(event, CloseConnection):
                raise ConnectionError(f"closed: {event.code} {event.reason}")

    async def call(self, method: str, params=None, id=1):  # noqa: A002
        await self.send(req(method, params, id))
        return await self.recv()

    async def aclose(self) -> None:
        await self.stream.aclose()


def masked_frame(payload: bytes, opcode: int = 1, fin: bool = True, mask: bytes = b"\x01\x02\x03\x04",
                 rsv: int = 0) -> bytes:
    n = len(payload)
    first = (0x80 if fin else 0) | rsv | opcode
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = bytes((first, 0xFE)) + struct.pack("!H", n)
    else:
        head = bytes((first, 0xFF)) + struct.pack("!Q", n)
    if n:  # XOR with the repeated mask as one big integer: fast for the fuzz test's 100 kB payloads
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        payload = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")
    return head + mask + payload
