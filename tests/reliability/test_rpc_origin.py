"""Issue 12, items 7 and 8: browser Origins and Host names, checked on every request and
WebSocket handshake as Substrate does (raw sockets and h11, so nothing is added or fixed
up by a client library)."""
from __future__ import annotations

import base64
import json
import os
from contextlib import asynccontextmanager

import h11
import pytest
import trio

from node.cli import _node_config, build_parser
from node.rpc import SUBSTRATE_DEFAULT_CORS, RpcModule, RpcServer

EVIL = "http://evil.example"
HANDSHAKE_REFUSED = 403


class Recorder:
    """A module whose only method records its calls: a refused request must have no effect."""

    def __init__(self) -> None:
        self.calls = 0
        self.module = RpcModule()

        @self.module.method("author_rotateKeys", unsafe=True)
        def rotate(params):
            self.calls += 1
            return "0x00"

        @self.module.method("system_health")
        def health(params):
            return {"peers": 0, "isSyncing": False, "shouldHavePeers": False}


@asynccontextmanager
async def serving(recorder: Recorder, **options):
    server = RpcServer(recorder.module, "127.0.0.1", 0, **options)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve)
        yield server.port
        nursery.cancel_scope.cancel()


async def exchange(port: int, method: str, target: str, headers: list[tuple[str, str]], body: bytes = b""):
    """One raw HTTP/1.1 request; returns (status, lower-cased headers, body)."""
    client = h11.Connection(h11.CLIENT)
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        all_headers = [*headers] + ([("content-length", str(len(body)))] if method in ("POST", "OPTIONS") else [])
        data = client.send(h11.Request(method=method, target=target, headers=all_headers))
        if method in ("POST", "OPTIONS"):
            data += client.send(h11.Data(data=body)) if body else b""
            data += client.send(h11.EndOfMessage())
        await stream.send_all(data)
        response = None
        parts = []
        with trio.fail_after(10):
            while True:
                event = client.next_event()
                if event is h11.NEED_DATA:
                    client.receive_data(await stream.receive_some(65536))
                    continue
                if isinstance(event, (h11.Response, h11.InformationalResponse)):
                    response = event
                    if event.status_code == 101:
                        break
                elif isinstance(event, h11.Data):
                    parts.append(event.data)
                elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                    break
    return response.status_code, {k.decode(): v.decode() for k, v in response.headers}, b"".join(parts)


def ws_headers(port: int, origin: str | None, host: str | None = None) -> list[tuple[str, str]]:
    headers = [("host", host or f"127.0.0.1:{port}"), ("upgrade", "websocket"), ("connection", "Upgrade"),
               ("sec-websocket-key", base64.b64encode(os.urandom(16)).decode()), ("sec-websocket-version", "13")]
    return headers + ([("origin", origin)] if origin is not None else [])


def post_headers(port: int, origin: str | None, host: str | None = None) -> list[tuple[str, str]]:
    headers = [("host", host or f"127.0.0.1:{port}"), ("content-type", "application/json")]
    return headers + ([("origin", origin)] if origin is not None else [])


ROTATE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "author_rotateKeys", "params": []}).encode()


async def test_websocket_handshake_checks_origin_against_cors_list():
    """The issue's case: --rpc-cors http://127.0.0.1:33080 and a page from evil.example."""
    recorder = Recorder()
    async with serving(recorder, cors=["http://127.0.0.1:33080"]) as port:
        status, _, body = await exchange(port, "GET", "/", ws_headers(port, EVIL))
        assert status == HANDSHAKE_REFUSED and b"Origin" in body
        assert (await exchange(port, "GET", "/", ws_headers(port, "http://127.0.0.1:33081")))[0] == HANDSHAKE_REFUSED
        assert (await exchange(port, "GET", "/", ws_headers(port, "http://127.0.0.1:33080")))[0] == 101
        assert (await exchange(port, "GET", "/", ws_headers(port, None)))[0] == 101  # not a browser


async def test_http_request_from_refused_origin_has_no_effect():
    recorder = Recorder()
    async with serving(recorder) as port:  # Substrate's default list
        status, headers, _ = await exchange(port, "POST", "/", post_headers(port, EVIL), ROTATE)
        assert status == 403 and "access-control-allow-origin" not in headers
        assert recorder.calls == 0
        for allowed in ("http://localhost:3000", "https://127.0.0.1:8443", "https://polkadot.js.org"):
            status, headers, body = await exchange(port, "POST", "/", post_headers(port, allowed), ROTATE)
            assert status == 200 and headers["access-control-allow-origin"] == allowed
            assert json.loads(body)["result"] == "0x00"
        assert recorder.calls == 3
        assert (await exchange(port, "GET", "/health", [("host", "localhost"), ("origin", EVIL)]))[0] == 403


async def test_preflight_is_answered_with_the_default_origins():
    async with serving(Recorder()) as port:
        preflight = [("host", f"localhost:{port}"), ("access-control-request-method", "POST"),
                     ("access-control-request-headers", "content-type")]
        status, headers, _ = await exchange(port, "OPTIONS", "/", preflight + [("origin", "http://localhost:8080")])
        assert status == 200
        assert headers["access-control-allow-origin"] == "http://localhost:8080"
        assert "POST" in headers["access-control-allow-methods"]
        status, headers, _ = await exchange(port, "OPTIONS", "/", preflight + [("origin", EVIL)])
        assert status == 403 and "access-control-allow-origin" not in headers


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "192.168.1.10:{port}", "localhost.evil"])
async def test_host_outside_localhost_is_refused_unless_cors_is_all(host):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example."""
    recorder = Recorder()
    async with serving(recorder) as port:
        status, _, body = await exchange(port, "POST", "/", post_headers(port, None, host.format(port=port)), ROTATE)
        assert status == 403 and b"Host" in body
        status, _, _ = await exchange(port, "GET", "/", ws_headers(port, None, host.format(port=port)))
        assert status == 403
        assert recorder.calls == 0
        for local in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
            assert (await exchange(port, "POST", "/", post_headers(port, None, local), ROTATE))[0] == 200
    async with serving(recorder, cors="all") as port:
        assert (await exchange(port, "POST", "/", post_headers(port, EVIL, host.format(port=port)), ROTATE))[0] == 200
        assert (await exchange(port, "GET", "/", ws_headers(port, EVIL, host.format(port=port))))[0] == 101


def test_node_cors_defaults_follow_substrate():
    parser = build_parser()
    dev = _node_config(parser.parse_args(["node", "--dev"]))
    assert dev.rpc_cors == "all"
    live = _node_config(parser.parse_args(["node", "--chain", "local", "--tmp"]))
    assert list(live.rpc_cors) == list(SUBSTRATE_DEFAULT_CORS)
    explicit = _node_config(parser.parse_args(["node", "--chain", "local", "--tmp",
                                               "--rpc-cors", "http://127.0.0.1:33080, https://app.example"]))
    assert explicit.rpc_cors == ["http://127.0.0.1:33080", "https://app.example"]
    assert _node_config(parser.parse_args(["node", "--dev", "--rpc-max-batch-request-len", "7"])).rpc_max_batch_len == 7
    with pytest.raises(SystemExit):
        parser.parse_args(["node", "--dev", "--rpc-max-batch-request-len", "7", "--rpc-disable-batch-requests"])
