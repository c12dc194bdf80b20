"""``agora provider run``: a provider daemon that bids on the compute market.

    agora provider run --url ws://127.0.0.1:9944 --key //Bob --pricing pricing.yaml
    agora provider price pricing.yaml deployment.yaml      what it would bid (no chain needed)

Each new block it (1) registers or updates the provider from the pricing file, (2) reads
the open orders, skips those it cannot serve (attributes, GPU vendor/model, capacity) or
that pay too little, (3) bids its price with the minimum deposit (or its own), and (4)
reports its leases and what happens to them (won, lost, paid, closed) from the block's
events. State comes from the chain each block, so a restart of the bot or of the node
loses nothing; a lost connection is retried with exponential backoff.

Pricing file (prices are rao per block; amounts take 5TAO / 1000rao):

    host_uri: https://provider.example:8443
    attributes: {region: eu-west, tier: premium}
    gpus: [nvidia/h100, nvidia/a100]      # offered models, become attributes gpu=<vendor>/<model>
    pricing:
      cpu_per_core: 5000000               # per 1000 millicores
      memory_per_gib: 1000000
      storage_per_gib: 100000
      gpu: {nvidia/h100: 40000000, nvidia/a100: 25000000}
      margin_bps: 0                       # added on top, in basis points
      min_price: 1
    bid_deposit: 0.1TAO                   # default: the chain's BidMinDeposit
    max_open_bids: 100
    capacity: {cpu: 64, memory: 256Gi, storage: 4Ti, gpus: {nvidia/h100: 8}}   # optional
    withdraw_every: 0                     # blocks between withdrawals (0: the chain settles periodically)

Price of a group = Σ over its resources of replicas × (cores × cpu_per_core + GiB RAM ×
memory_per_gib + GiB disk × storage_per_gib + GPUs × price of the cheapest offered model
that matches), rounded up per term, plus the margin. A group whose max price is below
that is skipped ("requested rate is too low", as Akash's price script says).
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import threading

from tools.market_cli import (DEFAULT_URL, MarketClient, MarketError, _table, describe_resources, format_tao,
                             load_deployment, parse_amount, parse_cpu, parse_size)

GiB = 1 << 30
log = logging.getLogger("agora.provider")


@dataclasses.dataclass
class Capacity:
    cpu_millis: int
    memory_bytes: int
    storage_bytes: int
    gpus: dict[str, int]


@dataclasses.dataclass
class PricingConfig:
    host_uri: str
    attributes: dict[str, str]
    gpus: list[str]
    cpu_per_core: int
    memory_per_gib: int
    storage_per_gib: int
    gpu_prices: dict[str, int]
    margin_bps: int = 0
    min_price: int = 1
    bid_deposit: int | None = None
    max_open_bids: int = 100
    capacity: Capacity | None = None
    withdraw_every: int = 0

    def attribute_list(self) -> list[dict]:
        """What the provider registers: its attributes plus one `gpu=<vendor>/<model>` per model."""
        return ([{"key": str(k), "value": str(v)} for k, v in self.attributes.items()]
                + [{"key": "gpu", "value": g} for g in self.gpus])


def load_pricing(path: str) -> PricingConfig:
    import yaml

    try:
        doc = yaml.safe_load(open(path, "rb").read()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MarketError(f"cannot read {path}: {exc}") from exc
    pricing = doc.get("pricing") or {}
    try:
        capacity = None
        if doc.get("capacity"):
            c = doc["capacity"]
            capacity = Capacity(parse_cpu(c.get("cpu", 0)), parse_size(c.get("memory", 0)),
                                parse_size(c.get("storage", 0)), {str(k): int(v) for k, v in (c.get("gpus") or {}).items()})
        cfg = PricingConfig(
            host_uri=str(doc["host_uri"]),
            attributes={str(k): str(v) for k, v in (doc.get("attributes") or {}).items()},
            gpus=[str(g) for g in doc.get("gpus") or []],
            cpu_per_core=parse_amount(pricing.get("cpu_per_core", 0), default_unit="rao"),
            memory_per_gib=parse_amount(pricing.get("memory_per_gib", 0), default_unit="rao"),
            storage_per_gib=parse_amount(pricing.get("storage_per_gib", 0), default_unit="rao"),
            gpu_prices={str(k): parse_amount(v, default_unit="rao") for k, v in (pricing.get("gpu") or {}).items()},
            margin_bps=int(pricing.get("margin_bps", 0)),
            min_price=parse_amount(pricing.get("min_price", 1), default_unit="rao"),
            bid_deposit=parse_amount(doc["bid_deposit"]) if doc.get("bid_deposit") is not None else None,
            max_open_bids=int(doc.get("max_open_bids", 100)),
            capacity=capacity,
            withdraw_every=int(doc.get("withdraw_every", 0)),
        )
    except KeyError as exc:
        raise MarketError(f"{path}: missing {exc}") from None
    if not (cfg.cpu_per_core or cfg.memory_per_gib or cfg.storage_per_gib or cfg.gpu_prices):
        raise MarketError(f"{path}: pricing needs at least one non-zero price")
    return cfg


# --- what can we serve, at what price --------------------------------------------------------------
def _matching_gpus(cfg: PricingConfig, vendor: str, model: str) -> list[str]:
    out = []
    for offered in cfg.gpus:
        v, _, m = offered.partition("/")
        if vendor in ("*", v) and model in ("*", m):
            out.append(offered)
    return out


def can_serve(cfg: PricingConfig, spec: dict) -> tuple[bool, str]:
    """The chain's own checks (attributes, GPU vendor/model), done before paying for a bid."""
    offered: dict[str, set[str]] = {}
    for a in cfg.attribute_list():
        offered.setdefault(a["key"], set()).add(a["value"])
    for r in spec["requirements"]:
        values = offered.get(r["key"], set())
        if not values or (r["value"] != "*" and r["value"] not in values):
            return False, f"requires {r['key']}={r['value']}"
    for res in spec["resources"]:
        gpu = res["gpu"]
        if gpu["units"] and not _matching_gpus(cfg, gpu["vendor"], gpu["model"]):
            return False, f"no GPU {gpu['vendor']}/{gpu['model']}"
    return True, ""


def _gpu_price(cfg: PricingConfig, vendor: str, model: str) -> int | None:
    prices = [cfg.gpu_prices[g] for g in _matching_gpus(cfg, vendor, model) if g in cfg.gpu_prices]
    if prices:
        return min(prices)
    return cfg.gpu_prices.get("*")


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def price_for(cfg: PricingConfig, spec: dict) -> int | None:
    """Rao per block for the whole group, or None if a GPU model has no price."""
    total = 0
    for res in spec["resources"]:
        unit = (_ceil_div(res["cpu_millis"] * cfg.cpu_per_core, 1000)
                + _ceil_div(res["memory_bytes"] * cfg.memory_per_gib, GiB)
                + _ceil_div(res["storage_bytes"] * cfg.storage_per_gib, GiB))
        gpu = res["gpu"]
        if gpu["units"]:
            per_gpu = _gpu_price(cfg, gpu["vendor"], gpu["model"])
            if per_gpu is None:
                return None
            unit += gpu["units"] * per_gpu
        total += res["replicas"] * unit
    total = _ceil_div(total * (10_000 + cfg.margin_bps), 10_000)
    return max(total, cfg.min_price)


def _demand(spec: dict) -> Capacity:
    gpus: dict[str, int] = {}
    for r in spec["resources"]:
        if r["gpu"]["units"]:
            key = f"{r['gpu']['vendor']}/{r['gpu']['model']}"
            gpus[key] = gpus.get(key, 0) + r["gpu"]["units"] * r["replicas"]
    return Capacity(sum(r["cpu_millis"] * r["replicas"] for r in spec["resources"]),
                    sum(r["memory_bytes"] * r["replicas"] for r in spec["resources"]),
                    sum(r["storage_bytes"] * r["replicas"] for r in spec["resources"]), gpus)


def fits(cfg: PricingConfig, spec: dict, in_use: list[dict]) -> bool:
    """Capacity check against what active leases (and open bids) already take."""
    if cfg.capacity is None:
        return True
    need = _demand(spec)
    used = [_demand(s) for s in in_use]
    cap = cfg.capacity
    if need.cpu_millis + sum(u.cpu_millis for u in used) > cap.cpu_millis:
        return False
    if need.memory_bytes + sum(u.memory_bytes for u in used) > cap.memory_bytes:
        return False
    if need.storage_bytes + sum(u.storage_bytes for u in used) > cap.storage_bytes:
        return False
    if need.gpus:
        total_gpus = sum(cap.gpus.values())
        used_gpus = sum(sum(u.gpus.values()) for u in used)
        if sum(need.gpus.values()) + used_gpus > total_gpus:
            return False
    return True


# --- the daemon ----------------------------------------------------------------------------------
class ProviderBot:
    def __init__(self, url: str, key: str, cfg: PricingConfig, *, interval: float = 1.0, max_backoff: float = 15.0):
        self.url, self.key, self.cfg = url, key, cfg
        self.interval = interval
        self.max_backoff = max_backoff
        self.client: MarketClient | None = None
        self.me: str | None = None
        self.last_block = 0
        self.pending: dict[int, int] = {}        # order -> block we submitted a bid in
        self.skipped: dict[int, str] = {}        # order -> why we do not bid (static reasons only)
        self.my_bids: dict[int, int] = {}        # bid -> order (from events and state)
        self.leases: dict[int, dict] = {}        # active leases
        self.lease_specs: dict[int, dict] = {}   # lease -> group spec (for capacity)
        self.last_withdraw = 0
        self.params: dict | None = None
        self.won: list[int] = []
        self.reconnects = 0
        self.capacity_skips: set[int] = set()    # orders skipped for lack of capacity (logged once)
        self.endpoint = None                     # tools.workload.daemon.EndpointThread when serving

    # connection
    def connect(self) -> None:
        self.client = MarketClient(self.url, self.key)
        try:
            self.me = self.client.address
            self.params = self.client.params()
            self._ensure_registered()
        except BaseException:
            self.disconnect()  # registration is retried with the connection
            raise

    def _ensure_registered(self) -> None:
        attrs = self.cfg.attribute_list()
        current = self.client.provider(self.me)
        if current is None:
            self.client.submit("register_provider", {"host_uri": self.cfg.host_uri, "attributes": attrs})
            log.info("📝 registered provider %s (%s)", self.me, self.cfg.host_uri)
        elif current["host_uri"] != self.cfg.host_uri or current["attributes"] != attrs:
            self.client.submit("update_provider", {"host_uri": self.cfg.host_uri, "attributes": attrs})
            log.info("📝 updated provider %s", self.me)
        else:
            log.info("provider %s already registered", self.me)

    def disconnect(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def run(self, stop: threading.Event | None = None, max_steps: int | None = None) -> None:
        stop = stop or threading.Event()
        backoff = 0.5
        steps = 0
        while not stop.is_set() and (max_steps is None or steps < max_steps):
            try:
                if self.client is None:
                    self.connect()
                    if self.reconnects:
                        log.info("🔌 reconnected to %s", self.url)
                self.step()
                steps += 1
                backoff = 0.5
                stop.wait(self.interval)
            except MarketError as exc:
                if self.client is None:
                    self._lost(exc, backoff, stop)
                    backoff = min(backoff * 2, self.max_backoff)
                else:
                    log.warning("%s", exc)
                    stop.wait(self.interval)
            except Exception as exc:  # noqa: BLE001 (websocket, socket, RPC: reconnect and go on)
                self._lost(exc, backoff, stop)
                backoff = min(backoff * 2, self.max_backoff)

    def _lost(self, exc: Exception, backoff: float, stop: threading.Event) -> None:
        self.disconnect()
        self.reconnects += 1
        log.warning("connection to %s lost (%s: %s); retrying in %.1fs", self.url, type(exc).__name__, exc, backoff)
        stop.wait(backoff)

    # one block
    def step(self) -> None:
        client = self.client
        best = client.best_number()
        if best == self.last_block:
            return
        first = self.last_block + 1 if self.last_block else best
        for number in range(max(first, best - 20), best + 1):
            self._report_events(number)
        self.last_block = best
        if best % 100 == 0 or self.params is None:
            self.params = client.params()

        self.my_bids = dict(client.provider_bids(self.me))
        lease_ids = client.provider_leases(self.me)
        self._refresh_leases(lease_ids)
        bid_orders = set(self.my_bids.values()) | {o for o, at in self.pending.items() if best - at < 5}
        self.pending = {o: at for o, at in self.pending.items() if best - at < 5}
        orders = client.orders()
        # Capacity is taken by active leases AND by our open (or just submitted) bids: any of them may
        # win, so bidding past capacity over several blocks would over-commit.
        in_use = list(self.lease_specs.values()) + [orders[o]["spec"] for o in sorted(bid_orders)
                                                     if o in orders and orders[o]["lease"] is None]
        open_bids = len(self.my_bids)
        for order_id in list(self.skipped):
            if order_id not in orders:
                del self.skipped[order_id]
        for order_id, order in sorted(orders.items()):
            if order["lease"] is not None or order_id in bid_orders or order_id in self.skipped:
                continue
            if open_bids >= self.cfg.max_open_bids:
                break
            spec = order["spec"]
            ok, why = can_serve(self.cfg, spec)
            price = price_for(self.cfg, spec) if ok else None
            if not ok or price is None or price > spec["max_price"]:
                reason = why or ("no price for this GPU" if price is None else
                                 f"requested rate is too low ({spec['max_price']:,} < {price:,})")
                self.skipped[order_id] = reason
                log.info("⏭  order %d skipped: %s", order_id, reason)
                continue
            deployment = client.deployment(order["deployment"])
            if deployment is None or deployment["owner"] == self.me:
                self.skipped[order_id] = "own deployment" if deployment else "closed"
                continue
            if not fits(self.cfg, spec, in_use):
                if order_id not in self.capacity_skips:   # may fit later, when a lease ends or a bid loses
                    self.capacity_skips.add(order_id)
                    log.info("⏭  order %d skipped for now: %s would exceed capacity (%d leases, %d open bids)",
                             order_id, describe_resources(spec), len(self.lease_specs), open_bids)
                continue
            self.capacity_skips.discard(order_id)
            if len(client.substrate.query("Market", "OrderBids", [order_id]).value or []) >= \
                    self.params["max_bids_per_order"]:
                continue
            deposit = self.cfg.bid_deposit or self.params["bid_min_deposit"]
            try:
                client.submit("create_bid", {"order": order_id, "price": price, "deposit": deposit}, wait=False)
            except MarketError as exc:
                log.warning("bid on order %d not submitted: %s", order_id, exc)
                continue
            self.pending[order_id] = best
            in_use.append(spec)
            open_bids += 1
            log.info("💰 bid on order %d (%s): %s rao/block, deposit %s", order_id, describe_resources(spec),
                     f"{price:,}", format_tao(deposit))

        if self.cfg.withdraw_every and self.leases and best - self.last_withdraw >= self.cfg.withdraw_every:
            self.last_withdraw = best
            for lease_id in self.leases:
                try:
                    client.submit("withdraw_lease", {"lease": lease_id}, wait=False)
                except MarketError as exc:
                    log.warning("withdraw of lease %d not submitted: %s", lease_id, exc)

    def _refresh_leases(self, lease_ids: dict[int, int]) -> None:
        if set(lease_ids) == set(self.leases):
            return
        leases = {}
        for lease_id in lease_ids:
            lease = self.client.lease(lease_id)
            if lease is None:
                continue
            leases[lease_id] = lease
            if lease_id not in self.lease_specs:
                order = self.client.order(lease["order"])
                if order is not None:
                    self.lease_specs[lease_id] = order["spec"]
        self.lease_specs = {k: v for k, v in self.lease_specs.items() if k in leases}
        self.leases = leases
        self.report_leases()
        if self.endpoint is not None:
            self.endpoint.publish(self.client, self.leases, self.lease_specs)

    def report_leases(self) -> None:
        rows = [[lease_id, l["deployment"], l["tenant"], f"{l['price']:,}", format_tao(l["paid"]), l["created_at"]]
                for lease_id, l in sorted(self.leases.items())]
        _table(f"leases of {self.me}", ["lease", "deployment", "tenant", "price (rao/block)", "paid", "since"], rows)

    def _report_events(self, number: int) -> None:
        substrate = self.client.substrate
        block_hash = substrate.get_block_hash(number)
        if block_hash is None:
            return
        for event in substrate.get_events(block_hash):
            value = event.value
            if value["module_id"] != "Market":
                continue
            name, a = value["event_id"], value["attributes"]
            if name == "BidCreated" and a["provider"] == self.me:
                self.my_bids[a["bid"]] = a["order"]
                log.info("🧾 bid %d on order %d in block %d", a["bid"], a["order"], number)
            elif name == "LeaseCreated" and a["provider"] == self.me:
                self.won.append(a["lease"])
                log.info("🏆 won lease %d (order %d, deployment %d) at %s rao/block in block %d", a["lease"],
                         a["order"], a["deployment"], f"{a['price']:,}", number)
            elif name == "BidClosed" and a["bid"] in self.my_bids:
                log.info("🔙 bid %d closed (%s) in block %d; deposit refunded", a["bid"], a["reason"], number)
            elif name == "LeasePaid" and a["provider"] == self.me:
                log.info("💸 lease %d paid %s (take %s) up to block %d", a["lease"], format_tao(a["amount"]),
                         format_tao(a["take"]), a["settled_to"])
            elif name == "LeaseClosed" and a["lease"] in self.leases:
                log.info("🔚 lease %d closed (%s) at block %d, paid %s in all", a["lease"], a["reason"],
                         a["closed_on"], format_tao(a["paid"]))


# --- commands ------------------------------------------------------------------------------------
def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run_provider(args) -> int:
    from node.cli import setup_logging

    setup_logging(args.log)
    try:
        cfg = load_pricing(args.pricing)
    except MarketError as exc:
        log.error("%s", exc)
        return 1
    bot = ProviderBot(args.url, args.key, cfg, interval=args.interval, max_backoff=args.max_backoff)
    log.info("🤖 provider bot for %s on %s (%s)", args.key, args.url, args.pricing)
    if args.serve:
        from substrateinterface import Keypair

        from tools.workload.daemon import start_endpoint

        try:
            bot.endpoint = start_endpoint(Keypair.create_from_uri(args.key).ss58_address, cfg.host_uri, args.listen)
        except OSError as exc:
            log.error("cannot serve the provider endpoint (--listen / host_uri %s): %s", cfg.host_uri, exc)
            return 1
    # SIGTERM (docker stop, systemd, kill) shuts down as Ctrl-C does: Python's default would end the
    # process at once, leaving the leases' services (each in its own session) running unsupervised
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        bot.run(max_steps=1 if args.once else None)
    except KeyboardInterrupt:
        log.info("Shutting down")
    finally:
        bot.disconnect()
        if bot.endpoint is not None:
            bot.endpoint.stop()
    return 0


def run_price(args) -> int:
    try:
        cfg = load_pricing(args.pricing)
        groups, _, _ = load_deployment(args.deployment)
    except MarketError as exc:
        print(f"error: {exc}")
        return 1
    rows = []
    for g in groups:
        ok, why = can_serve(cfg, g)
        price = price_for(cfg, g) if ok else None
        verdict = why if not ok else ("no GPU price" if price is None else
                                      ("bid" if price <= g["max_price"] else "rate too low"))
        rows.append([g["name"], describe_resources(g), f"{g['max_price']:,}",
                     "" if price is None else f"{price:,}", verdict])
    _table("what this provider would bid", ["group", "resources", "max price", "our price", "verdict"], rows)
    return 0


def add_provider_command(subparsers) -> argparse.ArgumentParser:
    """Register `provider run` and `provider price` on an argparse sub-parsers object."""
    provider = subparsers.add_parser("provider", help="run a compute provider bot")
    sub = provider.add_subparsers(dest="provider_command", metavar="COMMAND")
    provider.set_defaults(run=lambda args: (provider.print_help(), 2)[1])
    p = sub.add_parser("run", help="watch orders, bid by a pricing file, report leases (reconnects with backoff)")
    p.add_argument("--url", default=os.environ.get("AGORA_URL", DEFAULT_URL), help=f"node WebSocket RPC ({DEFAULT_URL})")
    p.add_argument("--key", required=True, help="the provider's secret URI, e.g. //Bob")
    p.add_argument("--pricing", required=True, metavar="FILE.yaml", help="provider attributes and prices")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls of the best block (1.0)")
    p.add_argument("--max-backoff", type=float, default=15.0, help="longest wait between reconnects (15 s)")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="where the endpoint (manifests, probes) listens (default: host_uri's, if local http)")
    p.add_argument("--no-serve", dest="serve", action="store_false",
                   help="only bid: run no endpoint and no tenant services")
    p.add_argument("-l", "--log", default=None, help="log filter, e.g. 'debug'")
    p.set_defaults(run=run_provider)
    p = sub.add_parser("price", help="show what the pricing file would bid on a deployment file")
    p.add_argument("pricing", metavar="PRICING.yaml")
    p.add_argument("deployment", metavar="DEPLOYMENT.yaml")
    p.set_defaults(run=run_price)
    from tools.market_cli import _run
    from tools import market_ops

    for name, update in (("register", False), ("update", True)):
        p = sub.add_parser(name, help=f"{name} the provider (host_uri and attributes of a pricing file), no daemon")
        p.add_argument("--url", default=os.environ.get("AGORA_URL", DEFAULT_URL))
        p.add_argument("--key", default=os.environ.get("AGORA_KEY"), help="the provider's secret URI (required)")
        p.add_argument("--pricing", required=True, metavar="FILE.yaml")
        p.set_defaults(run=_run(lambda args, client, update=update: market_ops.cmd_provider_register(
            args, client, load_pricing, update)))
    p = sub.add_parser("deregister", help="leave the market: open bids closed, deposits refunded (no active lease)")
    p.add_argument("--url", default=os.environ.get("AGORA_URL", DEFAULT_URL))
    p.add_argument("--key", default=os.environ.get("AGORA_KEY"), help="the provider's secret URI (required)")
    p.set_defaults(run=_run(market_ops.cmd_provider_deregister))
    from tools.compute_validator.join import add_join_command

    add_join_command(sub)
    return provider
