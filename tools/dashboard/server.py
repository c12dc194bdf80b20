"""The dashboard's static file server and its `agora dashboard` command."""
from __future__ import annotations

import functools
import http.server
import json
import pathlib
import sys
import threading
from urllib.parse import urlsplit

STATIC = pathlib.Path(__file__).resolve().parent / "static"
BUNDLE = STATIC / "bundle.js"


class NodeListError(ValueError):
    pass


def parse_nodes(text: str) -> list[str]:
    """`ws://a:9944,ws://b:9945` -> a list of WebSocket URLs; anything else is one clear error."""
    nodes = [part.strip() for part in text.split(",") if part.strip()]
    if not nodes:
        raise NodeListError("--nodes: give at least one ws:// or wss:// URL")
    for url in nodes:
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise NodeListError(f"--nodes: {url!r} is not a ws:// or wss:// URL")
        try:
            parts.port
        except ValueError:
            raise NodeListError(f"--nodes: {url!r} has an invalid port") from None
    return nodes


class DashboardHandler(http.server.SimpleHTTPRequestHandler):
    """Serves STATIC and /config.json; quiet (an operator's terminal is not an access log)."""

    config: bytes = b"{}"

    def do_GET(self):
        if self.path.split("?")[0] == "/config.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.config)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(self.config)
            return
        super().do_GET()

    def log_message(self, format, *args):
        pass


def make_server(host: str, port: int, nodes: list[str]) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (DashboardHandler,), {"config": json.dumps({"nodes": nodes}).encode()})
    return http.server.ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(STATIC)))


def serve_in_thread(host: str, port: int, nodes: list[str]) -> http.server.ThreadingHTTPServer:
    """For tests and embedding: a running server (call .shutdown() and .server_close() to stop it)."""
    server = make_server(host, port, nodes)
    threading.Thread(target=server.serve_forever, name="dashboard-http", daemon=True).start()
    return server


def run(args) -> int:
    if not BUNDLE.exists():
        print(f"error: {BUNDLE} is missing: run `make dashboard` (npm install + esbuild in tools/dashboard/web)",
              file=sys.stderr)
        return 1
    try:
        nodes = parse_nodes(args.nodes)
    except NodeListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("error: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    try:
        server = make_server(args.host, args.port, nodes)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port} (--host/--port): {exc.strerror}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"dashboard on http://{host}:{port}/ watching {', '.join(nodes)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def add_dashboard_command(subparsers) -> None:
    p = subparsers.add_parser("dashboard", help="Serve a browser dashboard of a devnet's nodes, subnets and market")
    p.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)")
    p.add_argument("--nodes", default="ws://127.0.0.1:9944",
                   help="Comma-separated WebSocket RPC URLs of the nodes to watch (default ws://127.0.0.1:9944)")
    p.set_defaults(run=run)
