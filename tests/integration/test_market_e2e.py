"""The compute market end to end: a real dev node, three provider bots (subprocesses of
`agora provider run`) with different prices, a tenant using `agora market`, all through
the RPC with substrate-interface.

- the cheapest *eligible* bot wins the automatic auction (the cheapest bot overall has
  no NVIDIA GPU and never bids); the loser's deposit comes back in the same block;
- payments flow per block (settled every `settlement_period` blocks, take to the treasury);
- the lease closes for insufficient funds exactly at lease block + deposit // price;
- every account's balance change is explained to the rao by fees and market payments,
  and total issuance falls by exactly the fees burned;
- a tenant accepts a dearer bid and closes the lease with the CLI;
- a bot survives a restart of the node.
"""
from __future__ import annotations

import pathlib
import time

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tools import cli
from tools.provider_bot import load_pricing, price_for
from tests.integration.nodeproc import NodeProcess, ToolProcesses

ALICE, BOB, CHARLIE, DAVE = (Keypair.create_from_uri(f"//{n}") for n in ("Alice", "Bob", "Charlie", "Dave"))
TREASURY = "5EYCAe5ijiYf2msah6BohTmV93wFHhmtYXPv8r4b1nE893Es"  # b"modlpy/mrket" padded: the pallet's default
TAO = 10**9
# Blocks; raised from the dev spec's 3 with sudo. The window is the bots' timeout for bidding: a bot polls
# every 0.4 s and bids within a block or two on a quiet machine; 20 one-second blocks leave room for a
# loaded 2-core CI machine. A bot that still misses it fails the test with a message that says so.
BIDDING_WINDOW = 20

PRICING = {
    # eligible, dear
    "bob": """host_uri: https://bob.example:8443
attributes: {region: eu-west, tier: standard}
gpus: [nvidia/h100]
pricing: {cpu_per_core: 5000000, memory_per_gib: 1000000, storage_per_gib: 100000, gpu: {nvidia/h100: 40000000}}
""",
    # eligible, cheaper: wins
    "charlie": """host_uri: https://charlie.example:8443
attributes: {region: eu-west, tier: premium}
gpus: [nvidia/a100, nvidia/h100]
pricing: {cpu_per_core: 3000000, memory_per_gib: 500000, storage_per_gib: 50000,
          gpu: {nvidia/a100: 30000000, nvidia/h100: 45000000}}
""",
    # cheapest of all, but no NVIDIA GPU: not eligible, never bids
    "dave": """host_uri: https://dave.example:8443
attributes: {region: eu-west}
gpus: [amd/mi300]
pricing: {cpu_per_core: 1000000, memory_per_gib: 100000, storage_per_gib: 10000, gpu: {amd/mi300: 5000000}}
""",
}

DEPLOYMENT = """# an SDL-like deployment: one group, one GPU of any NVIDIA model
deposit: 1TAO
groups:
  inference:
    attributes: {region: eu-west}
    max_price: 100000000
    resources:
      - cpu: 2
        memory: 4Gi
        storage: 10Gi
        gpu: {units: 1, vendor: nvidia, model: "*"}
        replicas: 1
"""


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


class Bots(ToolProcesses):
    """`agora provider run` bots, one per PRICING entry, signing as //<Name>."""

    def __init__(self, url: str, directory: pathlib.Path):
        super().__init__(directory)
        self.url = url

    def start(self, name: str) -> None:
        pricing = self.dir / f"{name}.yaml"
        pricing.write_text(PRICING[name])
        super().start(name, "-m", "tools", "provider", "run", "--url", self.url, "--key", f"//{name.capitalize()}",
                      "--pricing", str(pricing), "--interval", "0.4", "--max-backoff", "2")


@pytest.fixture(scope="module")
def substrate(dev_node):
    s = SubstrateInterface(url=dev_node.url)
    yield s
    s.close()


def sudo(substrate, call):
    wrapped = substrate.compose_call("Sudo", "sudo", {"call": call})
    receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=wrapped, keypair=ALICE),
                                         wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message
    assert any(e.value["event_id"] == "Sudid" and "Ok" in str(e.value["attributes"]) for e in receipt.triggered_events)


@pytest.fixture(scope="module")
def bots(dev_node, substrate, tmp_path_factory):
    params = substrate.query("Market", "Params").value
    sudo(substrate, substrate.compose_call("Market", "set_params", {"params": {**params,
                                                                              "bidding_window": BIDDING_WINDOW}}))
    b = Bots(dev_node.url, tmp_path_factory.mktemp("bots"))
    for name in PRICING:
        b.start(name)
    try:
        wait_for(lambda: all(substrate.query("Market", "Providers", [k.ss58_address]).value
                             for k in (BOB, CHARLIE, DAVE)), 90, "the bots to register")
        yield b
    finally:
        b.stop()


def total_balance(substrate, address, block_hash) -> int:
    data = substrate.query("System", "Account", [address], block_hash=block_hash).value["data"]
    return data["free"] + data["reserved"]


def market_events(substrate, number: int) -> list[tuple[str, str, dict]]:
    block_hash = substrate.get_block_hash(number)
    return [(e.value["module_id"], e.value["event_id"], e.value["attributes"]) for e in substrate.get_events(block_hash)]


def run_cli(capsys, *argv) -> str:
    capsys.readouterr()
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_auction_payments_and_running_dry(dev_node, substrate, bots, tmp_path, capsys):
    url = dev_node.url
    watched = {"alice": ALICE.ss58_address, "bob": BOB.ss58_address, "charlie": CHARLIE.ss58_address,
               "dave": DAVE.ss58_address, "treasury": TREASURY}
    start = substrate.get_block_header()["header"]["number"]
    start_hash = substrate.get_block_hash(start)
    before = {n: total_balance(substrate, a, start_hash) for n, a in watched.items()}
    issuance_before = substrate.query("Balances", "TotalIssuance", block_hash=start_hash).value

    dep_file = tmp_path / "deployment.yaml"
    dep_file.write_text(DEPLOYMENT)
    out = run_cli(capsys, "market", "deploy", "create", str(dep_file), "--url", url, "--key", "//Alice")
    assert "deployment" in out and "created" in out
    dep_id = max(k.value for k, _ in substrate.query_map("Market", "Deployments"))
    (order_id,) = substrate.query("Market", "Deployments", [dep_id]).value["orders"]
    order = substrate.query("Market", "Orders", [order_id]).value
    spec = order["spec"]

    # both eligible bots bid within the window; the ineligible one does not
    wait_for(lambda: len(substrate.query("Market", "OrderBids", [order_id]).value or []) >= 2,
             BIDDING_WINDOW * 3, "two bids")
    out = run_cli(capsys, "market", "bids", str(order_id), "--url", url)
    assert "bids on order" in out
    lease_id = wait_for(lambda: substrate.query("Market", "Orders", [order_id]).value["lease"],
                        BIDDING_WINDOW * 3 + 60, "the auction")
    lease = substrate.query("Market", "Leases", [lease_id]).value
    last_in_window = substrate.get_block_hash(order["created_at"] + BIDDING_WINDOW - 1)
    in_window = substrate.query("Market", "OrderBids", [order_id], block_hash=last_in_window).value or []
    assert len(in_window) == 2, (f"{len(in_window)} bid(s) within the {BIDDING_WINDOW}-block window: "
                                 f"a bot was too slow (logs in {bots.dir})")
    cfg = {n: load_pricing(str(bots.dir / f"{n}.yaml")) for n in PRICING}
    prices = {n: price_for(cfg[n], spec) for n in PRICING}
    # by hand from PRICING and DEPLOYMENT (2 cores, 4 GiB, 10 GiB, one NVIDIA GPU of any model):
    # Bob 2*5e6 + 4*1e6 + 10*1e5 + 4e7 (h100); Charlie 2*3e6 + 4*5e5 + 10*5e4 + 3e7 (a100, his cheaper match);
    # Dave has no NVIDIA GPU, so no price at all (he is the cheapest otherwise, which is why he is there)
    assert prices == {"bob": 55_000_000, "charlie": 38_500_000, "dave": None}
    assert prices["charlie"] < prices["bob"] <= spec["max_price"]
    assert lease["provider"] == CHARLIE.ss58_address
    assert lease["price"] == prices["charlie"]
    price, leased_at = lease["price"], lease["created_at"]
    assert leased_at == order["created_at"] + BIDDING_WINDOW  # matched automatically when the window ended
    out = run_cli(capsys, "market", "lease", "list", "--url", url)
    assert f"{price:,}" in out  # the active lease's row

    # losers refunded in the same block; Dave never bid
    events = market_events(substrate, leased_at)
    assert ("Market", "LeaseCreated") in [(m, e) for m, e, _ in events]
    lost = [a for m, e, a in events if e == "BidClosed" and a["reason"] == "Lost"]
    assert len(lost) == 1
    leased_hash = substrate.get_block_hash(leased_at)
    params = substrate.query("Market", "Params").value
    bob_reserved = substrate.query("System", "Account", [BOB.ss58_address], block_hash=leased_hash).value["data"]
    assert bob_reserved["reserved"] == params["provider_deposit"]

    # the escrow pays `blocks` whole blocks, then the lease closes at exactly that block
    blocks = TAO // price
    dry_at = leased_at + blocks
    wait_for(lambda: substrate.query("Market", "Deployments", [dep_id]).value is None,
             blocks * 3 + 60, "the escrow to run dry", interval=0.5)
    end = substrate.get_block_header()["header"]["number"]
    end_hash = substrate.get_block_hash(end)

    fees: dict[str, int] = {}
    paid, took, settled, closes = 0, 0, [], []
    for number in range(start + 1, end + 1):
        for module, name, a in market_events(substrate, number):
            if name == "TransactionFeePaid":
                fees[a["who"]] = fees.get(a["who"], 0) + a["actual_fee"]
            if module != "Market":
                continue
            assert not (name == "BidCreated" and a["provider"] == DAVE.ss58_address), "Dave is not eligible"
            if name == "LeasePaid" and a["lease"] == lease_id:
                assert a["settled_to"] == number  # settled when due, never ahead
                settled.append((number, a["amount"]))
                paid += a["amount"]
                took += a["take"]
                assert a["take"] == a["amount"] * params["take_rate_bps"] // 10_000
            if name in ("LeaseClosed", "DeploymentClosed"):
                closes.append((number, name, a))
    # payments flow: one settlement every settlement_period blocks, each price x blocks elapsed
    period = params["settlement_period"]
    previous = leased_at
    for number, amount in settled:
        assert amount == price * (number - previous)
        assert number - previous == min(period, dry_at - previous)
        previous = number
    assert previous == dry_at and paid == blocks * price
    (lease_closed,) = [(n, a) for n, name, a in closes if name == "LeaseClosed"]
    assert lease_closed[0] == dry_at
    assert lease_closed[1] == {"lease": lease_id, "reason": "InsufficientFunds", "closed_on": dry_at, "paid": paid}
    (dep_closed,) = [(n, a) for n, name, a in closes if name == "DeploymentClosed"]
    assert dep_closed == (dry_at, {"deployment": dep_id, "reason": "InsufficientFunds",
                                   "refunded": TAO - blocks * price})

    # to the rao: every change is a fee or a market payment; issuance falls by the fees burned
    after = {n: total_balance(substrate, a, end_hash) for n, a in watched.items()}
    fee = {n: fees.get(a, 0) for n, a in watched.items()}
    assert after["alice"] == before["alice"] - fee["alice"] - paid
    assert after["charlie"] == before["charlie"] - fee["charlie"] + paid - took
    assert after["bob"] == before["bob"] - fee["bob"]
    assert after["dave"] == before["dave"] - fee["dave"]
    assert after["treasury"] == before["treasury"] + took
    issuance_after = substrate.query("Balances", "TotalIssuance", block_hash=end_hash).value
    assert issuance_after == issuance_before - sum(fees.values())
    alice_now = substrate.query("System", "Account", [ALICE.ss58_address], block_hash=end_hash).value["data"]
    assert alice_now["reserved"] == 0

    assert "won lease" in bots.log("charlie") and "skipped" in bots.log("dave")


def test_tenant_accepts_a_bid_and_closes_with_the_cli(dev_node, substrate, bots, tmp_path, capsys):
    url = dev_node.url
    dep_file = tmp_path / "deployment.yaml"
    dep_file.write_text(DEPLOYMENT)
    run_cli(capsys, "market", "deploy", "create", str(dep_file), "--deposit", "2TAO", "--url", url, "--key", "//Alice")
    dep_id = max(k.value for k, _ in substrate.query_map("Market", "Deployments"))
    (order_id,) = substrate.query("Market", "Deployments", [dep_id]).value["orders"]
    created_at = substrate.query("Market", "Orders", [order_id]).value["created_at"]
    out = run_cli(capsys, "market", "orders", "--url", url)
    assert "inference" in out
    wait_for(lambda: len(substrate.query("Market", "OrderBids", [order_id]).value or []) >= 2,
             BIDDING_WINDOW * 3, "two bids")
    bids = {b: substrate.query("Market", "Bids", [b]).value for b in substrate.query("Market", "OrderBids", [order_id]).value}
    dear = max(bids, key=lambda b: bids[b]["price"])
    assert bids[dear]["provider"] == BOB.ss58_address
    out = run_cli(capsys, "market", "lease", "accept", str(dear), "--url", url, "--key", "//Alice")
    assert f"lease {dear}" in out and "lost" in out
    run_cli(capsys, "market", "deploy", "deposit", str(dep_id), "1TAO", "--url", url, "--key", "//Alice")
    assert substrate.query("Market", "Deployments", [dep_id]).value["escrow"] > 2 * TAO
    out = run_cli(capsys, "market", "lease", "close", str(dear), "--url", url, "--key", "//Alice")
    assert "TenantClosed" in out and "Finished" in out
    assert substrate.query("Market", "Deployments", [dep_id]).value is None
    # the order closed with its lease: the late auction task, when its block comes, does nothing
    auction_at = created_at + BIDDING_WINDOW
    wait_for(lambda: substrate.get_block_header()["header"]["number"] >= auction_at, BIDDING_WINDOW * 3 + 30,
             "the auction block")
    assert substrate.query("Market", "Orders", [order_id], block_hash=substrate.get_block_hash(auction_at)).value is None
    assert not [e for m, e, a in market_events(substrate, auction_at)
                if m == "Market" and (e == "LeaseCreated" or isinstance(a, dict) and a.get("order") == order_id)]


def test_bot_survives_a_node_restart(tmp_path):
    node = NodeProcess(tmp_path / "chain").start()
    b = Bots(node.url, tmp_path)
    try:
        b.start("bob")
        s = SubstrateInterface(url=node.url)
        wait_for(lambda: s.query("Market", "Providers", [BOB.ss58_address]).value, 60, "Bob to register")
        s.close()
        node.stop()
        wait_for(lambda: "connection to" in b.log("bob"), 60, "the bot to notice the lost connection")
        node.start()
        s = SubstrateInterface(url=node.url)
        dep_file = tmp_path / "deployment.yaml"
        dep_file.write_text(DEPLOYMENT)
        receipt = s.submit_extrinsic(s.create_signed_extrinsic(call=s.compose_call("Market", "create_deployment", {
            "groups": [{"name": "inference", "requirements": [{"key": "region", "value": "eu-west"}],
                        "resources": [{"cpu_millis": 2000, "memory_bytes": 4 << 30, "storage_bytes": 10 << 30,
                                       "gpu": {"units": 1, "vendor": "nvidia", "model": "*"}, "replicas": 1}],
                        "max_price": 10**8}],
            "deposit": TAO, "version": "0x" + "00" * 32}), keypair=ALICE), wait_for_inclusion=True)
        assert receipt.is_success, receipt.error_message
        order_id = [e.value["attributes"]["order"] for e in receipt.triggered_events
                    if e.value["event_id"] == "OrderCreated"][0]
        wait_for(lambda: s.query("Market", "OrderBids", [order_id]).value, 60, "Bob's bid after the restart")
        s.close()
        log = b.log("bob")
        assert "connection to" in log and "reconnected" in log
    finally:
        b.stop()
        node.stop()
