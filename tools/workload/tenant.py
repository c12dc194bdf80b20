"""The tenant's side of a workload: `agora market lease send-manifest | status | show`.

    agora market lease send-manifest 7 deployment.yaml --key //Alice   sign and send the manifest
    agora market lease status 7                                        the service's state and endpoint
    agora market lease show 7                                          the lease on chain

`send-manifest` finds the lease's provider and its `host_uri` on chain, checks locally that the
file is the deployment's version (the provider checks again), and POSTs the signed envelope.
"""
from __future__ import annotations

import trio

from tools.compute_validator.http import ProbeError, get_json, post_json
from tools.workload.manifest import envelope, manifest_hash

TIMEOUT_S = 30.0
NEW_LEASE_GRACE_S = 10.0


def _lease_and_provider(client, lease_id: int, error) -> tuple[dict, dict, dict]:
    lease = client.lease(lease_id)
    if lease is None:
        raise error(f"lease {lease_id} is not active")
    provider = client.provider(lease["provider"])
    deployment = client.deployment(lease["deployment"])
    if provider is None or deployment is None:
        raise error(f"lease {lease_id}: its provider or deployment is gone")
    return lease, provider, deployment


def _host(provider: dict) -> str:
    host = provider["host_uri"]
    if isinstance(host, str) and host.startswith("0x"):
        host = bytes.fromhex(host[2:]).decode(errors="replace")
    return host.rstrip("/")


async def _post_until_known(url: str, doc: dict) -> tuple[int, object]:
    """POST; a 404 right after the auction means the provider has not yet seen its new lease: retry a while."""
    deadline = trio.current_time() + NEW_LEASE_GRACE_S
    while True:
        status, answer = await post_json(url, doc, TIMEOUT_S)
        if status != 404 or trio.current_time() > deadline:
            return status, answer
        await trio.sleep(0.5)


def cmd_send_manifest(args, client, error) -> None:
    raw = open(args.file, "rb").read()
    lease, provider, deployment = _lease_and_provider(client, args.lease, error)
    if "0x" + manifest_hash(raw).hex() != deployment["version"]:
        raise error(f"{args.file} is not deployment {lease['deployment']}'s version {deployment['version']} "
                    "(send the exact file the deployment was created from)")
    if client.keypair.ss58_address != deployment["owner"]:
        raise error(f"--key {client.keypair.ss58_address} is not the deployment's owner {deployment['owner']}")
    url = f"{_host(provider)}/leases/{args.lease}/manifest"
    try:
        status, answer = trio.run(_post_until_known, url, envelope(client.keypair, args.lease, raw))
    except ProbeError as exc:
        raise error(f"provider endpoint unreachable: {exc}") from None
    if status != 200:
        reason = answer.get("error") if isinstance(answer, dict) else answer
        raise error(f"provider {lease['provider']} refused the manifest ({status}): {reason}")
    print(f"manifest of deployment {lease['deployment']} sent to {url} (signed by {client.keypair.ss58_address}); "
          f"service {answer['state']} at {answer['service_uri']}")


def cmd_lease_status(args, client, error) -> None:
    lease, provider, _ = _lease_and_provider(client, args.lease, error)
    url = f"{_host(provider)}/leases/{args.lease}/status"
    try:
        status, answer = trio.run(get_json, url, TIMEOUT_S)
    except ProbeError as exc:
        raise error(f"provider endpoint unreachable: {exc}") from None
    if status != 200 or not isinstance(answer, dict):
        raise error(f"provider {lease['provider']} answered {status} for lease {args.lease}")
    print(f"lease {args.lease} on provider {lease['provider']} ({_host(provider)})")
    print(f"  state:    {answer['state']}")
    print(f"  endpoint: {answer.get('service_uri') or '-'}")


def cmd_lease_show(args, client, error, format_tao) -> None:
    lease, provider, deployment = _lease_and_provider(client, args.lease, error)
    rate = deployment.get("rate") or 0
    rows = [("deployment", lease["deployment"]), ("order", lease["order"]), ("tenant", lease["tenant"]),
            ("provider", lease["provider"]), ("provider endpoint", _host(provider)),
            ("price", f"{lease['price']:,} rao/block"), ("bid deposit", format_tao(lease["deposit"])),
            ("since block", lease["created_at"]), ("paid", format_tao(lease["paid"])),
            ("escrow", format_tao(deployment["escrow"])),
            ("blocks funded", f"{deployment['escrow'] // rate:,}" if rate else "-"),
            ("version", deployment["version"])]
    width = max(len(k) for k, _ in rows)
    print(f"lease {args.lease}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
