"""The probe protocol between a compute-subnet validator and a provider's endpoint.

A provider's endpoint is its on-chain `host_uri` (an `http://` or `https://` base URL). The
validator sends only GET requests; every answer is JSON.

    GET {host_uri}/health                         200 {"provider": SS58}       the daemon is up
    GET {host_uri}/leases/{lease}                 200 {"service_uri": URL, "manifest": "0x<32-byte hash>"}
                                                  when the lease's service runs (404 otherwise)
    GET {service_uri}                             any 2xx: the tenant's service answers (a tenant-style request)
    GET {host_uri}/leases/{lease}/bench?nonce=HEX&n=N&jobs=J     200 {"digest": "0x..."}
    GET {host_uri}/bench?nonce=HEX&n=N&jobs=J                    the same, for a provider with no lease

`manifest` must equal the deployment's on-chain `version` (the manifest hash the tenant signed).

The benchmark (`solve`): `jobs` scrypt derivations (N=`n`, r=8, p=1, 32 bytes), job `j` over
`nonce || j` (u32 little endian) with the salt `agora-bench`; the answer is the sha256 of the
concatenated outputs. Each job needs `1 KiB x n` of memory and CPU time proportional to `n`; the
jobs are independent, so a provider with `jobs` cores runs them in parallel. `challenge_for`
sizes it from the lease: one job per claimed core (at most 8), and `n` the largest power of two
with `n KiB <= memory per job / 256`, clamped to [2^8, 2^12] (256 KiB .. 4 MiB per job), so a
probe stays a few tens of milliseconds on an honest provider.

The validator computes the same digest itself (off its event loop) and times it, from the
challenge to its own answer, waiting for a worker thread included (`t_ref`). The
provider passes when its digest is right and it answered within `BENCH_FLOOR_S + BENCH_SLACK x
t_ref` (see `scoring.py`): a provider that does not run the work, or runs it far slower than
the claimed resources allow, fails. This is a check of the gross claim, not a precise meter.
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets

SALT = b"agora-bench"
R = 8
MIN_LOG_N, MAX_LOG_N = 8, 12
MAX_JOBS = 8
MEMORY_SHARE = 256           # a job uses at most 1/256 of the lease's memory per job
IDLE_CPU_MILLIS = 1_000      # the challenge of a provider with no lease: one core
IDLE_MEMORY = 256 << 20      #   and 256 MiB (n = 2^10)


@dataclasses.dataclass(frozen=True)
class Challenge:
    nonce: bytes
    n: int
    jobs: int

    def query(self) -> str:
        return f"nonce={self.nonce.hex()}&n={self.n}&jobs={self.jobs}"


def size(cpu_millis: int, memory_bytes: int) -> tuple[int, int]:
    """(n, jobs) for a lease of `cpu_millis` and `memory_bytes` (all replicas together)."""
    jobs = max(1, min(MAX_JOBS, -(-cpu_millis // 1000)))
    per_job_kib = memory_bytes // jobs // 1024 // MEMORY_SHARE
    log_n = MIN_LOG_N
    while log_n < MAX_LOG_N and (1 << (log_n + 1)) <= per_job_kib:
        log_n += 1
    return 1 << log_n, jobs


def demand(spec: dict) -> tuple[int, int]:
    """(cpu_millis, memory_bytes) of an order's group spec as substrate-interface decodes it."""
    resources = spec["resources"]
    return (sum(r["cpu_millis"] * r["replicas"] for r in resources),
            sum(r["memory_bytes"] * r["replicas"] for r in resources))


def challenge_for(cpu_millis: int, memory_bytes: int, nonce: bytes | None = None) -> Challenge:
    n, jobs = size(cpu_millis, memory_bytes)
    return Challenge(nonce or secrets.token_bytes(16), n, jobs)


def parse_query(query: str) -> Challenge:
    """The challenge of a bench request's query string; ValueError if malformed or out of bounds."""
    fields = dict(part.partition("=")[::2] for part in query.split("&") if part)
    try:
        challenge = Challenge(bytes.fromhex(fields["nonce"]), int(fields["n"]), int(fields["jobs"]))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"bad bench query {query!r}") from exc
    if not (len(challenge.nonce) <= 64 and 1 <= challenge.jobs <= MAX_JOBS
            and challenge.n in {1 << k for k in range(MIN_LOG_N, MAX_LOG_N + 1)}):
        raise ValueError(f"bench out of bounds: {query!r}")
    return challenge


def job(challenge: Challenge, index: int) -> bytes:
    return hashlib.scrypt(challenge.nonce + index.to_bytes(4, "little"), salt=SALT, n=challenge.n, r=R, p=1,
                          dklen=32, maxmem=2 * 128 * R * challenge.n + (1 << 20))


def solve(challenge: Challenge) -> str:
    """The expected answer, "0x" + hex (sequential; a provider may run the jobs in parallel)."""
    return "0x" + hashlib.sha256(b"".join(job(challenge, j) for j in range(challenge.jobs))).hexdigest()


def combine(outputs: list[bytes]) -> str:
    return "0x" + hashlib.sha256(b"".join(outputs)).hexdigest()
