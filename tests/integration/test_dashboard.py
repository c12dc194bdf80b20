"""`agora dashboard` in Debian's headless chromium, against a two-node devnet with a live subnet.

The dev authority and a full node following it; the test registers a subnet and neurons with
substrate-interface, stakes a validator, lets two epochs pay out and opens a deployment, then serves
the dashboard (`python -m tools dashboard`) and drives chromium with puppeteer-core
(tests/integration/dashboard/dashboard_driver.mjs; `make clients` installs it and bundles
@polkadot/api). The page must show both nodes' best blocks advancing, and a metagraph and market
whose every value equals the chain's at the block the page read them; the screenshot lands in tmp_path.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tools.cli import main as agora
from tools.subtensor_cli import submit
from p2p import keypair_from_hex, peer_id_of
from primitives.hashing import blake2_256
from tests.integration.nodeproc import REPO, NodeProcess, free_port, rpc
from tools.dashboard.server import BUNDLE, NodeListError, parse_nodes

DRIVER_DIR = REPO / "tests" / "integration" / "dashboard"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TAO = 10**9
NETUID = 1
BOB, CHARLIE, DAVE = (Keypair.create_from_uri(f"//{name}") for name in ("Bob", "Charlie", "Dave"))
HOT = {name: Keypair.create_from_uri(f"//{name}//stash") for name in ("Alice", "Bob", "Dave")}
DEPLOYMENT_GROUP = {"name": "inference", "requirements": [{"key": "region", "value": "eu-west"}],
                    "resources": [{"cpu_millis": 2000, "memory_bytes": 4 << 30, "storage_bytes": 10 << 30,
                                   "gpu": {"units": 1, "vendor": "nvidia", "model": "*"}, "replicas": 1}],
                    "max_price": 10**8}


def q(substrate, item, params, block_hash=None):
    return substrate.query("SubtensorModule", item, params, block_hash=block_hash).value


def ok(receipt):
    assert receipt.is_success, receipt.error_message
    return receipt


def wait_for_epoch(substrate, timeout: float = 120.0) -> None:
    start = q(substrate, "LastEpochBlock", [NETUID])
    deadline = time.monotonic() + timeout
    while q(substrate, "LastEpochBlock", [NETUID]) == start:
        if time.monotonic() > deadline:
            raise TimeoutError("no epoch")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def live_subnet(tmp_path_factory):
    missing = [what for what, there in (
        ("chromium (apt-get install chromium fonts-dejavu-core)", os.path.exists(CHROMIUM)),
        ("node (Node.js)", shutil.which("node") is not None),
        ("puppeteer-core: run `make clients`", (DRIVER_DIR / "node_modules" / "puppeteer-core").is_dir()),
        ("the dashboard bundle: run `make dashboard`", BUNDLE.exists())) if not there]
    if missing:
        pytest.fail("missing: " + "; ".join(missing), pytrace=False)
    base = tmp_path_factory.mktemp("dashboard-devnet")
    node_key, p2p_port = blake2_256(b"dashboard-test/author").hex(), free_port()
    node = NodeProcess(base / "author", "--node-key", node_key, "--listen-addr", f"/ip4/127.0.0.1/tcp/{p2p_port}",
                       block_time_ms=500).start()
    bootnode = f"/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{peer_id_of(keypair_from_hex(node_key))}"
    follower = None
    substrate = SubstrateInterface(url=node.url)
    try:
        # a two-node devnet: a full node follows the dev authority (the dashboard shows both)
        follower = NodeProcess(base / "follower", "--chain", "dev", "--bootnodes", bootnode, block_time_ms=500,
                               dev=False).start()
        assert agora(["subnet", "register", "--url", node.url, "--suri", "//Alice", "--hotkey", "//Alice//stash"]) == 0
        for name, cold in (("Bob", BOB), ("Dave", DAVE)):
            ok(submit(substrate, cold, "burned_register", {"netuid": NETUID, "hotkey": HOT[name].ss58_address}))
        ok(submit(substrate, BOB, "add_stake",
                  {"hotkey": HOT["Bob"].ss58_address, "netuid": NETUID, "amount_staked": 1000 * TAO}))
        wait_for_epoch(substrate)                                 # Bob's validator permit
        dave = q(substrate, "Uids", [NETUID, HOT["Dave"].ss58_address])
        ok(submit(substrate, HOT["Bob"], "set_weights",
                  {"netuid": NETUID, "dests": [dave], "weights": [1], "version_key": 0}))
        wait_for_epoch(substrate)                                 # incentive, dividends, emission
        ok(substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=substrate.compose_call(
            "Market", "create_deployment", {"groups": [DEPLOYMENT_GROUP], "deposit": 3 * TAO, "version": "0x" + "00" * 32}),
            keypair=CHARLIE), wait_for_inclusion=True))          # escrow and an open order for the market panel
        yield node, follower, substrate
    finally:
        substrate.close()
        if follower is not None:
            follower.stop()
        node.stop()


@pytest.fixture(scope="module")
def dashboard(live_subnet):
    node, follower, _ = live_subnet
    port = free_port()
    dead = f"ws://127.0.0.1:{free_port()}"                       # a node that is down: its own row says so
    proc = subprocess.Popen([sys.executable, "-m", "tools", "dashboard", "--port", str(port),
                             "--nodes", f"{node.url},{follower.url},{dead}"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        banner = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in banner, banner + (proc.stdout.read() if proc.poll() is not None else "")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def page(dashboard, tmp_path_factory):
    shot = tmp_path_factory.mktemp("dashboard-shot") / "dashboard.png"
    proc = subprocess.run(["node", "dashboard_driver.mjs", dashboard, str(shot), str(NETUID), "3"],
                          cwd=DRIVER_DIR, capture_output=True, text=True, timeout=240)
    lines = proc.stdout.strip().splitlines()
    facts = json.loads(lines[-1]) if lines else {}
    assert proc.returncode == 0 and "error" not in facts, (
        f"driver exited {proc.returncode}: {facts.get('error')}\nconsole: {facts.get('console')}\n"
        f"stderr:\n{proc.stderr[-3000:]}")
    facts["screenshot"] = shot
    return facts


def test_page_shows_the_live_best_block_advancing(page, live_subnet):
    node, follower, _ = live_subnet
    before, after = page["best"]
    assert 0 < before < after <= node.best_number()
    live, following, dead = page["nodes"]
    assert live["url"] == node.url and 0 < int(live["finalized"]) <= int(live["best"])
    assert following["url"] == follower.url and 0 < int(following["best"]) <= follower.best_number()
    assert int(live["peers"]) >= 1 and int(following["peers"]) >= 1
    assert dead["best"] == "" and "disconnected" in dead["text"]
    assert any("timestamp.set" in row for row in page["blocks"])   # recent blocks list their extrinsics
    assert page["status"].startswith("live")


def test_metagraph_table_equals_chain_state(page, live_subnet):
    _, _, substrate = live_subnet
    block = page["blockHash"]
    n = q(substrate, "SubnetworkN", [NETUID], block)
    assert n == 3 and [int(row["uid"]) for row in page["rows"]] == list(range(n))
    incentive, dividends, emission = (q(substrate, item, [NETUID], block) for item in ("Incentive", "Dividends", "Emission"))
    for row in page["rows"]:
        uid = int(row["uid"])
        hotkey = q(substrate, "Keys", [NETUID, uid], block)
        assert row["hotkey"] == hotkey
        assert int(row["stake"]) == q(substrate, "TotalHotkeyAlpha", [hotkey, NETUID], block)
        assert int(row["incentive"]) == incentive[uid]
        assert int(row["dividends"]) == dividends[uid]
        assert int(row["emission"]) == emission[uid]
        assert row["cells"][0] == str(uid)
    # after the weighted epoch the values are not all zero: the miner earns incentive, the validator dividends
    by_hotkey = {row["hotkey"]: row for row in page["rows"]}
    assert int(by_hotkey[HOT["Dave"].ss58_address]["incentive"]) > 0
    assert int(by_hotkey[HOT["Bob"].ss58_address]["dividends"]) > 0
    assert page["bars"] == 4 * n                                  # stake, incentive, dividends, emission per UID


def test_subnet_header_reads_the_runtime_api(page, live_subnet):
    node, _, _ = live_subnet
    answer = rpc(node.rpc_port, "state_call", ["SubnetInfoRuntimeApi_get_next_epoch_start_block",
                                               "0x" + NETUID.to_bytes(2, "little").hex(), page["blockHash"]])["result"]
    raw = bytes.fromhex(answer[2:])
    assert raw[0] == 1 and page["nextEpoch"] == str(int.from_bytes(raw[1:9], "little"))   # Some(u64)


def test_market_panel_equals_chain_state(page, live_subnet):
    _, _, substrate = live_subnet
    deployments = list(substrate.query_map("Market", "Deployments", block_hash=page["blockHash"]))
    orders = list(substrate.query_map("Market", "Orders", block_hash=page["blockHash"]))
    assert len(deployments) == 1 and int(page["escrow"]) == deployments[0][1].value["escrow"] > 0
    assert page["marketCounts"] == {"Deployments": 1, "Orders": len(orders), "Bids": 0, "Leases": 0}


def test_page_loads_nothing_from_outside_and_the_screenshot_is_written(page, dashboard):
    assert page["requests"] and all(url.startswith(dashboard) for url in page["requests"])
    assert page["console"] == [] or all("127.0.0.1" in line for line in page["console"])
    assert page["screenshot"].stat().st_size > 20_000            # a rendered page, not a blank one


def test_dashboard_command_errors_are_one_line():
    with pytest.raises(NodeListError, match="not a ws"):
        parse_nodes("http://127.0.0.1:9944")
    with pytest.raises(NodeListError, match="at least one"):
        parse_nodes(" , ")
    assert parse_nodes("ws://a:1, wss://b") == ["ws://a:1", "wss://b"]
    proc = subprocess.run([sys.executable, "-m", "tools", "dashboard", "--nodes", "9944"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "not a ws://" in proc.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "tools", "dashboard", "--port", str(port)], cwd=REPO,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0
    assert f"127.0.0.1:{port}" in proc.stderr and "Address already in use" in proc.stderr
