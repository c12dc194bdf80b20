"""A minimal HTTP/1.1 client and server on trio + h11 (both already dependencies of the node).

`get(url, timeout)` sends one GET on a fresh connection and returns (status, body); it raises
`ProbeError` on any network or protocol failure or on timeout; `post_json(url, payload, timeout)`
sends one JSON body (a tenant's manifest). `serve(handler, port)` runs a server whose
`handler(method, target, body) -> (status, json-able body)` answers each request (bodies over
`MAX_BODY` get 413 without reaching it); the provider endpoints (`responder.py`,
`tools/workload/endpoint.py`) and the tests use it.
"""
from __future__ import annotations

import json
import ssl
import urllib.parse

import h11
import trio

MAX_BODY = 1 << 20


class ProbeError(Exception):
    pass


def split_url(url: str) -> tuple[str, str, int, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target


async def _exchange(url: str, method: str = "GET", body: bytes = b"") -> tuple[int, bytes]:
    scheme, host, port, target = split_url(url)
    if scheme == "https":
        stream = await trio.open_ssl_over_tcp_stream(host, port, ssl_context=ssl.create_default_context())
    else:
        stream = await trio.open_tcp_stream(host, port)
    async with stream:
        conn = h11.Connection(h11.CLIENT)
        host_header = host if port in (80, 443) else f"{host}:{port}"
        headers = [("Host", host_header), ("Connection", "close"), ("User-Agent", "agora-tools")]
        if method != "GET":
            headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        request = h11.Request(method=method, target=target, headers=headers)
        await stream.send_all(conn.send(request) + (conn.send(h11.Data(data=body)) if body else b"")
                              + conn.send(h11.EndOfMessage()))
        status, body = None, bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await stream.receive_some(65536)
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    raise ProbeError(f"{url}: answer over {MAX_BODY} bytes")
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                if status is None:
                    raise ProbeError(f"{url}: connection closed before an answer")
                return status, bytes(body)


async def get(url: str, timeout: float, *, method: str = "GET", body: bytes = b"") -> tuple[int, bytes]:
    try:
        with trio.fail_after(timeout):
            return await _exchange(url, method, body)
    except trio.TooSlowError:
        raise ProbeError(f"{url}: no answer in {timeout:.1f} s") from None
    except (OSError, trio.BrokenResourceError, h11.ProtocolError, ssl.SSLError) as exc:
        raise ProbeError(f"{url}: {type(exc).__name__}: {exc}") from None


async def get_json(url: str, timeout: float) -> tuple[int, object]:
    status, body = await get(url, timeout)
    if status != 200:
        return status, None
    try:
        return status, json.loads(body)
    except ValueError:
        raise ProbeError(f"{url}: answer is not JSON") from None


async def post_json(url: str, payload: object, timeout: float) -> tuple[int, object]:
    """POST `payload` as JSON; (status, decoded JSON answer or None if the answer is not JSON)."""
    status, body = await get(url, timeout, method="POST", body=json.dumps(payload).encode())
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


# --- server ----------------------------------------------------------------------------------------
async def _answer(stream, conn, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")]
    try:
        await stream.send_all(conn.send(h11.Response(status_code=status, headers=headers))
                              + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage()))
    except (trio.BrokenResourceError, OSError, h11.LocalProtocolError):
        pass


async def _serve_one(stream: trio.SocketStream, handler) -> None:
    conn = h11.Connection(h11.SERVER)
    request, body = None, bytearray()
    async with stream:
        while True:
            try:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    conn.receive_data(data)
                    continue
            except (h11.RemoteProtocolError, trio.BrokenResourceError, OSError):
                return
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    await _answer(stream, conn, 413, {"error": f"body over {MAX_BODY} bytes"})
                    return
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                try:
                    status, payload = await handler(request.method.decode(), request.target.decode(), bytes(body))
                except Exception as exc:  # noqa: BLE001 (a handler bug answers 500, the server lives on)
                    status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
                await _answer(stream, conn, status, payload)
                return
            if isinstance(event, h11.ConnectionClosed):
                return


async def serve(handler, port: int, host: str = "127.0.0.1", *, task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Serve `handler` on host:port until cancelled; `task_status.started` gets the bound port."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    task_status.started(listeners[0].socket.getsockname()[1])
    await trio.serve_listeners(lambda stream: _serve_one(stream, handler), listeners)
