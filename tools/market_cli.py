"""``agora market``: tenant commands for the compute market, over the node's RPC.

    agora market deploy create FILE.yaml [--deposit 5TAO]   create a deployment (SDL-like YAML)
    agora market deploy deposit DEPLOYMENT AMOUNT           top up its escrow
    agora market deploy close DEPLOYMENT                    close it, refund what is left
    agora market deploy list [--owner ADDRESS]
    agora market orders [--all]                             open orders (--all: leased ones too)
    agora market bids ORDER                                 open bids on an order
    agora market lease accept BID                           accept a bid (the lease starts now)
    agora market lease close LEASE                          close a lease (tenant or provider)
    agora market lease list [--provider ADDR] [--tenant ADDR]
    agora market providers

Every command takes ``--url`` (default ws://127.0.0.1:9944); signing ones take ``--key``
(a secret URI, default //Alice: a dev chain's tenant). Amounts: ``5TAO``, ``0.5 TAO`` or
``123rao``; a bare number is TAO for deposits and rao for per-block prices.

The deployment file (SDL-like; sizes take Ki/Mi/Gi/Ti or K/M/G/T, CPU takes cores or ``500m``):

    deposit: 5TAO
    groups:
      web:                              # one order per group
        attributes: {region: eu-west}   # provider attributes required (`*` = any value)
        max_price: 50000000             # rao per block for the whole group (or "0.05TAO")
        resources:
          - cpu: 2
            memory: 4Gi
            storage: 10Gi
            gpu: {units: 1, vendor: nvidia, model: h100}   # model `*` for any
            replicas: 1

The deployment's version is the BLAKE2b-256 hash of the file.

This module also holds ``MarketClient`` (queries and signed submissions through
substrate-interface), shared with the provider bot. substrate-interface is imported
lazily, so registering the commands never needs it.
"""
from __future__ import annotations

import argparse
import decimal
import hashlib
import os
import re
import sys
from typing import Any, Iterable

from primitives.types import TAO

DEFAULT_URL = "ws://127.0.0.1:9944"
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40}


class MarketError(Exception):
    """A user-facing failure: bad input, or a transaction the chain rejected."""


# --- parsing -------------------------------------------------------------------------------------
def parse_amount(value: Any, *, default_unit: str = "TAO") -> int:
    """`5TAO`, `0.5 tao`, `123rao`, or a bare number in `default_unit` -> rao (exact)."""
    if isinstance(value, bool):
        raise MarketError(f"bad amount {value!r}")
    text = str(value).strip().replace("_", "").replace(",", "")
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*(tao|rao)?", text, re.IGNORECASE)
    if not match:
        raise MarketError(f"bad amount {value!r} (use e.g. 5TAO, 0.5TAO or 1000rao)")
    unit = (match.group(2) or default_unit).lower()
    amount = decimal.Decimal(match.group(1)) * (TAO if unit == "tao" else 1)
    if amount != amount.to_integral_value():
        raise MarketError(f"amount {value!r} is not a whole number of rao")
    return int(amount)


def parse_size(value: Any) -> int:
    """`4Gi`, `512Mi`, `10G`, `1073741824` -> bytes."""
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*([kmgt]i?)?b?", str(value).strip(), re.IGNORECASE)
    if not match:
        raise MarketError(f"bad size {value!r} (use e.g. 512Mi, 4Gi, 1Ti)")
    size = decimal.Decimal(match.group(1)) * _UNITS[(match.group(2) or "").lower()]
    return int(size)


def parse_cpu(value: Any) -> int:
    """Cores (`2`, `0.5`) or millicores (`500m`) -> millicores."""
    text = str(value).strip()
    if text.endswith("m"):
        return int(text[:-1])
    return int(decimal.Decimal(text) * 1000)


def format_tao(rao: int) -> str:
    whole, frac = divmod(int(rao), TAO)
    return f"{whole:,}.{frac:09d}".rstrip("0").rstrip(".") + " TAO"


def format_size(n: int) -> str:
    for unit, size in (("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n >= size:
            return f"{n / size:g}{unit}"
    return f"{n}B"


def load_deployment(path: str) -> tuple[list[dict], int | None, bytes]:
    """Read an SDL-like YAML: (groups as call arguments, deposit or None, version hash)."""
    import yaml

    try:
        raw = open(path, "rb").read()
        doc = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise MarketError(f"cannot read {path}: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), (dict, list)) or not doc["groups"]:
        raise MarketError(f"{path}: needs a non-empty `groups` mapping")
    groups_in = doc["groups"]
    items = groups_in.items() if isinstance(groups_in, dict) else [(g.get("name"), g) for g in groups_in]
    groups = []
    for name, g in items:
        if not name or not isinstance(g, dict):
            raise MarketError(f"{path}: every group needs a name and a mapping")
        try:
            resources = [_resource(r) for r in g.get("resources") or []]
            groups.append({
                "name": str(name),
                "requirements": [{"key": str(k), "value": str(v)} for k, v in (g.get("attributes") or {}).items()],
                "resources": resources,
                "max_price": parse_amount(g["max_price"], default_unit="rao"),
            })
        except KeyError as exc:
            raise MarketError(f"{path}: group {name}: missing {exc}") from None
    deposit = parse_amount(doc["deposit"]) if doc.get("deposit") is not None else None
    return groups, deposit, hashlib.blake2b(raw, digest_size=32).digest()


def _resource(r: dict) -> dict:
    gpu = r.get("gpu") or {}
    if isinstance(gpu, int):
        raise MarketError("gpu: give {units, vendor, model}")
    return {
        "cpu_millis": parse_cpu(r.get("cpu", 1)),
        "memory_bytes": parse_size(r.get("memory", "512Mi")),
        "storage_bytes": parse_size(r.get("storage", 0)),
        "gpu": {"units": int(gpu.get("units", 0)), "vendor": str(gpu.get("vendor", "")),
                "model": str(gpu.get("model", "*" if gpu.get("units") else ""))},
        "replicas": int(r.get("replicas", r.get("count", 1))),
    }


def describe_resources(spec: dict) -> str:
    parts = []
    for r in spec["resources"]:
        text = f"{r['replicas']}× {r['cpu_millis'] / 1000:g} CPU, {format_size(r['memory_bytes'])} RAM"
        if r["storage_bytes"]:
            text += f", {format_size(r['storage_bytes'])} disk"
        if r["gpu"]["units"]:
            text += f", {r['gpu']['units']} GPU {r['gpu']['vendor']}/{r['gpu']['model']}"
        parts.append(text)
    return "; ".join(parts)


# --- the client ----------------------------------------------------------------------------------
class MarketClient:
    """Market queries and signed calls over substrate-interface (one websocket)."""

    def __init__(self, url: str = DEFAULT_URL, key: str | None = None, *, connect: bool = True):
        self.url = url
        self.key_uri = key
        self._keypair = None
        self.substrate = None
        if connect:
            self.connect()

    def connect(self) -> None:
        from substrateinterface import SubstrateInterface

        self.close()
        try:
            self.substrate = SubstrateInterface(url=self.url)
        except (OSError, ConnectionError) as exc:
            raise MarketError(f"cannot connect to {self.url}: {exc}") from exc

    def close(self) -> None:
        if self.substrate is not None:
            try:
                self.substrate.close()
            except Exception:  # noqa: BLE001 (a dead socket may fail to close)
                pass
            self.substrate = None

    @property
    def keypair(self):
        if self._keypair is None:
            if not self.key_uri:
                raise MarketError("this command signs a transaction: give --key")
            from substrateinterface import Keypair

            self._keypair = Keypair.create_from_uri(self.key_uri)
        return self._keypair

    @property
    def address(self) -> str:
        return self.keypair.ss58_address

    # queries
    def params(self) -> dict:
        return self.substrate.query("Market", "Params").value

    def best_number(self) -> int:
        return self.substrate.get_block_header()["header"]["number"]

    def _map(self, name: str, params: list | None = None) -> Iterable[tuple[Any, Any]]:
        for key, value in self.substrate.query_map("Market", name, params or [], page_size=200):
            yield key.value, value.value

    def orders(self) -> dict[int, dict]:
        return dict(self._map("Orders"))

    def order(self, order_id: int) -> dict | None:
        return self.substrate.query("Market", "Orders", [order_id]).value

    def bids_of_order(self, order_id: int) -> dict[int, dict]:
        ids = self.substrate.query("Market", "OrderBids", [order_id]).value or []
        out = {}
        for bid_id in ids:
            bid = self.substrate.query("Market", "Bids", [bid_id]).value
            if bid is not None:
                out[bid_id] = bid
        return out

    def deployments(self) -> dict[int, dict]:
        return dict(self._map("Deployments"))

    def deployment(self, dep_id: int) -> dict | None:
        return self.substrate.query("Market", "Deployments", [dep_id]).value

    def leases(self) -> dict[int, dict]:
        return dict(self._map("Leases"))

    def lease(self, lease_id: int) -> dict | None:
        return self.substrate.query("Market", "Leases", [lease_id]).value

    def providers(self) -> dict[str, dict]:
        return dict(self._map("Providers"))

    def provider(self, address: str) -> dict | None:
        return self.substrate.query("Market", "Providers", [address]).value

    def provider_bids(self, address: str) -> dict[int, int]:
        """Open bids of a provider: bid -> order."""
        return {key[1] if isinstance(key, (list, tuple)) else key: order
                for key, order in self._map("ProviderBids", [address])}

    def provider_leases(self, address: str) -> dict[int, int]:
        """Active leases of a provider: lease -> deployment."""
        return {key[1] if isinstance(key, (list, tuple)) else key: dep
                for key, dep in self._map("ProviderLeases", [address])}

    def account(self, address: str) -> dict:
        return self.substrate.query("System", "Account", [address]).value["data"]

    # transactions
    def submit(self, call: str, params: dict, *, wait: bool = True):
        """Sign and submit `Market.<call>`; with `wait`, raise MarketError if it failed."""
        from substrateinterface.exceptions import SubstrateRequestException

        extrinsic = self.substrate.create_signed_extrinsic(
            call=self.substrate.compose_call("Market", call, params), keypair=self.keypair)
        try:
            receipt = self.substrate.submit_extrinsic(extrinsic, wait_for_inclusion=wait)
        except SubstrateRequestException as exc:
            raise MarketError(f"{call} rejected by the pool: {exc}") from exc
        if wait and not receipt.is_success:
            err = receipt.error_message or {}
            docs = " ".join(err.get("docs") or [])
            raise MarketError(f"{call} failed: {err.get('name', err)}{': ' + docs if docs else ''}")
        return receipt

    @staticmethod
    def market_events(receipt, name: str | None = None) -> list[dict]:
        return [e.value["attributes"] for e in receipt.triggered_events
                if e.value["module_id"] == "Market" and (name is None or e.value["event_id"] == name)]


# --- output --------------------------------------------------------------------------------------
def _console():
    from rich.console import Console

    return Console(width=int(os.environ.get("COLUMNS", "160")))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[str(c) for c in row])
    _console().print(table)


def _short(address: str | None) -> str:
    return "" if not address else f"{address[:6]}…{address[-4:]}"


# --- commands ------------------------------------------------------------------------------------
def cmd_deploy_create(args, client: MarketClient) -> None:
    groups, deposit, version = load_deployment(args.file)
    if args.deposit is not None:
        deposit = parse_amount(args.deposit)
    if deposit is None:
        deposit = client.params()["min_deposit"]
    receipt = client.submit("create_deployment", {"groups": groups, "deposit": deposit,
                                                  "version": "0x" + version.hex()})
    (created,) = client.market_events(receipt, "DeploymentCreated")
    orders = client.market_events(receipt, "OrderCreated")
    block = client.substrate.get_block_number(receipt.block_hash)
    print(f"deployment {created['deployment']} created in block {block} (escrow {format_tao(deposit)})")
    _table("orders", ["order", "group", "max price (rao/block)", "auction at block"],
           [[o["order"], groups[o["group"]]["name"], f"{o['max_price']:,}", o["bidding_ends"]] for o in orders])


def cmd_deploy_deposit(args, client: MarketClient) -> None:
    receipt = client.submit("deposit_deployment", {"deployment": args.deployment, "amount": parse_amount(args.amount)})
    (event,) = client.market_events(receipt, "EscrowDeposited")
    print(f"deployment {args.deployment}: escrow now {format_tao(event['escrow'])}")


def cmd_deploy_close(args, client: MarketClient) -> None:
    receipt = client.submit("close_deployment", {"deployment": args.deployment})
    for event in client.market_events(receipt, "DeploymentClosed"):
        print(f"deployment {event['deployment']} closed ({event['reason']}), refunded {format_tao(event['refunded'])}")


def cmd_deploy_list(args, client: MarketClient) -> None:
    owner = args.owner
    rows = []
    for dep_id, d in sorted(client.deployments().items()):
        if owner and d["owner"] != owner:
            continue
        rate = d["rate"]
        left = f"{d['escrow'] // rate:,} blocks" if rate else "-"
        rows.append([dep_id, _short(d["owner"]), format_tao(d["escrow"]), f"{rate:,}", left,
                     ",".join(map(str, d["orders"])), ",".join(map(str, d["leases"])), d["settled_at"]])
    _table("deployments", ["id", "owner", "escrow", "rate (rao/block)", "funds left", "orders", "leases",
                           "settled at"], rows)


def cmd_orders(args, client: MarketClient) -> None:
    rows = []
    deployments = client.deployments()
    for order_id, o in sorted(client.orders().items()):
        if o["lease"] is not None and not args.all:
            continue
        tenant = deployments.get(o["deployment"], {}).get("owner")
        nbids = len(client.substrate.query("Market", "OrderBids", [order_id]).value or [])
        state = "open" if o["lease"] is None else f"leased ({o['lease']})"
        attrs = ", ".join(f"{a['key']}={a['value']}" for a in o["spec"]["requirements"])
        rows.append([order_id, o["deployment"], o["spec"]["name"], _short(tenant), describe_resources(o["spec"]),
                     attrs, f"{o['spec']['max_price']:,}", o["created_at"], nbids, state])
    _table("orders", ["order", "deployment", "group", "tenant", "resources", "requires", "max price", "created",
                      "bids", "state"], rows)


def cmd_bids(args, client: MarketClient) -> None:
    order = client.order(args.order)
    if order is None:
        raise MarketError(f"no open or active order {args.order}")
    bids = client.bids_of_order(args.order)
    rows = [[bid_id, _short(b["provider"]), f"{b['price']:,}", format_tao(b["deposit"]), b["created_at"]]
            for bid_id, b in sorted(bids.items(), key=lambda kv: (kv[1]["price"], kv[0]))]
    _table(f"bids on order {args.order} (max {order['spec']['max_price']:,} rao/block)",
           ["bid", "provider", "price (rao/block)", "deposit", "block"], rows)


def cmd_lease_accept(args, client: MarketClient) -> None:
    receipt = client.submit("create_lease", {"bid": args.bid})
    (lease,) = client.market_events(receipt, "LeaseCreated")
    lost = [e["bid"] for e in client.market_events(receipt, "BidClosed") if e["reason"] == "Lost"]
    print(f"lease {lease['lease']} with {lease['provider']} at {lease['price']:,} rao/block"
          + (f"; bids {', '.join(map(str, lost))} lost and were refunded" if lost else ""))


def cmd_lease_close(args, client: MarketClient) -> None:
    receipt = client.submit("close_lease", {"lease": args.lease})
    for event in client.market_events(receipt, "LeaseClosed"):
        print(f"lease {event['lease']} closed ({event['reason']}) at block {event['closed_on']}, "
              f"paid {format_tao(event['paid'])}")
    for event in client.market_events(receipt, "DeploymentClosed"):
        print(f"deployment {event['deployment']} closed ({event['reason']}), refunded {format_tao(event['refunded'])}")


def cmd_lease_list(args, client: MarketClient) -> None:
    rows = []
    deployments = client.deployments()
    for lease_id, l in sorted(client.leases().items()):
        if (args.provider and l["provider"] != args.provider) or (args.tenant and l["tenant"] != args.tenant):
            continue
        dep = deployments.get(l["deployment"], {})
        rate = dep.get("rate") or 0
        rows.append([lease_id, l["deployment"], _short(l["tenant"]), _short(l["provider"]), f"{l['price']:,}",
                     format_tao(l["paid"]), l["created_at"], f"{dep.get('escrow', 0) // rate:,}" if rate else "-"])
    _table("leases", ["lease", "deployment", "tenant", "provider", "price (rao/block)", "paid", "since",
                      "blocks funded"], rows)


def cmd_providers(args, client: MarketClient) -> None:
    rows = [[_short(who), p["host_uri"], ", ".join(f"{a['key']}={a['value']}" for a in p["attributes"]),
             p["open_bids"], p["active_leases"], p["registered_at"]]
            for who, p in sorted(client.providers().items())]
    _table("providers", ["provider", "host", "attributes", "open bids", "leases", "since"], rows)


def _run(fn):
    def run(args) -> int:
        client = None
        try:
            client = MarketClient(args.url, getattr(args, "key", None))
            fn(args, client)
        except MarketError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            if client is not None:
                client.close()
        return 0

    return run


def add_market_command(subparsers) -> argparse.ArgumentParser:
    """Register `market` and its sub-commands on an argparse sub-parsers object."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("AGORA_URL", DEFAULT_URL),
                        help=f"node WebSocket RPC (default {DEFAULT_URL})")
    signing = argparse.ArgumentParser(add_help=False, parents=[common])
    signing.add_argument("--key", default=os.environ.get("AGORA_KEY"),
                         help="secret URI of the signer, e.g. //Alice on a dev chain (required; or AGORA_KEY)")

    market = subparsers.add_parser("market", help="compute market: deployments, orders, bids, leases")
    sub = market.add_subparsers(dest="market_command", metavar="COMMAND")
    market.set_defaults(run=lambda args: (market.print_help(), 2)[1])

    deploy = sub.add_parser("deploy", help="create, top up, close and list deployments")
    dsub = deploy.add_subparsers(dest="deploy_command", metavar="COMMAND")
    deploy.set_defaults(run=lambda args: (deploy.print_help(), 2)[1])
    p = dsub.add_parser("create", parents=[signing], help="create a deployment from an SDL-like YAML file")
    p.add_argument("file")
    p.add_argument("--deposit", default=None, help="escrow deposit (overrides the file; default: MinDeposit)")
    p.set_defaults(run=_run(cmd_deploy_create))
    p = dsub.add_parser("deposit", parents=[signing], help="top up a deployment's escrow")
    p.add_argument("deployment", type=int)
    p.add_argument("amount", help="e.g. 5TAO or 1000rao (bare number: TAO)")
    p.set_defaults(run=_run(cmd_deploy_deposit))
    p = dsub.add_parser("close", parents=[signing], help="close a deployment and refund its escrow")
    p.add_argument("deployment", type=int)
    p.set_defaults(run=_run(cmd_deploy_close))
    p = dsub.add_parser("list", parents=[common], help="active deployments")
    p.add_argument("--owner", default=None, help="only this owner's (SS58)")
    p.set_defaults(run=_run(cmd_deploy_list))

    p = sub.add_parser("orders", parents=[common], help="open orders")
    p.add_argument("--all", action="store_true", help="leased orders too")
    p.set_defaults(run=_run(cmd_orders))
    p = sub.add_parser("bids", parents=[common], help="open bids on an order, cheapest first")
    p.add_argument("order", type=int)
    p.set_defaults(run=_run(cmd_bids))

    lease = sub.add_parser("lease", help="accept a bid, close or list leases")
    lsub = lease.add_subparsers(dest="lease_command", metavar="COMMAND")
    lease.set_defaults(run=lambda args: (lease.print_help(), 2)[1])
    p = lsub.add_parser("accept", parents=[signing], help="accept a bid: the lease starts now")
    p.add_argument("bid", type=int)
    p.set_defaults(run=_run(cmd_lease_accept))
    p = lsub.add_parser("close", parents=[signing], help="close a lease (paid up to this block)")
    p.add_argument("lease", type=int)
    p.set_defaults(run=_run(cmd_lease_close))
    from tools.workload import tenant

    p = lsub.add_parser("send-manifest", parents=[signing],
                        help="sign the deployment file and send it to the lease's provider, which runs it")
    p.add_argument("lease", type=int)
    p.add_argument("file", help="the deployment file the deployment was created from")
    p.set_defaults(run=_run(lambda args, client: tenant.cmd_send_manifest(args, client, MarketError)))
    p = lsub.add_parser("status", parents=[common], help="the lease's service as its provider reports it")
    p.add_argument("lease", type=int)
    p.set_defaults(run=_run(lambda args, client: tenant.cmd_lease_status(args, client, MarketError)))
    p = lsub.add_parser("show", parents=[common], help="one lease on chain: parties, price, paid, escrow")
    p.add_argument("lease", type=int)
    p.set_defaults(run=_run(lambda args, client: tenant.cmd_lease_show(args, client, MarketError, format_tao)))
    from tools import market_ops

    for parent, name in ((lsub, "withdraw"), (sub, "withdraw")):     # `market withdraw` as Akash's, same call
        p = parent.add_parser(name, parents=[signing], help="(provider) collect what the lease owes now")
        p.add_argument("lease", type=int)
        p.set_defaults(run=_run(lambda args, client: market_ops.cmd_lease_withdraw(args, client, format_tao)))
    p = lsub.add_parser("history", parents=[common], help="leases created or closed in a block range (events)")
    p.add_argument("--from", dest="from_block", type=int, default=None, help="first block (default: last 600)")
    p.add_argument("--to", type=int, default=None, help="last block (default: best)")
    p.set_defaults(run=_run(lambda args, client: market_ops.cmd_lease_history(args, client, _table, format_tao)))
    p = lsub.add_parser("list", parents=[common], help="active leases")
    p.add_argument("--provider", default=None)
    p.add_argument("--tenant", default=None)
    p.set_defaults(run=_run(cmd_lease_list))

    bid = sub.add_parser("bid", help="close an open bid")
    bsub = bid.add_subparsers(dest="bid_command", metavar="COMMAND")
    bid.set_defaults(run=lambda args: (bid.print_help(), 2)[1])
    p = bsub.add_parser("close", parents=[signing], help="(provider) withdraw an open bid; its deposit comes back")
    p.add_argument("bid", type=int)
    p.set_defaults(run=_run(market_ops.cmd_bid_close))

    market_ops.add_params_command(sub, signing, _run, MarketError)

    p = sub.add_parser("providers", parents=[common], help="registered providers")
    p.set_defaults(run=_run(cmd_providers))
    return market
