"""A reference provider endpoint for the probe protocol (`protocol.py`), on trio.

    python -m tools.compute_validator.responder --url ws://127.0.0.1:9944 --key //Bob --port 8701 [--serve-nothing]

It answers `/health`, `/bench`, and for each active lease of its provider (read from the chain
every second) `/leases/{id}` (service URI + manifest hash), `/leases/{id}/bench` and the
"service" itself at `/svc/{id}`. It runs no tenant workload: it is what the tests and the
benchmarks probe, and the smallest thing a provider daemon must answer. `--serve-nothing` is the
provider that takes leases and never starts their services (404 on `/leases/{id}`), while its
daemon and benchmark still answer.
"""
from __future__ import annotations

import argparse
import re

import trio

from tools.compute_validator import protocol
from tools.compute_validator.http import serve

LEASE_PATH = re.compile(r"/leases/(\d+)(/bench)?")
SERVICE_PATH = re.compile(r"/svc/(\d+)")


class Responder:
    def __init__(self, provider: str, host_uri: str, *, serve_leases: bool = True):
        self.provider, self.host_uri, self.serve_leases = provider, host_uri.rstrip("/"), serve_leases
        self.leases: dict[int, str] = {}     # lease -> manifest hash "0x..."
        self.requests = 0

    async def bench(self, query: str) -> tuple[int, dict]:
        try:
            challenge = protocol.parse_query(query)
        except ValueError as exc:
            return 400, {"error": str(exc)}
        outputs: list[bytes | None] = [None] * challenge.jobs

        async def one(j: int) -> None:
            outputs[j] = await trio.to_thread.run_sync(protocol.job, challenge, j)

        async with trio.open_nursery() as nursery:   # the jobs are independent: one thread each
            for j in range(challenge.jobs):
                nursery.start_soon(one, j)
        return 200, {"digest": protocol.combine(outputs)}

    async def handle(self, method: str, target: str, body: bytes = b"") -> tuple[int, dict]:
        self.requests += 1
        path, _, query = target.partition("?")
        if method != "GET":
            return 405, {"error": "GET only"}
        if path == "/health":
            return 200, {"provider": self.provider, "leases": len(self.leases)}
        if path == "/bench":
            return await self.bench(query)
        match = LEASE_PATH.fullmatch(path) or SERVICE_PATH.fullmatch(path)
        if match is None:
            return 404, {"error": "not found"}
        lease = int(match.group(1))
        if lease not in self.leases or not self.serve_leases:
            return 404, {"error": f"lease {lease} not served here"}
        if path.startswith("/svc/"):
            return 200, {"lease": lease, "hello": "from a tenant's service"}
        if match.group(2):
            return await self.bench(query)
        return 200, {"service_uri": f"{self.host_uri}/svc/{lease}", "manifest": self.leases[lease]}


def leases_of(substrate, provider: str) -> dict[int, str]:
    out = {}
    for key, deployment in substrate.query_map("Market", "ProviderLeases", [provider], page_size=500):
        key = key.value
        lease = int(key[-1] if isinstance(key, (list, tuple)) else key)
        dep = substrate.query("Market", "Deployments", [deployment.value]).value
        if dep is not None:
            out[lease] = dep["version"]
    return out


async def run(url: str, key: str, port: int, host: str, serve_leases: bool) -> None:
    from substrateinterface import Keypair, SubstrateInterface

    provider = Keypair.create_from_uri(key).ss58_address
    substrate = await trio.to_thread.run_sync(lambda: SubstrateInterface(url=url))
    responder = Responder(provider, f"http://{host}:{port}", serve_leases=serve_leases)
    async with trio.open_nursery() as nursery:
        await nursery.start(serve, responder.handle, port, host)
        print(f"responder for {provider} on http://{host}:{port} (serving leases: {serve_leases})", flush=True)
        while True:
            responder.leases = await trio.to_thread.run_sync(leases_of, substrate, provider)
            await trio.sleep(1.0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="ws://127.0.0.1:9944")
    p.add_argument("--key", required=True, help="the provider's secret URI")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--serve-nothing", action="store_true", help="take leases, never start their services")
    args = p.parse_args(argv)
    try:
        trio.run(run, args.url, args.key, args.port, args.host, not args.serve_nothing)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
