"""Glue between the provider bot (`agora provider run`, a loop over blocks) and its endpoint (trio).

The endpoint listens at the address of the provider's `host_uri` (or `--listen`), in a thread of
its own with its own trio loop; after each block the bot hands it the provider's active leases
(`publish`), and the endpoint stops the services of leases that closed.
"""
from __future__ import annotations

import logging
import threading
import urllib.parse

import trio

from tools.compute_validator.http import serve
from tools.workload.endpoint import LeaseInfo, ProviderEndpoint
from tools.workload.runner import Limits, Runner

log = logging.getLogger("agora.provider")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def listen_address(host_uri: str, listen: str | None) -> tuple[str, int] | None:
    """Where to serve: `--listen HOST:PORT`, else host_uri's own address if it is a local http URL."""
    if listen:
        host, _, port = listen.rpartition(":")
        return host or "127.0.0.1", int(port)
    parts = urllib.parse.urlsplit(host_uri)
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS and parts.port:
        return parts.hostname, parts.port
    return None


def group_name(spec: dict) -> str:
    name = spec["name"]
    if isinstance(name, str) and name.startswith("0x"):
        try:
            return bytes.fromhex(name[2:]).decode()
        except (ValueError, UnicodeDecodeError):
            return name
    return name if isinstance(name, str) else bytes(name).decode(errors="replace")


def lease_infos(client, leases: dict[int, dict], specs: dict[int, dict]) -> dict[int, LeaseInfo]:
    """The endpoint's view of the bot's active leases (one deployment read per lease)."""
    from primitives.ss58 import ss58_decode

    out = {}
    for lease_id, lease in leases.items():
        spec = specs.get(lease_id)
        deployment = client.deployment(lease["deployment"])
        if spec is None or deployment is None:
            continue
        out[lease_id] = LeaseInfo(ss58_decode(deployment["owner"]), bytes.fromhex(deployment["version"][2:]),
                                  group_name(spec), Limits.of_spec(spec))
    return out


class EndpointThread:
    """The endpoint, served from a thread with its own trio loop until `stop()`."""

    def __init__(self, endpoint: ProviderEndpoint, host: str, port: int):
        self.endpoint, self.host, self.port = endpoint, host, port
        self._ready = threading.Event()
        self._token = None
        self._stopped: trio.Event | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="provider-endpoint", daemon=True)

    def start(self) -> "EndpointThread":
        self._thread.start()
        self._ready.wait(10)
        if self.error is not None:
            raise self.error
        return self

    def _run(self) -> None:
        async def main() -> None:
            self._token = trio.lowlevel.current_trio_token()
            self._stopped = trio.Event()
            async with trio.open_nursery() as nursery:
                self.port = await nursery.start(serve, self.endpoint.handle, self.port, self.host)
                self._ready.set()
                await self._stopped.wait()
                nursery.cancel_scope.cancel()
        try:
            trio.run(main)
        except OSError as exc:
            self.error = exc
            self._ready.set()

    def publish(self, client, leases: dict[int, dict], specs: dict[int, dict]) -> None:
        stopped = self.endpoint.set_leases(lease_infos(client, leases, specs))
        for lease in stopped:
            log.info("🛑 lease %d is over: its service was stopped", lease)

    def stop(self) -> None:
        if self._token is not None and self._stopped is not None:
            try:
                trio.from_thread.run_sync(self._stopped.set, trio_token=self._token)
            except trio.RunFinishedError:
                pass
        self._thread.join(5)
        self.endpoint.runner.stop_all()


def start_endpoint(provider: str, host_uri: str, listen: str | None) -> EndpointThread | None:
    address = listen_address(host_uri, listen)
    if address is None:
        log.warning("not serving manifests: host_uri %s is not a local http:// address; pass --listen HOST:PORT",
                    host_uri)
        return None
    host, port = address
    endpoint = ProviderEndpoint(provider, host_uri, Runner(host="127.0.0.1" if host in ("0.0.0.0", "::") else host))
    thread = EndpointThread(endpoint, host, port).start()
    log.info("🌐 provider endpoint on http://%s:%d: manifests in, services out", host, thread.port)
    return thread
