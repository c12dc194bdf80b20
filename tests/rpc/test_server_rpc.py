"""node.rpc over real sockets, HTTP: single requests, batches, errors, limits, CORS."""
from __future__ import annotations

import http.client
import json

import pytest
import requests
import trio

from node.rpc import RpcModule, RpcServer
from tests.rpc.rpc_harness import HEALTH, Toy, running, wait_until, req, post, WsClient


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
