"""The HTTP/1.1 side of an RPC connection (h11): JSON-RPC over POST, CORS, health, the upgrade.

Every connection starts here. ``POST`` carries a JSON-RPC request or batch; a ``GET``
with ``Upgrade: websocket`` (any path) hands the connection to
:class:`node.rpc.websocket_connection.WebSocketConnection`; ``GET /health`` answers
``system_health`` like Substrate's health endpoint (``/health/readiness``: 500 while
syncing or without peers); ``OPTIONS`` answers CORS preflights when ``cors`` allows the origin.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import h11
import trio

from node.rpc.heap import RELEASE_AFTER, release_free_memory
from node.rpc.jsonrpc_wire import METHOD_NOT_FOUND, BatchAnswer, RpcError, dumps, oversized_request_response
from node.rpc.websocket_connection import WebSocketConnection
from node.rpc.websocket_frames import accept_token

if TYPE_CHECKING:
    from node.rpc.server import RpcServer

log = logging.getLogger(__name__)

RECEIVE_SIZE = 65536
HTTP_HEADER_LIMIT = 64 * 1024
_JSON = b"application/json; charset=utf-8"
_TEXT = b"text/plain"
_JOIN_BELOW = 65536  # an answer shorter than this goes out in one send with its headers


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    return content_type.split(b";", 1)[0].strip().lower() == b"application/json"


class Cors:
    """Which browser origins may call: ``None`` none, ``"all"``/``"*"`` any, else a list.

    An entry ending in ``:*`` matches that scheme and host on any port (Substrate's
    ``http://localhost:*`` style). A request without ``Origin`` is not from a browser
    page and is never refused for its origin.
    """

    def __init__(self, cors: str | Iterable[str] | None) -> None:
        self.enabled = cors is not None
        self.any = cors in ("all", "*")
        self.exact: set[bytes] = set()
        self.port_any: list[bytes] = []
        if self.enabled and not self.any:
            for origin in ([cors] if isinstance(cors, str) else cors):
                origin = origin.rstrip("/").encode()
                if origin.endswith(b":*"):
                    self.port_any.append(origin[:-2])
                else:
                    self.exact.add(origin)

    def allowed(self, origin: bytes) -> bool:
        if self.any:
            return True
        if not self.enabled:
            return False
        if origin in self.exact:
            return True
        for base in self.port_any:
            if origin == base or (origin.startswith(base + b":") and origin[len(base) + 1:].isdigit()):
                return True
        return False

    def headers(self, origin: bytes | None) -> list[tuple[bytes, bytes]]:
        if not self.enabled or origin is None or not self.allowed(origin):
            return []
        return [(b"access-control-allow-origin", b"*" if self.any else origin), (b"vary", b"origin")]


async def linger_close(stream: trio.SocketStream, seconds: float = 1.0) -> None:
    """Half-close, then discard what the peer still sends for a moment.

    Closing a socket with unread input makes the kernel send RST, which can destroy
    a response still on its way (a 413 or 429 sent before the request was read).
    """
    try:
        await stream.send_eof()
        with trio.move_on_after(seconds):
            received = 0
            while received < 2**20:
                chunk = await stream.receive_some(RECEIVE_SIZE)
                if not chunk:
                    break
                received += len(chunk)
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass


class _BodyTooLarge(Exception):
    pass


class HttpConnection:
    """One HTTP/1.1 connection: keep-alive request loop, until it upgrades or closes."""

    def __init__(self, server: RpcServer, stream: trio.SocketStream) -> None:
        self.server = server
        self.stream = stream
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=HTTP_HEADER_LIMIT)

    async def _next_event(self) -> Any:
        conn = self.conn
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await self.stream.receive_some(RECEIVE_SIZE))
                continue
            return event

    async def run(self) -> bool:
        """Serve requests until the connection ends; True if it became a WebSocket."""
        conn = self.conn
        while True:
            try:
                with trio.fail_after(self.server.http_keep_alive_timeout):
                    event = await self._next_event()
            except trio.TooSlowError:
                return False
            except h11.RemoteProtocolError as exc:
                await self._send_error(exc.error_status_hint, str(exc))
                return False
            if not isinstance(event, h11.Request):
                return False  # ConnectionClosed (or PAUSED after a refused upgrade)
            try:
                if await self._request(event):
                    return True  # upgraded to WebSocket and finished there
            except h11.RemoteProtocolError as exc:
                await self._send_error(exc.error_status_hint, str(exc))
                return False
            except trio.TooSlowError:
                return False
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return False
            conn.start_next_cycle()

    async def _read_body(self, limit: int) -> list[bytes]:
        """The request body, at most ``limit`` bytes, as the chunks it came in: never joined,
        so it is not held twice, and a batch's chunks can be dropped as its items are served."""
        parts = []
        size = 0
        with trio.fail_after(self.server.http_keep_alive_timeout):
            while True:
                event = await self._next_event()
                if isinstance(event, h11.Data):
                    size += len(event.data)
                    if size > limit:
                        raise _BodyTooLarge
                    parts.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    return parts
                else:
                    raise h11.RemoteProtocolError("connection closed inside a request body", 400)

    async def _request(self, request: h11.Request) -> bool:
        """Answer one request; True when the connection was upgraded (and is now over)."""
        server = self.server
        headers: dict[bytes, bytes] = {}
        for name, value in request.headers:
            headers[name] = value  # h11 lowercases names
        origin = headers.get(b"origin")
        method = request.method
        if not server.host_allowed(headers.get(b"host")):
            await self._drain_and_respond(403, b"Provided Host header is not whitelisted.\n", _TEXT)
            return False
        if origin is not None and not server.cors.allowed(origin):
            # Browsers send Origin; a page from elsewhere must not drive this node (nor upgrade).
            await self._drain_and_respond(403, b"Origin of the request is not whitelisted. CORS headers would "
                                               b"not be sent and any side-effects were cancelled as well.\n", _TEXT)
            return False
        if method == b"POST":
            if not _is_json(headers.get(b"content-type")):
                await self._drain_and_respond(415, b"Supplied content type is not allowed. "
                                                   b"Content-Type: application/json is required\n", _TEXT)
                return False
            length = headers.get(b"content-length")
            limit = server.max_request_bytes
            if length is not None and length.isdigit() and int(length) > limit:
                await self._respond(413, oversized_request_response(limit).encode(), _JSON,
                                    server.cors.headers(origin), close=True)
                return False
            try:
                body = await self._read_body(limit)
            except _BodyTooLarge:
                await self._respond(413, oversized_request_response(limit).encode(), _JSON,
                                    server.cors.headers(origin), close=True)
                return False
            # handle() drops a big batch's chunks from the list as it serves them
            answer = await server.dispatcher.handle(server.http_session, body)
            del body
            if answer is None:
                payload = b""
            elif type(answer) is str:
                payload = answer.encode()
            else:  # a batch: its pieces go out one by one, never joined
                payload = answer
            answer = None
            await self._respond(200, payload, _JSON, server.cors.headers(origin))
            if type(payload) is BatchAnswer and payload.size >= RELEASE_AFTER:
                release_free_memory()  # the sent answer's pages, not kept resident for the next
            return False
        if method == b"GET" and b"websocket" in headers.get(b"upgrade", b"").lower():
            return await self._upgrade(headers)
        if method == b"OPTIONS" and server.cors.enabled:
            extra = server.cors.headers(origin)
            if extra:
                extra += [(b"access-control-allow-methods", b"POST"),
                          (b"access-control-allow-headers",
                           headers.get(b"access-control-request-headers", b"content-type")),
                          (b"access-control-max-age", b"86400")]
            await self._drain_and_respond(200, b"", _TEXT, extra)
            return False
        if method == b"GET" and request.target.split(b"?", 1)[0] in (b"/health", b"/health/readiness"):
            await self._health(origin, readiness=request.target.split(b"?", 1)[0] == b"/health/readiness")
            return False
        await self._drain_and_respond(405, b"Used HTTP Method is not allowed. POST or OPTIONS is required\n", _TEXT)
        return False

    async def _health(self, origin: bytes | None, readiness: bool = False) -> None:
        """``/health``: the node answers (200 + system_health). ``/health/readiness``, as Substrate:
        500 while it is syncing or has no peers though it should (orchestrators' readiness probes)."""
        server = self.server
        await self._read_body(HTTP_HEADER_LIMIT)
        kind = _JSON
        try:
            result = await server.dispatcher.call_method("system_health")
            status, body = 200, dumps(result).encode()
            if readiness and (result["isSyncing"] or (result["shouldHavePeers"] and result["peers"] == 0)):
                status, body = 500, b""
        except RpcError as exc:
            if exc.code == METHOD_NOT_FOUND:
                status, body, kind = 404, b"Not Found\n", _TEXT
            else:  # the node reports itself unhealthy (cannot author or import): 500, with why
                status, body = 500, dumps(exc.to_dict()).encode()
        except Exception:
            log.exception("system_health failed for /health")
            status, body, kind = 500, b"Internal Server Error\n", _TEXT
        await self._respond(status, body, kind, server.cors.headers(origin))

    async def _drain_and_respond(self, status: int, body: bytes, content_type: bytes,
                                 extra: list[tuple[bytes, bytes]] = ()) -> None:
        try:
            await self._read_body(HTTP_HEADER_LIMIT)
        except _BodyTooLarge:
            await self._respond(status, body, content_type, extra, close=True)
            return
        await self._respond(status, body, content_type, extra)

    async def _respond(self, status: int, body: bytes | BatchAnswer, content_type: bytes,
                       extra: Iterable[tuple[bytes, bytes]] = (), close: bool = False) -> None:
        conn = self.conn
        size = len(body) if type(body) is bytes else body.size
        headers = [(b"content-type", content_type), (b"content-length", b"%d" % size), *extra]
        if close:
            headers.append((b"connection", b"close"))
        data = conn.send(h11.Response(status_code=status, headers=headers))
        chunks = (body,) if type(body) is bytes else body.drain()
        if size < _JOIN_BELOW:
            for chunk in chunks:
                data += conn.send(h11.Data(data=chunk)) if chunk else b""
            await self.stream.send_all(data + conn.send(h11.EndOfMessage()))
            return
        # A big answer: the headers, then the body as it is (a batch's pieces one by one, no copy).
        await self.stream.send_all(data)
        for chunk in chunks:
            for part in conn.send_with_data_passthrough(h11.Data(data=chunk)):
                await self.stream.send_all(part)
        await self.stream.send_all(conn.send(h11.EndOfMessage()))

    async def _send_error(self, status: int, detail: str) -> None:
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        log.debug("bad HTTP request: %s", detail)
        try:
            with trio.move_on_after(5):
                await self._respond(status, b"Bad Request\n" if status == 400 else b"", _TEXT, close=True)
        except (h11.LocalProtocolError, trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async def _upgrade(self, headers: dict[bytes, bytes]) -> bool:
        key = headers.get(b"sec-websocket-key")
        if (b"upgrade" not in headers.get(b"connection", b"").lower() or key is None
                or headers.get(b"sec-websocket-version") != b"13"):
            await self._drain_and_respond(426 if key else 400, b"WebSocket handshake needs Connection: Upgrade, "
                                          b"Sec-WebSocket-Key and Sec-WebSocket-Version: 13\n", _TEXT,
                                          [(b"sec-websocket-version", b"13")])
            return False
        await self._read_body(HTTP_HEADER_LIMIT)
        data = self.conn.send(h11.InformationalResponse(status_code=101, headers=[
            (b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
            (b"sec-websocket-accept", accept_token(key))]))
        await self.stream.send_all(data)
        trailing, _closed = self.conn.trailing_data
        await WebSocketConnection(self.server, self.stream, trailing).run()
        return True
