"""Probing a provider's endpoint (trio): one `Sample` per target per round.

A target is a lease (its provider's `host_uri`, the deployment's manifest hash, the lease's CPU and
memory) or a provider without a lease (`lease is None`: only its daemon and a one-core benchmark).
`probe_round` probes every target concurrently; the validator's own benchmark answers (needed to
check the provider's) are computed on worker threads, at most `verify_threads` at a time, so the
event loop only waits on sockets.
"""
from __future__ import annotations

import dataclasses
import time

import trio

from tools.compute_validator import protocol
from tools.compute_validator.http import ProbeError, get, get_json

BENCH_FLOOR_S = 1.0   # always allowed for a benchmark answer (network, a busy machine)
BENCH_SLACK = 4       # plus this many times the validator's own time for the same work


@dataclasses.dataclass(frozen=True)
class Target:
    provider: str                  # SS58 (the provider's account is its hotkey on the compute subnet)
    host_uri: str
    lease: int | None = None
    manifest: str | None = None    # "0x" + the deployment's version (manifest hash)
    cpu_millis: int = protocol.IDLE_CPU_MILLIS
    memory_bytes: int = protocol.IDLE_MEMORY


@dataclasses.dataclass
class Sample:
    alive: bool = False            # the endpoint answered (the lease's status, or /health without a lease)
    served: bool = False           # the lease's service answered a tenant request, with the right manifest
    bench_ok: bool = False         # the benchmark digest was right and in time
    latency_ms: int | None = None  # of the liveness request
    error: str = ""


async def _reference(challenge: protocol.Challenge, limiter: trio.CapacityLimiter) -> tuple[str, float]:
    """The expected digest and the validator's own time to get it, waiting for a worker thread
    included: under a round of many concurrent probes the validator's machine is busy too, and the
    deadline it gives the provider grows with that load instead of failing honest providers."""
    start = time.perf_counter()
    digest = await trio.to_thread.run_sync(protocol.solve, challenge, limiter=limiter)
    return digest, time.perf_counter() - start


async def probe(target: Target, *, timeout: float, limiter: trio.CapacityLimiter) -> Sample:
    sample = Sample()
    base = target.host_uri.rstrip("/")
    try:
        start = time.perf_counter()
        if target.lease is None:
            status, body = await get_json(f"{base}/health", timeout)
            sample.latency_ms = round((time.perf_counter() - start) * 1000)
            sample.alive = status == 200
        else:
            status, body = await get_json(f"{base}/leases/{target.lease}", timeout)
            sample.latency_ms = round((time.perf_counter() - start) * 1000)
            sample.alive = status in (200, 404)
            if status == 200 and isinstance(body, dict) and isinstance(body.get("service_uri"), str):
                if str(body.get("manifest", "")).lower() != (target.manifest or "").lower():
                    sample.error = "wrong manifest"
                else:
                    service_status, _ = await get(body["service_uri"], timeout)
                    sample.served = 200 <= service_status < 300
                    if not sample.served:
                        sample.error = f"service answered {service_status}"
            elif status != 200:
                sample.error = f"lease status {status}"
        if not sample.alive:
            sample.error = sample.error or f"status {status}"
            return sample
        sample.bench_ok = await bench(target, base, timeout, limiter)
    except ProbeError as exc:
        sample.error = str(exc)
    return sample


async def bench(target: Target, base: str, timeout: float, limiter: trio.CapacityLimiter) -> bool:
    challenge = protocol.challenge_for(target.cpu_millis, target.memory_bytes)
    path = "/bench" if target.lease is None else f"/leases/{target.lease}/bench"
    reference: dict = {}

    async def compute_reference():
        reference["digest"], reference["seconds"] = await _reference(challenge, limiter)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(compute_reference)
        start = time.perf_counter()
        status, body = await get_json(f"{base}{path}?{challenge.query()}", timeout)
        elapsed = time.perf_counter() - start
    if status != 200 or not isinstance(body, dict):
        return False
    return body.get("digest") == reference["digest"] and elapsed <= BENCH_FLOOR_S + BENCH_SLACK * reference["seconds"]


async def probe_round(targets: list[Target], *, timeout: float = 5.0, verify_threads: int = 2,
                      limiter: trio.CapacityLimiter | None = None) -> list[Sample]:
    """Probe every target concurrently; samples in the targets' order."""
    limiter = limiter or trio.CapacityLimiter(verify_threads)
    samples: list[Sample | None] = [None] * len(targets)

    async def one(i: int, target: Target) -> None:
        samples[i] = await probe(target, timeout=timeout, limiter=limiter)

    async with trio.open_nursery() as nursery:
        for i, target in enumerate(targets):
            nursery.start_soon(one, i, target)
    return samples
