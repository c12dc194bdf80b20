"""Hypothesis against a live node.rpc server: garbage never takes it down, frames decode right.

One server runs for the whole module in a thread with its own trio loop; the
tests are plain blocking clients. After every example the server must still
answer, and at the end no connection may be left behind.
"""
from __future__ import annotations

import base64
import json
import os
import queue
import socket
import struct
import threading
import time

import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.rpc import RpcError, RpcModule, RpcServer
from tests.rpc.rpc_harness import masked_frame

MAX_REQUEST = 256 * 1024
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _module() -> RpcModule:
    rpc = RpcModule()

    @rpc.method("echo")
    def echo(params):
        return params

    @rpc.method("system_health")
    async def system_health(params):
        return {"peers": 0, "isSyncing": False, "shouldHavePeers": False}

    @rpc.method("picky")
    async def picky(params):
        if not isinstance(params, list) or len(params) != 2 or not all(isinstance(p, int) for p in params):
            raise RpcError.invalid_params("two integers")
        return params[0] + params[1]

    @rpc.method("explode")
    async def explode(params):
        raise RuntimeError(f"bug with {params!r}")

    @rpc.subscription("fuzz_subscribe", "fuzz_unsubscribe", "fuzz_note")
    async def subscribe(params, sink):
        if params and not isinstance(params[0], int):
            raise RpcError.invalid_params()
        await sink.send(params)
        await trio.sleep_forever()

    return rpc


@pytest.fixture(scope="module")
def server():
    ready: queue.Queue = queue.Queue()

    def run() -> None:
        async def main() -> None:
            rpc_server = RpcServer(_module(), "127.0.0.1", 0, max_request_bytes=MAX_REQUEST,
                                   http_keep_alive_timeout=5)
            async with trio.open_nursery() as nursery:
                await nursery.start(rpc_server.serve)
                ready.put((rpc_server, trio.lowlevel.current_trio_token(), nursery.cancel_scope))
        trio.run(main)

    thread = threading.Thread(target=run, name="rpc-fuzz-server", daemon=True)
    thread.start()
    rpc_server, token, scope = ready.get(timeout=10)
    yield rpc_server
    deadline = time.monotonic() + 10
    while rpc_server.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rpc_server.connections == 0, "connections left behind"
    trio.from_thread.run_sync(scope.cancel, trio_token=token)
    thread.join(10)


# --- blocking helpers ---------------------------------------------------------------------------

def http_exchange(port: int, raw: bytes, timeout: float = 5.0) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data
    except ConnectionResetError:
        return b""
    finally:
        sock.close()


def post_raw(port: int, body: bytes) -> tuple[int, bytes]:
    data = http_exchange(port, b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def assert_alive(port: int) -> None:
    status, body = post_raw(port, b'{"jsonrpc":"2.0","id":"alive","method":"echo","params":[1]}')
    assert status == 200 and json.loads(body) == {"jsonrpc": "2.0", "id": "alive", "result": [1]}


def check_response(message) -> None:
    """A well-formed JSON-RPC response (or batch of them)."""
    if isinstance(message, list):
        assert message, "an empty batch answer"
        for each in message:
            check_response(each)
        return
    assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", message
    assert "id" in message and (message["id"] is None or type(message["id"]) in (int, str)), message
    assert ("result" in message) != ("error" in message), message
    if "error" in message:
        error = message["error"]
        assert type(error["code"]) is int and isinstance(error["message"], str), message


class Ws:
    """A blocking WebSocket client with hand-made frames (so tests control every byte)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16))
                          + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            assert chunk, "closed during the handshake"
            buf += chunk
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101")

    def frame(self) -> tuple[int, bytes]:
        """The next server frame: (opcode, payload); (-1, b"") on EOF."""
        while True:
            buf = self.buf
            if len(buf) >= 2:
                n = buf[1] & 0x7F
                start = 2
                if n == 126 and len(buf) >= 4:
                    n, start = struct.unpack_from("!H", buf, 2)[0], 4
                elif n == 127 and len(buf) >= 10:
                    n, start = struct.unpack_from("!Q", buf, 2)[0], 10
                if n < 126 or start > 2:
                    if len(buf) >= start + n:
                        self.buf = buf[start + n:]
                        return buf[0] & 0x0F, buf[start:start + n]
            chunk = self.sock.recv(65536)
            if not chunk:
                return -1, b""
            self.buf += chunk

    def message(self):
        """The next data message, decoded (control frames are returned as ("control", opcode, payload))."""
        opcode, payload = self.frame()
        if opcode in (1, 2):
            return json.loads(payload)
        return ("control", opcode, payload)

    def send(self, payload: bytes, opcode: int = 1) -> None:
        self.sock.sendall(masked_frame(payload, opcode, True, os.urandom(4)))

    def close(self) -> None:
        self.sock.close()


# --- strategies ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)
anything = json_values | st.just(float("nan")) | st.just(float("inf"))
methods = st.sampled_from(["echo", "system_health", "picky", "explode", "fuzz_subscribe", "fuzz_unsubscribe",
                           "rpc_methods", "nope", ""]) | st.text(max_size=12)
request_like = st.fixed_dictionaries({}, optional={
    "jsonrpc": st.sampled_from(["2.0", "1.0", 2.0, None]) | anything,
    "id": st.integers() | st.text(max_size=10) | st.none() | anything,
    "method": methods | anything,
    "params": st.lists(json_values, max_size=4) | st.dictionaries(st.text(max_size=5), json_values, max_size=3)
    | anything,
}) | json_values
messages = request_like | st.lists(request_like, max_size=6)


def encode(message) -> bytes:
    return json.dumps(message, allow_nan=True).encode()


# --- tests --------------------------------------------------------------------------------------

@FUZZ
@given(raw=st.binary(max_size=3000))
def test_raw_garbage_on_the_socket(server, raw):
    data = http_exchange(server.port, raw)
    assert data == b"" or data.startswith(b"HTTP/1.1 ")
    assert_alive(server.port)


@FUZZ
@given(raw=st.binary(max_size=600), method=st.sampled_from([b"GET", b"POST", b"PUT", b"OPTIONS", b"BREW"]),
       target=st.sampled_from([b"/", b"/health", b"*", b"/x?y"]))
def test_garbage_after_a_request_line(server, raw, method, target):
    data = http_exchange(server.port, method + b" " + target + b" HTTP/1.1\r\n" + raw)
    assert data == b"" or data.startswith(b"HTTP/1.1 ")
    assert_alive(server.port)


@FUZZ
@given(body=st.binary(max_size=2000) | messages.map(encode))
def test_any_post_body_gets_a_json_rpc_answer(server, body):
    status, answer = post_raw(server.port, body)
    assert status == 200
    if answer:
        check_response(json.loads(answer))
    assert_alive(server.port)


@FUZZ
@given(batch=st.lists(messages, min_size=1, max_size=8))
def test_any_ws_message_gets_well_formed_answers(server, batch):
    ws = Ws(server.port)
    try:
        for message in batch:
            ws.send(encode(message))
        ws.send(b'{"jsonrpc":"2.0","id":"sentinel","method":"echo","params":[]}')
        while True:
            answer = ws.message()
            assert not (isinstance(answer, tuple) and answer[1] == -1), "connection closed"
            if isinstance(answer, dict) and answer.get("id") == "sentinel":
                break
            if isinstance(answer, dict) and answer.get("method") == "fuzz_note":
                continue  # a subscription some message opened
            check_response(answer)
    finally:
        ws.close()


@FUZZ
@given(data=st.data(), count=st.integers(min_value=1, max_value=12))
def test_fragmented_and_split_frames_decode_exactly(server, data, count):
    """Random fragmentation, masks, sizes, pings between fragments and TCP splits: same answers."""
    ws = Ws(server.port)
    try:
        wire = b""
        expected = []
        for i in range(count):
            value = data.draw(st.text(max_size=300) | st.binary(max_size=200).map(lambda b: b.hex()), label="value")
            payload = json.dumps({"jsonrpc": "2.0", "id": i, "method": "echo", "params": [value]},
                                 ensure_ascii=data.draw(st.booleans(), label="ascii")).encode()
            if data.draw(st.integers(0, 20), label="size class") == 0:
                payload += b" " * data.draw(st.integers(0, 100000), label="padding")  # 2- and 8-byte lengths
            opcode = data.draw(st.sampled_from([1, 2]), label="opcode")
            cuts = sorted(data.draw(st.lists(st.integers(0, len(payload)), max_size=4), label="cuts"))
            pieces = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)])]
            for j, piece in enumerate(pieces):
                mask = data.draw(st.sampled_from([b"\0\0\0\0", b"\xff\xff\xff\xff"]) | st.binary(min_size=4, max_size=4),
                                 label="mask")
                last = j == len(pieces) - 1
                wire += masked_frame(piece, opcode if j == 0 else 0, last, mask)
                if last:  # answered as soon as its last fragment is read
                    expected.append(("answer", {"jsonrpc": "2.0", "id": i, "result": [value]}))
                if data.draw(st.integers(0, 5), label="ping?") == 0:  # control frames may come between fragments
                    wire += masked_frame(b"p%d" % i, 9, True, os.urandom(4))
                    expected.append(("pong", b"p%d" % i))
        splits = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6), label="tcp splits"))
        for a, b in zip([0, *splits], [*splits, len(wire)]):
            ws.sock.sendall(wire[a:b])
        for kind, value in expected:
            got = ws.message()
            if kind == "pong":
                assert got == ("control", 10, value)
            else:
                assert got == value
    finally:
        ws.close()


@FUZZ
@given(raw=st.binary(min_size=1, max_size=2000))
def test_garbage_after_the_websocket_handshake(server, raw):
    ws = Ws(server.port)
    ws.sock.settimeout(0.5)  # garbage can declare a long frame: the server then just waits for it
    try:
        ws.sock.sendall(raw)
        ws.send(b'{"jsonrpc":"2.0","id":"after","method":"echo","params":[]}')
        # either the server still answers, or it closed the connection with a close frame / EOF
        while True:
            try:
                got = ws.message()
            except (ConnectionResetError, socket.timeout):
                break
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # an answer to part of the garbage that happened to be a frame
            if isinstance(got, tuple):
                if got[1] in (8, -1):
                    break
                continue
            if isinstance(got, dict) and got.get("id") == "after":
                break
            check_response(got)
    finally:
        ws.close()
    assert_alive(server.port)


@pytest.mark.parametrize("body", [
    b"[" * 100000, b'{"a":' * 50000, b"1" * 5000, b'{"jsonrpc":"2.0","id":' + b"9" * 5000 + b',"method":"echo"}',
    b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b'"\xed\xa0\x80"', b"NaN", b'{"jsonrpc":"2.0","id":1,"method":"echo",'
    b'"params":[1e999999]}',
])
def test_pathological_json(server, body):
    status, answer = post_raw(server.port, body)
    assert status == 200
    check_response(json.loads(answer))
    assert_alive(server.port)


def test_huge_declared_frame_is_refused_without_buffering(server):
    ws = Ws(server.port)
    try:
        ws.sock.sendall(b"\x81\xff" + struct.pack("!Q", 2**40) + b"\0\0\0\0" + b"x" * 100000)
        answer = ws.message()
        assert answer["error"]["code"] == -32007
    finally:
        ws.close()
    assert_alive(server.port)
