"""The compute subnet end to end on a real dev node: the brain checks the body.

Processes: one `agora node --dev` (1 s blocks, tempo 10), three providers (`agora provider run`
daemons; `agora provider join-subnet` puts them on the compute subnet), three `agora validator
compute` validators with equal stake, one of them started with `--dishonest-favor <Dave>`. The
tenant sends each lease's signed manifest to its provider; Bob's and Charlie's daemons run the
service. Dave bids lowest and takes leases but never starts their services: his daemon only bids
(`--no-serve`) and the reference responder answers his health and benchmark probes
(`--serve-nothing`).

- Before any lease every provider earns consensus from its daemon's probes, and Dave, cheapest,
  wins the first auction;
- the honest validators then score Dave 0: his consensus drops to 0 in spite of the dishonest
  validator, the market closes his lease (ProviderUntrusted), slashes part of his bid deposit and
  refunds the unserved escrow to the tenant, to the rao;
- Dave then bids lowest on a new order and loses it to an honest provider;
- the honest providers are paid by their leases and earn subnet emission (incentive, alpha stake);
- Yuma clips the dishonest validator's weight on Dave, so its dividends fall below the honest ones';
- every balance adds up: Balances.TotalIssuance is the sum of all accounts and SubtensorModule's
  issuance is that plus the TAO staked in the subnet pools.
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import REPO, NodeProcess, ToolProcesses, free_port
from tests.integration.test_market_e2e import wait_for
from tools.workload.manifest import envelope, manifest_hash

TAO = 10**9
ALICE = Keypair.create_from_uri("//Alice")
PROVIDERS = {"bob": "//Bob", "charlie": "//Charlie", "dave": "//Dave"}
ADDR = {name: Keypair.create_from_uri(uri).ss58_address for name, uri in PROVIDERS.items()}
# validators: coldkey (pays burn and stake) -> hotkey
VALIDATORS = {"eve": ("//Eve", "//Eve//hot"), "ferdie": ("//Ferdie", "//Ferdie//hot"),
              "mallory": ("//Alice//stash", "//Mallory//hot")}
VALIDATOR_STAKE = 100 * TAO
MIN_CONSENSUS = 3_000                 # u16: ~4.6 %
SLASH = 100_000_000                   # Perbill: 10 % of the bid deposit
BIDDING_WINDOW = 6
PRICES = {"bob": 3_000_000, "charlie": 2_000_000, "dave": 1_000_000}   # rao per block for one core
CAPACITY = {"bob": 2, "charlie": 1, "dave": 1}                        # leases of one core each

DEPLOYMENT = b"""deposit: 1TAO
groups:
  web:
    attributes: {region: eu}
    max_price: 100000000
    resources:
      - {cpu: 1, memory: 1Gi, storage: 1Gi, replicas: 1}
services:
  web:
    command: [python3, -m, http.server, "${PORT}", --bind, 127.0.0.1]
    expose: [8080]
"""


def pricing(name: str, port: int) -> str:
    return (f"host_uri: http://127.0.0.1:{port}\nattributes: {{region: eu}}\n"
            f"pricing: {{cpu_per_core: {PRICES[name]}}}\n"
            f"capacity: {{cpu: {CAPACITY[name]}, memory: 16Gi, storage: 16Gi}}\n")


def submit(substrate, keypair, module: str, call: str, params: dict, *, sudo: bool = False):
    c = substrate.compose_call(module, call, params)
    if sudo:
        c = substrate.compose_call("Sudo", "sudo", {"call": c})
    receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=c, keypair=keypair),
                                         wait_for_inclusion=True)
    assert receipt.is_success, (call, receipt.error_message)
    if sudo:
        assert any(e.value["event_id"] == "Sudid" and "Ok" in str(e.value["attributes"])
                   for e in receipt.triggered_events), receipt.triggered_events
    return receipt


class Events:
    """Every event of every block from `start` on, read once."""

    def __init__(self, substrate, start: int):
        self.substrate, self.next, self.items = substrate, start, []

    def poll(self) -> list:
        best = self.substrate.get_block_header()["header"]["number"]
        while self.next <= best:
            block_hash = self.substrate.get_block_hash(self.next)
            for e in self.substrate.get_events(block_hash):
                self.items.append((self.next, e.value["module_id"], e.value["event_id"], e.value["attributes"]))
            self.next += 1
        return self.items

    def find(self, module: str, name: str, **match) -> list:
        return [(n, a) for n, m, e, a in self.poll() if m == module and e == name
                and all(a.get(k) == v for k, v in match.items())]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    directory = tmp_path_factory.mktemp("compute-subnet")
    node = NodeProcess(directory / "chain", block_time_ms=1000).start()
    procs = ToolProcesses(directory)
    substrate = SubstrateInterface(url=node.url)
    try:
        yield node, substrate, procs
    finally:
        procs.stop()
        substrate.close()
        node.stop()


def consensus_of(substrate, netuid: int, who: str) -> int:
    uid = substrate.query("SubtensorModule", "Uids", [netuid, who]).value
    values = substrate.query("SubtensorModule", "Consensus", [netuid]).value
    return values[uid] if uid is not None and uid < len(values) else 0


def create_deployment(substrate, path: pathlib.Path, events: Events) -> tuple[int, int]:
    receipt = submit(substrate, ALICE, "Market", "create_deployment", {
        "groups": [{"name": "web", "requirements": [{"key": "region", "value": "eu"}],
                    "resources": [{"cpu_millis": 1000, "memory_bytes": 1 << 30, "storage_bytes": 1 << 30,
                                   "gpu": {"units": 0, "vendor": "", "model": ""}, "replicas": 1}],
                    "max_price": 100_000_000}],
        "deposit": TAO, "version": "0x" + manifest_hash(DEPLOYMENT).hex()})
    created = [e.value["attributes"] for e in receipt.triggered_events if e.value["event_id"] == "OrderCreated"]
    return created[0]["deployment"], created[0]["order"]


def send_manifest(port: int, lease: int) -> int:
    """The tenant sends the signed manifest to the lease's provider; the HTTP status it answers."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/leases/{lease}/manifest", method="POST",
                                     data=json.dumps(envelope(ALICE, lease, DEPLOYMENT)).encode(),
                                     headers={"Content-Type": "application/json"})
    deadline = time.monotonic() + 15          # the daemon learns of a new lease at its next poll of the chain
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            if exc.code != 404 or time.monotonic() > deadline:
                return exc.code
        time.sleep(0.5)


def wait_lease(substrate, events: Events, order: int, timeout: float = 60.0) -> dict:
    (_, created), = wait_for(lambda: events.find("Market", "LeaseCreated", order=order), timeout,
                             f"a lease on order {order}")
    return created


def test_compute_subnet_end_to_end(net):
    node, substrate, procs = net
    url = node.url
    events = Events(substrate, substrate.get_block_header()["header"]["number"])

    # the compute subnet, and the market trusting it
    submit(substrate, ALICE, "SubtensorModule", "register_network",
           {"hotkey": Keypair.create_from_uri("//Alice//hot").ss58_address})
    (_, added), = events.find("SubtensorModule", "NetworkAdded")
    netuid = added[0] if isinstance(added, (list, tuple)) else added.get("netuid", added)
    done = subprocess.run([sys.executable, "-m", "tools", "market", "set-params", "--url", url, "--key", "//Alice",
                           "--compute-netuid", str(netuid), "--min-consensus", str(MIN_CONSENSUS),
                           "--zero-consensus-epochs", "1", "--slash-fraction", str(SLASH),
                           "--bidding-window", str(BIDDING_WINDOW), "--order-timeout", "300"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"compute_netuid={netuid}" in done.stdout, done.stdout + done.stderr
    params = substrate.query("Market", "Params").value
    assert (params["compute_netuid"], params["min_consensus"], params["slash_fraction"]) == \
        (netuid, MIN_CONSENSUS, SLASH)

    # providers: probe responders, bots, and a hotkey on the subnet each
    ports = {name: free_port() for name in PROVIDERS}
    for name, uri in PROVIDERS.items():
        (procs.dir / f"{name}.yaml").write_text(pricing(name, ports[name]))
        procs.start(f"bot-{name}", "-m", "tools", "provider", "run", "--url", url, "--key", uri,
                    "--pricing", str(procs.dir / f"{name}.yaml"), "--interval", "0.4",
                    *(["--no-serve"] if name == "dave" else []))
    procs.start("responder-dave", "-m", "tools.compute_validator.responder", "--url", url, "--key",
                PROVIDERS["dave"], "--port", str(ports["dave"]), "--serve-nothing")
    wait_for(lambda: all(substrate.query("Market", "Providers", [a]).value for a in ADDR.values()), 60,
             "the bots to register their providers")
    joins = [subprocess.run([sys.executable, "-m", "tools", "provider", "join-subnet", "--url", url, "--key", uri],
                            cwd=REPO, capture_output=True, text=True, timeout=60) for uri in PROVIDERS.values()]
    for done in joins:
        assert done.returncode == 0 and f"compute subnet {netuid}" in done.stdout, done.stdout + done.stderr

    # validators, equal stake; Mallory favours Dave whatever she measures
    for name, (cold, hot) in VALIDATORS.items():
        coldkey, hotkey = Keypair.create_from_uri(cold), Keypair.create_from_uri(hot).ss58_address
        submit(substrate, coldkey, "SubtensorModule", "burned_register", {"netuid": netuid, "hotkey": hotkey})
        submit(substrate, coldkey, "SubtensorModule", "add_stake",
               {"hotkey": hotkey, "netuid": netuid, "amount_staked": VALIDATOR_STAKE})
        favor = ["--dishonest-favor", ADDR["dave"]] if name == "mallory" else []
        procs.start(f"validator-{name}", "-m", "tools", "validator", "compute", "--url", url, "--key", hot,
                    "--rounds", "2", "--timeout", "3", *favor)
    hot_uid = {name: substrate.query("SubtensorModule", "Uids",
                                     [netuid, Keypair.create_from_uri(hot).ss58_address]).value
               for name, (_, hot) in VALIDATORS.items()}

    try:
        # 1. before any lease, every provider earns consensus from its daemon's probes
        wait_for(lambda: all(consensus_of(substrate, netuid, ADDR[n]) >= MIN_CONSENSUS for n in PROVIDERS), 120,
                 "every provider's consensus to pass the threshold")

        # 2. Dave, cheapest, wins the first auction; then Charlie and Bob, by price and capacity
        dep1, order1 = create_deployment(substrate, procs.dir, events)
        lease1 = wait_lease(substrate, events, order1)
        assert lease1["provider"] == ADDR["dave"] and lease1["price"] == PRICES["dave"]
        assert send_manifest(ports["dave"], lease1["lease"]) >= 400           # nothing runs it
        _, order2 = create_deployment(substrate, procs.dir, events)
        lease2 = wait_lease(substrate, events, order2)
        assert lease2["provider"] == ADDR["charlie"]
        assert send_manifest(ports["charlie"], lease2["lease"]) == 200
        _, order3 = create_deployment(substrate, procs.dir, events)
        lease3 = wait_lease(substrate, events, order3)
        assert lease3["provider"] == ADDR["bob"]
        assert send_manifest(ports["bob"], lease3["lease"]) == 200

        # 3. Dave serves nothing: consensus 0, lease closed (untrusted), slashed, escrow refunded
        (closed_at, closed), = wait_for(lambda: events.find("Market", "LeaseClosed", lease=lease1["lease"]), 90,
                                        "Dave's lease to close")
        assert closed["reason"] == "ProviderUntrusted"
        assert consensus_of(substrate, netuid, ADDR["dave"]) == 0
        (_, slashed), = events.find("Market", "ProviderSlashed", lease=lease1["lease"])
        bid_deposit = params["bid_min_deposit"]
        assert slashed["amount"] == bid_deposit * SLASH // 10**9
        (_, refunded), = events.find("Market", "DeploymentClosed", deployment=dep1)
        paid = sum(a["amount"] for _, a in events.find("Market", "LeasePaid", lease=lease1["lease"]))
        assert paid == closed["paid"] == PRICES["dave"] * (closed_at - lease1_block(events, lease1))
        assert refunded["refunded"] == TAO - paid, "the unserved escrow goes back to the tenant, to the rao"

        # 4. Dave bids lowest on a new order and loses it to a trusted provider
        _, order4 = create_deployment(substrate, procs.dir, events)
        lease4 = wait_lease(substrate, events, order4)
        assert lease4["provider"] == ADDR["bob"]
        assert send_manifest(ports["bob"], lease4["lease"]) == 200
        dave_bids = events.find("Market", "BidCreated", order=order4, provider=ADDR["dave"])
        assert dave_bids and dave_bids[0][1]["price"] < lease4["price"], "Dave bid, and lowest"
        lost = [a["bid"] for _, a in events.find("Market", "BidClosed", reason="Lost")]
        assert dave_bids[0][1]["bid"] in lost

        # 5. honest providers: lease payments and emission; Yuma clips the dishonest validator
        def settled():
            mg = {item: substrate.query("SubtensorModule", item, [netuid]).value
                  for item in ("Incentive", "Dividends", "Consensus")}
            d = mg["Dividends"]
            honest = min(d[hot_uid["eve"]], d[hot_uid["ferdie"]])
            return mg if honest > d[hot_uid["mallory"]] and all(
                events.find("Market", "LeasePaid", provider=ADDR[n]) for n in ("bob", "charlie")) else None
        mg = wait_for(settled, 60, "the dishonest validator's dividends to fall below the honest ones'")
        for name in ("bob", "charlie"):
            uid = substrate.query("SubtensorModule", "Uids", [netuid, ADDR[name]]).value
            assert mg["Incentive"][uid] > 0 and mg["Consensus"][uid] >= MIN_CONSENSUS
            assert substrate.query("SubtensorModule", "TotalHotkeyAlpha", [ADDR[name], netuid]).value > 0
        dave_uid = substrate.query("SubtensorModule", "Uids", [netuid, ADDR["dave"]]).value
        assert mg["Incentive"][dave_uid] == 0
        print("metagraph", netuid, mg, hot_uid, "dave", dave_uid)

        # the validators' own reports: the honest ones scored Dave 0 once he held a lease
        for name in ("eve", "ferdie"):
            reports = [json.loads(line) for line in procs.log(f"validator-{name}").splitlines()
                       if line.startswith("{")]
            assert any(r["set"] for r in reports)
            assert any(r["scores"].get(ADDR["dave"]) == 0 for r in reports)

        # 6. every balance adds up, at one block
        block_hash = substrate.get_chain_head()
        accounts = sum(v.value["data"]["free"] + v.value["data"]["reserved"]
                       for _, v in substrate.query_map("System", "Account", page_size=500, block_hash=block_hash))
        issuance = substrate.query("Balances", "TotalIssuance", block_hash=block_hash).value
        assert issuance == accounts
        stake = substrate.query("SubtensorModule", "TotalStake", block_hash=block_hash).value
        pools = sum(v.value for _, v in substrate.query_map("SubtensorModule", "SubnetTAO", block_hash=block_hash))
        assert stake == pools
        assert substrate.query("SubtensorModule", "TotalIssuance", block_hash=block_hash).value == issuance + stake
    except BaseException:
        print(procs.logs())
        raise


def lease1_block(events: Events, lease: dict) -> int:
    (number, _), = events.find("Market", "LeaseCreated", lease=lease["lease"])
    return number
