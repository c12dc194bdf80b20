"""A minimal Prometheus exporter over trio: GET /metrics returns the node's metrics."""
from __future__ import annotations

import trio

from node.metrics import NodeMetrics

_MAX_REQUEST = 8192


async def _handle(stream: trio.SocketStream, metrics: NodeMetrics) -> None:
    try:
        with trio.move_on_after(10):
            data = b""
            while b"\r\n\r\n" not in data and len(data) < _MAX_REQUEST:
                chunk = await stream.receive_some(4096)
                if not chunk:
                    return
                data += chunk
            request_line = data.split(b"\r\n", 1)[0].split()
            if len(request_line) >= 2 and request_line[0] == b"GET" and request_line[1].split(b"?")[0] == b"/metrics":
                body, status, ctype = metrics.render(), b"200 OK", b"text/plain; version=0.0.4; charset=utf-8"
            else:
                body, status, ctype = b"Not found. Try /metrics\n", b"404 Not Found", b"text/plain"
            await stream.send_all(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
                                  + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass
    finally:
        await stream.aclose()


async def serve_metrics(metrics: NodeMetrics, host: str, port: int, task_status=trio.TASK_STATUS_IGNORED) -> None:
    listeners = await trio.open_tcp_listeners(port, host=host)
    task_status.started(listeners[0].socket.getsockname()[1])
    await trio.serve_listeners(lambda s: _handle(s, metrics), listeners)
