"""node.rpc over real sockets, WebSocket: subscriptions, protocol errors, slow consumers, real clients."""
from __future__ import annotations

import base64
import json
import os
import socket
from functools import partial

import pytest
import trio
import websocket
from wsproto.events import (
    CloseConnection,
    Message,
    Ping,
    Pong,
)

from node.rpc import serve_rpc
from tests.rpc.rpc_harness import HEALTH, Toy, running, wait_until, req, post, WsClient, masked_frame


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
