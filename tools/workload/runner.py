"""Running a lease's service as a local process, inside the lease's resource limits.

Limits, applied in the child before it runs the tenant's command:
- memory: RLIMIT_AS = the lease's memory (all replicas together), so an allocation past it fails;
- CPU: the process and its children may run only on `ceil(cpu_millis / 1000)` cores (CPU affinity),
  lowest-numbered first; a provider with cgroups would use cpu.max instead (this one has no such
  controller it may write);
- files: RLIMIT_NOFILE = 1024; RLIMIT_CORE = 0.
Each service runs in its own session (process group) in a fresh working directory, with only the
manifest's environment plus PATH, HOME and the PORT variables, its output in `service.log` there.
Stopping sends SIGTERM to the group, then SIGKILL after a grace period.
"""
from __future__ import annotations

import dataclasses
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from tools.devnet import PortAllocator
from tools.workload.manifest import ManifestRejected, Service

NOFILE = 1024
STOP_GRACE_S = 3.0


@dataclasses.dataclass(frozen=True)
class Limits:
    cpu_millis: int
    memory_bytes: int

    @classmethod
    def of_spec(cls, spec: dict) -> "Limits":
        """The limits of an order's group spec (as substrate-interface decodes it), replicas included."""
        resources = spec["resources"]
        return cls(sum(r["cpu_millis"] * r["replicas"] for r in resources),
                   sum(r["memory_bytes"] * r["replicas"] for r in resources))

    def cores(self) -> set[int]:
        available = sorted(os.sched_getaffinity(0))
        wanted = max(1, -(-self.cpu_millis // 1000))
        return set(available[:wanted])


@dataclasses.dataclass
class Workload:
    lease: int
    service: Service
    limits: Limits
    ports: dict[int, int]
    workdir: str
    process: subprocess.Popen
    started_at: float

    def state(self) -> str:
        code = self.process.poll()
        return "running" if code is None else f"exited ({code})"

    def service_uri(self, host: str) -> str | None:
        if not self.service.expose:
            return None
        return f"http://{host}:{self.ports[self.service.expose[0]]}"


def _limit_child(limits: Limits, cores: set[int]):
    def apply() -> None:     # runs in the child between fork and exec: only async-signal-safe work
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.sched_setaffinity(0, cores)
    return apply


class Runner:
    """The provider's running services, one per lease; thread-safe (the daemon and its endpoint share it)."""

    def __init__(self, host: str = "127.0.0.1", root: str | None = None):
        self.host = host
        self.root = root or tempfile.mkdtemp(prefix="agora-provider-")
        self.workloads: dict[int, Workload] = {}
        # below the ephemeral range and never two services on one port at once (the devnet's allocator)
        self.ports = PortAllocator(host)
        self._lock = threading.Lock()

    def start(self, lease: int, service: Service, limits: Limits) -> Workload:
        if service.image is not None:
            raise ManifestRejected(422, f"service {service.group!r} asks for image {service.image!r}: this provider "
                                        "runs commands, it has no container runtime")
        with self._lock:
            current = self.workloads.get(lease)
            if current is not None and current.process.poll() is None:
                return current                     # the same manifest sent twice: one service
            if current is not None:                # it exited: its ports are free again
                self.ports.release(current.ports.values())
            ports = {inner: self.ports.take() for inner in service.expose}
            try:
                process, workdir = self._spawn(lease, service, limits, ports)
            except BaseException:
                self.ports.release(ports.values())
                raise
            workload = Workload(lease, service, limits, ports, workdir, process, time.time())
            self.workloads[lease] = workload
            return workload

    def _spawn(self, lease: int, service: Service, limits: Limits, ports: dict[int, int]):
        workdir = os.path.join(self.root, f"lease-{lease}")
        os.makedirs(workdir, exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "AGORA_LEASE": str(lease),
               **dict(service.env), **service.port_env(ports)}
        argv = service.argv(ports)
        if shutil.which(argv[0], path=env["PATH"]) is None and not os.path.isfile(argv[0]):
            raise ManifestRejected(422, f"service {service.group!r}: command {argv[0]!r} not found on this provider")
        log = open(os.path.join(workdir, "service.log"), "ab")
        try:
            process = subprocess.Popen(argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       preexec_fn=_limit_child(limits, limits.cores()))
        finally:
            log.close()
        return process, workdir

    def get(self, lease: int) -> Workload | None:
        with self._lock:
            return self.workloads.get(lease)

    def stop(self, lease: int) -> bool:
        with self._lock:
            workload = self.workloads.pop(lease, None)
        if workload is None:
            return False
        _terminate(workload.process)
        self.ports.release(workload.ports.values())
        return True

    def retain(self, active: set[int]) -> list[int]:
        """Stop every service whose lease is no longer active; the leases stopped."""
        with self._lock:
            gone = [lease for lease in self.workloads if lease not in active]
        return [lease for lease in gone if self.stop(lease)]

    def stop_all(self) -> None:
        for lease in list(self.workloads):
            self.stop(lease)


def _terminate(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
