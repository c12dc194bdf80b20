"""The provider's endpoint: tenants send manifests to it, validators probe it.

It serves the probe protocol of the compute subnet (`tools/compute_validator/protocol.py`) for
the services it really runs, and takes manifests:

    POST {host_uri}/leases/{lease}/manifest   the tenant's signed envelope (manifest.py)
         200 {"lease", "service_uri", "state", "ports"}     the service started (or already runs)
         400 malformed | 403 not the owner / bad signature | 404 not an active lease of this provider
         409 hash is not the deployment's version | 413 too big | 422 cannot run it here
    GET  {host_uri}/leases/{lease}/status     200 {"lease", "state", "service_uri", ...} for any active lease
                                              of this provider ("awaiting manifest" until one came)
    GET  {host_uri}/leases/{lease}            200 {"service_uri", "manifest"} while the service runs, else 404
    GET  {host_uri}/health, /bench, /leases/{lease}/bench     as the probe protocol says

Nothing is run before every check passed. The daemon (`agora provider run`) tells the endpoint
which leases are active each block (`set_leases`); a lease that is gone has its service stopped.
"""
from __future__ import annotations

import dataclasses
import json
import re

import trio

from tools.compute_validator.responder import Responder
from tools.workload.manifest import ManifestRejected, open_envelope, parse_services
from tools.workload.runner import Limits, Runner

LEASE_PATH = re.compile(r"/leases/(\d+)(/bench|/manifest|/status)?")


@dataclasses.dataclass(frozen=True)
class LeaseInfo:
    """What the chain says about one of this provider's active leases."""
    owner: bytes          # the deployment owner's account id
    version: bytes        # the deployment's version: the manifest's blake2b-256
    group: str            # the group this lease runs
    limits: Limits


class ProviderEndpoint(Responder):
    def __init__(self, provider: str, host_uri: str, runner: Runner):
        super().__init__(provider, host_uri)
        self.runner = runner
        self.active: dict[int, LeaseInfo] = {}

    def set_leases(self, active: dict[int, LeaseInfo]) -> list[int]:
        """The provider's active leases now; stops the services of the others and returns their ids."""
        self.active = dict(active)
        self._refresh_running()
        return self.runner.retain(set(self.active))

    def _refresh_running(self) -> None:
        """`leases` (what the probe protocol's responder serves): the active leases whose service runs."""
        self.leases = {lease: "0x" + info.version.hex() for lease, info in self.active.items()
                       if self._running(lease)}

    def _running(self, lease: int) -> bool:
        workload = self.runner.get(lease)
        return workload is not None and workload.process.poll() is None

    async def handle(self, method: str, target: str, body: bytes = b"") -> tuple[int, dict]:
        path = target.partition("?")[0]
        match = LEASE_PATH.fullmatch(path)
        if match and match.group(2) == "/manifest":
            if method != "POST":
                return 405, {"error": "POST a signed manifest envelope"}
            return await self.accept_manifest(int(match.group(1)), body)
        if match and match.group(2) == "/status" and method == "GET":
            return self.status(int(match.group(1)))
        if path.startswith("/svc/"):
            return 404, {"error": "not found"}          # services answer on their own ports here
        self._refresh_running()
        if match and match.group(2) is None and method == "GET":
            lease = int(match.group(1))
            if lease not in self.leases:
                return 404, {"error": f"lease {lease} has no running service here"}
            return 200, {"service_uri": self.runner.get(lease).service_uri(self.runner.host),
                         "manifest": self.leases[lease]}
        return await super().handle(method, target, body)

    async def accept_manifest(self, lease: int, body: bytes) -> tuple[int, dict]:
        info = self.active.get(lease)
        if info is None:
            return 404, {"error": f"lease {lease} is not an active lease of provider {self.provider}"}
        try:
            doc = json.loads(body)
        except ValueError:
            return 400, {"error": "body is not JSON"}
        try:
            raw = open_envelope(doc, lease, info.owner, info.version)
            services = parse_services(raw)
            service = services.get(info.group)
            if service is None:
                raise ManifestRejected(422, f"manifest has no service for group {info.group!r}")
            workload = await trio.to_thread.run_sync(self.runner.start, lease, service, info.limits)
        except ManifestRejected as exc:
            return exc.status, {"error": str(exc)}
        return 200, self._describe(lease, workload)

    def status(self, lease: int) -> tuple[int, dict]:
        if lease not in self.active:
            return 404, {"error": f"lease {lease} is not an active lease of provider {self.provider}"}
        workload = self.runner.get(lease)
        if workload is None:
            return 200, {"lease": lease, "state": "awaiting manifest", "service_uri": None}
        return 200, self._describe(lease, workload)

    def _describe(self, lease: int, workload) -> dict:
        return {"lease": lease, "state": workload.state(), "service_uri": workload.service_uri(self.runner.host),
                "ports": {str(inner): host for inner, host in workload.ports.items()},
                "group": workload.service.group, "pid": workload.process.pid,
                "limits": {"cpu_millis": workload.limits.cpu_millis, "memory_bytes": workload.limits.memory_bytes}}
