"""node.rpc over real sockets: HTTP, WebSocket, subscriptions, errors, limits, real clients."""
from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import struct
from contextlib import asynccontextmanager
from functools import partial

import pytest
import requests
import trio
import websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Pong,
    Request,
    TextMessage,
)

from node.rpc import RpcError, RpcModule, RpcServer, serve_rpc

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
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + body


# === HTTP ===========================================================================================

async def test_http_single_request_echoes_int_and_string_ids():
    async with running(Toy()) as server:
        r = await post(server.port, req("system_health", [], id=7))
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == {"jsonrpc": "2.0", "id": 7, "result": HEALTH}
        r = await post(server.port, req("echo", ["a", 1], id="aS59"))
        assert r.json() == {"jsonrpc": "2.0", "id": "aS59", "result": ["a", 1]}
        r = await post(server.port, req("echo_alias", {"k": [1, None]}, id=None))
        assert r.json() == {"jsonrpc": "2.0", "id": None, "result": {"k": [1, None]}}
        big_id = 2**80
        r = await post(server.port, req("echo", [], id=big_id))
        assert json.loads(r.text)["id"] == big_id
        # no params at all is an empty list
        r = await post(server.port, {"jsonrpc": "2.0", "id": 1, "method": "echo"})
        assert r.json()["result"] == []


async def test_http_batch_keeps_order_and_skips_notifications():
    toy = Toy()
    async with running(toy) as server:
        batch = [req("echo", [1], id=1), {"jsonrpc": "2.0", "method": "notify_me", "params": ["n"]},
                 req("nope", [], id="x"), req("system_health", [], id=3)]
        r = await post(server.port, batch)
        assert r.status_code == 200
        assert r.json() == [
            {"jsonrpc": "2.0", "id": 1, "result": [1]},
            {"jsonrpc": "2.0", "id": "x", "error": {"code": -32601, "message": "Method not found"}},
            {"jsonrpc": "2.0", "id": 3, "result": HEALTH},
        ]
        assert toy.notified == [["n"]]
        # a batch of notifications only: nothing to say, an empty 200
        r = await post(server.port, [{"jsonrpc": "2.0", "method": "notify_me", "params": [2]}] * 2)
        assert (r.status_code, r.text) == (200, "")
        assert toy.notified == [["n"], [2], [2]]


async def test_http_notification_runs_and_gets_no_answer():
    toy = Toy()
    async with running(toy) as server:
        r = await post(server.port, {"jsonrpc": "2.0", "method": "notify_me", "params": {"a": 1}})
        assert (r.status_code, r.text) == (200, "")
        assert toy.notified == [{"a": 1}]
        r = await post(server.port, {"jsonrpc": "2.0", "method": "no_such_method"})
        assert (r.status_code, r.text) == (200, "")


@pytest.mark.parametrize("body, expected", [
    ('{"jsonrpc":"2.0","id":1,"method":"nope"}', {"id": 1, "error": {"code": -32601, "message": "Method not found"}}),
    ("dsdfs fsdsfds", {"id": None, "error": {"code": -32700, "message": "Parse error"}}),
    ("{", {"id": None, "error": {"code": -32700, "message": "Parse error"}}),
    ("{}", {"id": None, "error": {"code": -32700, "message": "Parse error"}}),
    ("123", {"id": None, "error": {"code": -32700, "message": "Parse error"}}),
    ('{"method":"echo","id":5}', {"id": 5, "error": {"code": -32600, "message": "Invalid request"}}),
    ('{"jsonrpc":"1.0","method":"echo","id":"q"}', {"id": "q", "error": {"code": -32600, "message": "Invalid request"}}),
    ('{"jsonrpc":"2.0","method":1,"id":2}', {"id": 2, "error": {"code": -32600, "message": "Invalid request"}}),
    ('{"jsonrpc":"2.0","method":"echo","id":1.5}', {"id": None, "error": {"code": -32700, "message": "Parse error"}}),
    ('{"jsonrpc":"2.0","method":"echo","id":true}', {"id": None, "error": {"code": -32700, "message": "Parse error"}}),
    ('{"jsonrpc":"2.0","method":"echo","params":"bar","id":3}', {"id": 3, "error": {"code": -32602, "message": "Invalid params"}}),
    ("[]", {"id": None, "error": {"code": -32600, "message": "Invalid request"}}),
    ('[{"jsonrpc":"2.0","method":"echo","id":1}', {"id": None, "error": {"code": -32700, "message": "Parse error"}}),
    ('{"jsonrpc":"2.0","id":4,"method":"boom"}', {"id": 4, "error": {"code": -32603, "message": "Internal error"}}),
    ('{"jsonrpc":"2.0","id":4,"method":"not_json"}', {"id": 4, "error": {"code": -32603, "message": "Internal error"}}),
    ('{"jsonrpc":"2.0","id":6,"method":"needs_int","params":["x"]}',
     {"id": 6, "error": {"code": -32602, "message": "Invalid params", "data": "expected an integer"}}),
    ('{"jsonrpc":"2.0","id":"t","method":"invalid_tx","params":["0x00"]}',
     {"id": "t", "error": {"code": 1010, "message": "Invalid Transaction",
                           "data": "Inability to pay some fees (e.g. account balance too low)"}}),
    ('{"jsonrpc":"2.0","id":8,"method":"test_subscribeTicks","params":[]}',
     {"id": 8, "error": {"code": -32603, "message": "Internal error"}}),
    ('{"jsonrpc":"2.0","id":9,"method":"test_unsubscribeTicks","params":["abc"]}',
     {"id": 9, "error": {"code": -32603, "message": "Internal error"}}),
    ('[{"jsonrpc":"2.0","method":"echo","params":[1],"id":"1"},{"foo":"boo"},1,'
     '{"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"}]',
     [{"id": "1", "result": [1]}, {"id": None, "error": {"code": -32600, "message": "Invalid request"}},
      {"id": None, "error": {"code": -32600, "message": "Invalid request"}},
      {"id": "5", "error": {"code": -32601, "message": "Method not found"}}]),
])
async def test_http_error_codes_match_jsonrpsee(body, expected):
    async with running(Toy()) as server:
        r = await post(server.port, body)
        assert r.status_code == 200
        got = r.json()
        if isinstance(expected, list):
            assert got == [{"jsonrpc": "2.0", **e} for e in expected]
        else:
            assert got == {"jsonrpc": "2.0", **expected}
        # whatever it was, the server still answers
        assert (await post(server.port, req("system_health", []))).json()["result"] == HEALTH


async def test_http_unexpected_exception_is_logged(caplog):
    async with running(Toy()) as server:
        await post(server.port, req("boom", []))
    assert any("boom" in record.getMessage() and record.exc_info for record in caplog.records)


async def test_unsafe_methods_follow_the_policy():
    call = req("author_rotateKeys", [])
    unsafe_error = {"code": -32601, "message": "RPC call is unsafe to be called externally"}
    async with running(Toy(), rpc_methods="safe") as server:
        assert (await post(server.port, call)).json()["error"] == unsafe_error
        # still listed, as Substrate lists every method whatever the policy
        methods = (await post(server.port, req("rpc_methods", []))).json()["result"]["methods"]
        assert "author_rotateKeys" in methods
    async with running(Toy(), rpc_methods="unsafe") as server:
        assert (await post(server.port, call)).json()["result"] == "0x" + "00" * 32
    async with running(Toy(), rpc_methods="auto") as server:  # bound to loopback: unsafe allowed
        assert "result" in (await post(server.port, call)).json()
    toy = Toy()
    server = RpcServer(toy.module, "localhost", 0, rpc_methods="auto")  # 127.0.0.1 and maybe ::1
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve)
        assert "result" in (await post(server.port, call)).json()
        nursery.cancel_scope.cancel()
    server = RpcServer(toy.module, "0.0.0.0", 0, rpc_methods="auto")
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve)
        assert (await post(server.port, call)).json()["error"] == unsafe_error
        nursery.cancel_scope.cancel()
    with pytest.raises(ValueError):
        RpcServer(toy.module, rpc_methods="sometimes")


async def test_rpc_methods_lists_every_name_sorted():
    toy = Toy()
    async with running(toy) as server:
        result = (await post(server.port, req("rpc_methods", []))).json()["result"]
    assert result["version"] == 1
    methods = result["methods"]
    assert methods == sorted(methods)
    for name in ("rpc_methods", "echo", "echo_alias", "test_subscribeTicks", "test_subscribeTick",
                 "test_unsubscribeTicks", "test_unsubscribeTick", "system_health"):
        assert name in methods
    assert set(methods) == set(toy.module.method_names()) | {"rpc_methods"}
    assert "author_rotateKeys" not in toy.module.method_names(include_unsafe=False)


async def test_module_rejects_duplicate_names():
    rpc = RpcModule()
    rpc.method("a")(lambda params: 1)
    with pytest.raises(ValueError):
        rpc.method("b", aliases=["a"])(lambda params: 2)
    with pytest.raises(ValueError):
        rpc.method("rpc_methods")(lambda params: 3)
    with pytest.raises(TypeError):
        rpc.subscription("s", "u", "n")(lambda params, sink: None)


async def test_http_transport_details():
    async with running(Toy(), max_request_bytes=1000) as server:
        port = server.port

        def exercise():
            out = {}
            r = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            out["get"] = (r.status_code, r.text)
            r = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
            out["health"] = (r.status_code, r.json())
            r = requests.post(f"http://127.0.0.1:{port}/", data=json.dumps(req("echo", [])),
                              headers={"Content-Type": "text/plain"}, timeout=5)
            out["content_type"] = r.status_code
            r = requests.post(f"http://127.0.0.1:{port}/any/path", json=req("echo", [1]), timeout=5)
            out["path"] = r.json()["result"]
            r = requests.post(f"http://127.0.0.1:{port}/", json=req("echo", ["z" * 2000]), timeout=5)
            out["too_big"] = (r.status_code, r.json())
            r = requests.post(f"http://127.0.0.1:{port}/", data=iter([b'{"jsonrpc":"2.0",', b"x" * 2000]),
                              headers={"Content-Type": "application/json"}, timeout=5)  # chunked
            out["too_big_chunked"] = r.status_code
            r = requests.post(f"http://127.0.0.1:{port}/", data=iter([b'{"jsonrpc":"2.0","id":1,',
                                                                       b'"method":"echo","params":[2]}']),
                              headers={"Content-Type": "application/json; charset=utf-8"}, timeout=5)
            out["chunked"] = r.json()["result"]
            # keep-alive: several requests on one connection
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            for i in range(3):
                conn.request("POST", "/", body=json.dumps(req("echo", [i], id=i)),
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                out.setdefault("keep_alive", []).append(json.loads(resp.read())["result"])
            out["sock_reused"] = conn.sock is not None
            conn.close()
            return out

        out = await trio.to_thread.run_sync(exercise)
    assert out["get"][0] == 405
    assert out["health"] == (200, HEALTH)
    assert out["content_type"] == 415
    assert out["path"] == [1]
    assert out["too_big"] == (413, {"jsonrpc": "2.0", "id": None, "error": {
        "code": -32007, "message": "Request is too big", "data": "Exceeded max limit of 1000"}})
    assert out["too_big_chunked"] == 413
    assert out["chunked"] == [2]
    assert out["keep_alive"] == [[0], [1], [2]]
    assert out["sock_reused"]


async def test_oversized_response_is_an_error():
    async with running(Toy(), max_response_bytes=1000) as server:
        r = await post(server.port, req("huge", [2000], id=2))
        assert r.json() == {"jsonrpc": "2.0", "id": 2, "error": {
            "code": -32008, "message": "Response is too big", "data": "Exceeded max limit of 1000"}}
        r = await post(server.port, [req("huge", [600], id=1), req("huge", [600], id=2)])
        assert r.json()["error"]["code"] == -32011
        assert (await post(server.port, req("huge", [10]))).json()["result"] == "x" * 10


async def test_cors():
    origin = {"Origin": "http://localhost:3000"}

    def preflight(port, origin_value):
        return requests.options(f"http://127.0.0.1:{port}/", timeout=5, headers={
            "Origin": origin_value, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})

    async with running(Toy(), cors=["http://localhost:*", "https://polkadot.js.org"]) as server:
        r = await trio.to_thread.run_sync(preflight, server.port, "http://localhost:3000")
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "POST" in r.headers["access-control-allow-methods"]
        assert "content-type" in r.headers["access-control-allow-headers"].lower()
        r = await trio.to_thread.run_sync(preflight, server.port, "https://evil.example")
        assert r.status_code == 403
        assert "access-control-allow-origin" not in r.headers
        r = await post(server.port, req("echo", []), headers=origin)
        assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
        r = await post(server.port, req("echo", []), headers={"Origin": "http://localhost.evil:80"})
        assert r.status_code == 403
        assert "access-control-allow-origin" not in r.headers
    async with running(Toy(), cors="all") as server:
        r = await trio.to_thread.run_sync(preflight, server.port, "https://anything.example")
        assert r.headers["access-control-allow-origin"] == "*"
    async with running(Toy(), cors=None) as server:  # no browser origin may call
        r = await trio.to_thread.run_sync(preflight, server.port, "http://localhost:3000")
        assert r.status_code == 403
        r = await post(server.port, req("echo", []), headers=origin)
        assert r.status_code == 403
        assert "access-control-allow-origin" not in r.headers
        r = await post(server.port, req("echo", []))  # not from a browser: no Origin, served
        assert r.status_code == 200


async def test_max_connections_refuses_with_429():
    async with running(Toy(), max_connections=2) as server:
        held = [await WsClient.connect(server.port), await WsClient.connect(server.port)]
        await wait_until(lambda: server.connections == 2)
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        await stream.send_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        with trio.fail_after(5):
            while chunk := await stream.receive_some(4096):
                data += chunk
        assert data.startswith(b"HTTP/1.1 429")
        await stream.aclose()
        for client in held:
            await client.aclose()
        await wait_until(lambda: server.connections == 0)
        r = await post(server.port, req("echo", [1]))
        assert r.json()["result"] == [1]


# === WebSocket ======================================================================================

async def test_ws_single_batch_and_notification():
    toy = Toy()
    async with running(toy) as server:
        client = await WsClient.connect(server.port, "/any/path?x=1")
        assert await client.call("system_health", [], id="abc") == {"jsonrpc": "2.0", "id": "abc", "result": HEALTH}
        await client.send({"jsonrpc": "2.0", "method": "notify_me", "params": [1]})  # no answer
        await client.send([req("echo", [1], id=1), req("nope", id=2),
                           {"jsonrpc": "2.0", "method": "notify_me", "params": [2]}])
        assert await client.recv() == [
            {"jsonrpc": "2.0", "id": 1, "result": [1]},
            {"jsonrpc": "2.0", "id": 2, "error": {"code": -32601, "message": "Method not found"}}]
        assert toy.notified == [[1], [2]]
        await client.send("not json at all")
        assert (await client.recv())["error"]["code"] == -32700
        await client.send(b'{"jsonrpc":"2.0","id":9,"method":"echo","params":["bin"]}')  # binary frame
        assert (await client.recv())["result"] == ["bin"]
        await client.send([])
        assert (await client.recv())["error"]["code"] == -32600
        await client.aclose()


async def test_ws_pipelined_requests_answer_in_order():
    async with running(Toy()) as server:
        client = await WsClient.connect(server.port)
        data = b"".join(client.ws.send(Message(data=json.dumps(req("echo", [i], id=i)))) for i in range(500))
        await client.stream.send_all(data)
        for i in range(500):
            assert await client.recv() == {"jsonrpc": "2.0", "id": i, "result": [i]}
        await client.aclose()


async def test_ws_subscription_lifecycle():
    toy = Toy()
    async with running(toy) as server:
        client = await WsClient.connect(server.port)
        await client.send(req("test_subscribeTicks", [5], id=1))
        answer = await client.recv()
        assert answer["id"] == 1
        sub_id = answer["result"]
        assert isinstance(sub_id, str) and len(sub_id) == 16
        values = []
        for _ in range(3):  # the initial value, then pushes
            note = await client.recv()
            assert note["method"] == "test_tick"
            assert note["params"]["subscription"] == sub_id
            values.append(note["params"]["result"])
        assert values == [0, 1, 2]
        # the other registration's unsubscribe does not know this id
        assert (await client.call("test_unsubscribeOnce", [sub_id], id=2))["result"] is False
        await client.send(req("test_unsubscribeTick", [sub_id], id=3))  # an alias of the unsubscribe
        while True:
            message = await client.recv()
            if message.get("id") == 3:
                assert message["result"] is True
                break
            assert message["method"] == "test_tick"
        await wait_until(lambda: toy.live_subscriptions == 0)
        # after the answer to unsubscribe, no more notifications
        assert await client.call("echo", ["after"], id=4) == {"jsonrpc": "2.0", "id": 4, "result": ["after"]}
        assert (await client.call("test_unsubscribeTicks", [sub_id], id=5))["result"] is False
        assert (await client.call("test_unsubscribeTicks", ["nonsense"], id=6))["result"] is False
        assert (await client.call("test_unsubscribeTicks", [], id=7))["result"] is False
        await client.aclose()


async def test_ws_subscription_rejected_with_error_and_one_shot():
    toy = Toy()
    async with running(toy) as server:
        client = await WsClient.connect(server.port)
        assert await client.call("test_subscribeTicks", ["fast"], id=1) == {"jsonrpc": "2.0", "id": 1, "error": {
            "code": -32602, "message": "Invalid params", "data": "period must be an integer"}}
        answer = await client.call("test_subscribeOnce", [], id=2)
        note = await client.recv()
        assert note == {"jsonrpc": "2.0", "method": "test_once",
                        "params": {"subscription": answer["result"], "result": "only"}}
        await client.aclose()


async def test_ws_subscription_cancelled_on_disconnect():
    toy = Toy()
    async with running(toy) as server:
        client = await WsClient.connect(server.port)
        for i in range(3):
            await client.send(req("test_subscribeTicks", [1], id=i))
        await wait_until(lambda: toy.live_subscriptions == 3)
        await client.aclose()  # no close frame: the TCP connection just goes
        await wait_until(lambda: toy.live_subscriptions == 0 and server.connections == 0)

        client = await WsClient.connect(server.port)  # and with a proper close handshake
        await client.send(req("test_subscribeTicks", [1], id=1))
        await wait_until(lambda: toy.live_subscriptions == 1)
        await client.stream.send_all(client.ws.send(CloseConnection(code=1000)))
        while not isinstance(event := await client.next_event(), CloseConnection):
            pass
        assert event.code == 1000
        await wait_until(lambda: toy.live_subscriptions == 0 and server.connections == 0)
        await client.aclose()


async def test_ws_subscription_limit():
    toy = Toy()
    async with running(toy, max_subscriptions_per_connection=2) as server:
        client = await WsClient.connect(server.port)
        for i in range(2):
            await client.send(req("test_subscribeTicks", [1000], id=i))
        await wait_until(lambda: toy.live_subscriptions == 2)
        await client.send(req("test_subscribeTicks", [1000], id="third"))
        while (message := await client.recv()).get("id") != "third":
            pass
        assert message["error"] == {"code": -32006, "message": "Too many subscriptions on the connection",
                                    "data": "Exceeded max limit of 2"}
        await client.aclose()


async def test_ws_subscription_in_a_batch_answers_before_notifying():
    async with running(Toy()) as server:
        client = await WsClient.connect(server.port)
        await client.send([req("echo", [1], id=1), req("test_subscribeTicks", [1], id=2),
                           req("test_subscribeTicks", ["bad"], id=3)])
        batch = await client.recv()
        assert batch[0] == {"jsonrpc": "2.0", "id": 1, "result": [1]}
        sub_id = batch[1]["result"]
        assert batch[2]["error"]["code"] == -32602
        note = await client.recv()
        assert note["params"] == {"subscription": sub_id, "result": 0}
        await client.aclose()


async def test_ws_concurrent_method_does_not_block_the_connection():
    toy = Toy()
    async with running(toy) as server:
        client = await WsClient.connect(server.port)
        await client.send(req("wait_release", [], id=1))
        await client.send(req("do_release", [], id=2))
        first, second = await client.recv(), await client.recv()
        assert first == {"jsonrpc": "2.0", "id": 2, "result": True}
        assert second == {"jsonrpc": "2.0", "id": 1, "result": "released"}
        await client.aclose()


async def test_ws_protocol_details():
    async with running(Toy(), max_request_bytes=1000) as server:
        client = await WsClient.connect(server.port)
        await client.stream.send_all(client.ws.send(Ping(payload=b"hi")))
        assert await client.next_event() == Pong(payload=b"hi")
        # a message in three fragments with a ping in between
        text = json.dumps(req("echo", ["fragmented"], id=1)).encode()
        raw = (masked_frame(text[:10], fin=False) + masked_frame(b"", opcode=0, fin=False)
               + masked_frame(b"pp", opcode=9) + masked_frame(text[10:], opcode=0))
        await client.stream.send_all(raw[:7])
        await trio.sleep(0.01)
        await client.stream.send_all(raw[7:])
        assert await client.next_event() == Pong(payload=b"pp")
        assert (await client.recv())["result"] == ["fragmented"]
        # the all-zero mask and a 2-byte length
        await client.stream.send_all(masked_frame(json.dumps(req("echo", ["m" * 200], id=2)).encode(),
                                                  mask=b"\0\0\0\0"))
        assert (await client.recv())["result"] == ["m" * 200]
        # too big, whole or in fragments: an error, and the connection carries on
        await client.send(json.dumps(req("echo", ["z" * 2000])))
        assert await client.recv() == {"jsonrpc": "2.0", "id": None, "error": {
            "code": -32007, "message": "Request is too big", "data": "Exceeded max limit of 1000"}}
        await client.stream.send_all(masked_frame(b"[" * 600, fin=False) + masked_frame(b"1" * 600, opcode=0,
                                                                                       fin=False)
                                     + masked_frame(b"]" * 600, opcode=0))
        assert (await client.recv())["error"]["code"] == -32007
        assert (await client.call("echo", ["still here"], id=3))["result"] == ["still here"]
        await client.aclose()


@pytest.mark.parametrize("raw, code", [
    (masked_frame(b"\xff\xfe", opcode=1), 1007),                   # invalid UTF-8 in a text frame
    (masked_frame(b"{}", rsv=0x40), 1002),                         # RSV1 without an extension
    (bytes((0x81, 0x02)) + b"{}", 1002),                           # unmasked client frame
    (masked_frame(b"{}", opcode=3), 1002),                         # reserved opcode
    (masked_frame(b"{}", opcode=0), 1002),                         # continuation out of nowhere
    (masked_frame(b"[", fin=False) + masked_frame(b"1]", opcode=1), 1002),  # new message inside one
    (masked_frame(b"x", opcode=9, fin=False), 1002),               # fragmented ping
    (masked_frame(b"\x03", opcode=8), 1002),                       # close with a 1-byte payload
])
async def test_ws_protocol_errors_close_the_connection(raw, code):
    async with running(Toy()) as server:
        client = await WsClient.connect(server.port)
        await client.stream.send_all(raw)
        while not isinstance(event := await client.next_event(), CloseConnection):
            pass
        assert event.code == code
        await client.aclose()
        await wait_until(lambda: server.connections == 0)
        assert (await post(server.port, req("echo", [1]))).json()["result"] == [1]


async def test_ws_handshake_errors():
    async with running(Toy()) as server:
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        await stream.send_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              b"Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16))
                              + b"\r\nSec-WebSocket-Version: 8\r\n\r\n")
        with trio.fail_after(5):
            data = await stream.receive_some(4096)
        assert data.startswith(b"HTTP/1.1 426")
        await stream.aclose()


async def test_slow_consumer_is_disconnected():
    toy = Toy()
    async with running(toy, send_queue_bytes=256 * 1024, slow_consumer_timeout=0.3) as server:
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await stream.send_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              b"Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16))
                              + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        await stream.receive_some(4096)  # the 101 (and maybe a little more)
        await stream.send_all(masked_frame(json.dumps(req("test_subscribeFlood", [])).encode()))
        await wait_until(lambda: toy.live_subscriptions == 1)
        # never read again: the queue fills, the server gives up on us
        await wait_until(lambda: toy.live_subscriptions == 0 and server.connections == 0, timeout=20)
        await stream.aclose()
        assert (await post(server.port, req("echo", [1]))).json()["result"] == [1]


async def test_half_open_and_truncated_connections():
    async with running(Toy()) as server:
        port = server.port
        # an HTTP request cut in the middle of the headers, then EOF
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        await stream.send_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Len")
        await stream.aclose()
        # a body shorter than its Content-Length, then EOF
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        await stream.send_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 100\r\n\r\n{\"jsonrpc\"")
        await stream.aclose()
        # a complete request, then the client shuts down its sending side: it still gets the answer
        sock = socket.create_connection(("127.0.0.1", port))
        body = json.dumps(req("echo", ["half"])).encode()
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        sock.shutdown(socket.SHUT_WR)

        def read_all():
            sock.settimeout(5)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            return data
        data = await trio.to_thread.run_sync(read_all)
        sock.close()
        assert data.startswith(b"HTTP/1.1 200") and b'"result":["half"]' in data
        # a WebSocket that sends half a frame and vanishes
        client = await WsClient.connect(port)
        await client.stream.send_all(masked_frame(json.dumps(req("echo", [1])).encode())[:9])
        await client.aclose()
        # a WebSocket request whose answer cannot be delivered (peer gone at once)
        client = await WsClient.connect(port)
        await client.send(req("huge", [1_000_000]))
        await client.aclose()
        await wait_until(lambda: server.connections == 0)
        assert (await post(server.port, req("echo", [1]))).json()["result"] == [1]


async def test_idle_http_connection_is_closed():
    async with running(Toy(), http_keep_alive_timeout=0.2) as server:
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        await wait_until(lambda: server.connections == 1)
        with trio.fail_after(5):
            assert await stream.receive_some(100) == b""
        await stream.aclose()
        await wait_until(lambda: server.connections == 0)


async def test_garbage_bytes_get_400_and_the_server_lives():
    async with running(Toy()) as server:
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        await stream.send_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(300))  # a TLS hello
        with trio.fail_after(5):
            data = await stream.receive_some(4096)
        assert data.startswith(b"HTTP/1.1 400")
        await stream.aclose()
        assert (await post(server.port, req("echo", [1]))).json()["result"] == [1]


# === real clients ===================================================================================

@pytest.mark.integration
@pytest.mark.parametrize("scheme", ["ws", "http"])
async def test_substrate_interface_rpc_request(scheme):
    from substrateinterface import SubstrateInterface

    async with running(Toy()) as server:
        def use_client():
            substrate = SubstrateInterface(url=f"{scheme}://127.0.0.1:{server.port}", auto_discover=False)
            try:
                return substrate.rpc_request("system_health", [])
            finally:
                substrate.close()
        answer = await trio.to_thread.run_sync(use_client)
    assert answer["result"] == HEALTH


@pytest.mark.integration
async def test_websocket_client_subscription():
    """websocket-client (what substrate-interface speaks) through a subscription and its unsubscribe."""
    toy = Toy()
    async with running(toy) as server:
        def use_client():
            ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}", timeout=5)
            ws.send(json.dumps(req("test_subscribeTicks", [5], id=1)))
            sub_id = json.loads(ws.recv())["result"]
            notes = [json.loads(ws.recv()) for _ in range(3)]
            ws.send(json.dumps(req("test_unsubscribeTicks", [sub_id], id=2)))
            while "id" not in (answer := json.loads(ws.recv())):
                pass
            ws.ping("x")
            ws.close()
            return sub_id, notes, answer
        sub_id, notes, answer = await trio.to_thread.run_sync(use_client)
        assert [n["params"] for n in notes] == [{"subscription": sub_id, "result": i} for i in range(3)]
        assert answer == {"jsonrpc": "2.0", "id": 2, "result": True}
        await wait_until(lambda: toy.live_subscriptions == 0 and server.connections == 0)


async def test_serve_rpc_reports_the_port():
    toy = Toy()
    async with trio.open_nursery() as nursery:
        port = await nursery.start(partial(serve_rpc, toy.module, "127.0.0.1", 0))
        assert isinstance(port, int) and port > 0
        assert (await post(port, req("system_chain", []))).json()["result"] == "Agora Toy"
        nursery.cancel_scope.cancel()
