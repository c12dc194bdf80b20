"""A tenant's service really runs on the provider that won its lease (real node, real daemon, real CLI).

The tenant creates a deployment whose file carries a service; the provider daemon (`agora provider
run`, a subprocess serving its endpoint at its host_uri) wins the auction; the tenant sends the signed
manifest with `agora market lease send-manifest`, reads the endpoint with `lease status`, and fetches
from the service; a manifest signed by someone else is refused and runs nothing; closing the lease
stops the service's process.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tools import cli
from tests.integration.nodeproc import REPO
from tests.integration.test_market_e2e import run_cli, sudo, wait_for
from tools.workload.manifest import envelope

ALICE, BOB = Keypair.create_from_uri("//Alice"), Keypair.create_from_uri("//Bob")
BIDDING_WINDOW = 6

DEPLOYMENT = """deposit: 1TAO
groups:
  web:
    max_price: 100000000
    resources: [{cpu: 1, memory: 512Mi, storage: 1Gi, replicas: 1}]
services:
  web:
    command: [python3, -c, "import http.server, os; http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])),
              type('H', (http.server.BaseHTTPRequestHandler,), {'do_GET': lambda s: (s.send_response(200),
              s.end_headers(), s.wfile.write(os.environ['GREETING'].encode()))})).serve_forever()"]
    env: {GREETING: hello from lease}
    expose: [8080]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def substrate(dev_node):
    s = SubstrateInterface(url=dev_node.url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def provider(dev_node, substrate, tmp_path_factory):
    params = substrate.query("Market", "Params").value
    sudo(substrate, substrate.compose_call("Market", "set_params", {"params": {**params,
                                                                              "bidding_window": BIDDING_WINDOW}}))
    directory = tmp_path_factory.mktemp("provider")
    port = _free_port()
    pricing = directory / "bob.yaml"
    pricing.write_text(f"host_uri: http://127.0.0.1:{port}\nattributes: {{region: local}}\n"
                       "pricing: {cpu_per_core: 1000000, memory_per_gib: 100000}\n")
    log_path = directory / "bob.log"
    proc = subprocess.Popen([sys.executable, "-m", "tools", "provider", "run", "--url", dev_node.url, "--key", "//Bob",
                             "--pricing", str(pricing), "--interval", "0.4"], cwd=REPO,
                            stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
    try:
        wait_for(lambda: substrate.query("Market", "Providers", [BOB.ss58_address]).value, 90, "the provider")
        wait_for(lambda: "provider endpoint on" in log_path.read_text(errors="replace"), 30, "the endpoint")
        yield proc, log_path, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read()


def test_the_tenant_reaches_its_service_and_closing_the_lease_stops_it(dev_node, substrate, provider, tmp_path,
                                                                         capsys):
    proc, log_path, host_uri = provider
    url = dev_node.url
    dep_file, lease_id = _leased(substrate, url, tmp_path, capsys, log_path)

    # someone else's signature: the CLI will not send it, and the daemon refuses it when sent anyway
    capsys.readouterr()
    assert cli.main(["market", "lease", "send-manifest", str(lease_id), str(dep_file), "--url", url,
                     "--key", "//Charlie"]) == 1
    assert "not the deployment's owner" in capsys.readouterr().err
    forged = envelope(Keypair.create_from_uri("//Charlie"), lease_id, dep_file.read_bytes())
    request = urllib.request.Request(f"{host_uri}/leases/{lease_id}/manifest", data=json.dumps(forged).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403 and b"not signed by the deployment's owner" in refused.value.read()
    wait_for(lambda: "lease" in log_path.read_text(errors="replace"), 10, "the bot's lease table")
    out = run_cli(capsys, "market", "lease", "status", str(lease_id), "--url", url)
    assert "awaiting manifest" in out

    service_uri = _serving(url, lease_id, dep_file, capsys)
    out = run_cli(capsys, "market", "lease", "show", str(lease_id), "--url", url)
    assert BOB.ss58_address in out and "provider endpoint" in out

    # a withdrawal in the very block the scheduler settled the lease finds nothing due: the next block pays
    for _ in range(3):
        out = run_cli(capsys, "market", "lease", "withdraw", str(lease_id), "--url", url, "--key", "//Bob")
        if "nothing due yet" not in out:
            break
        now = substrate.get_block_header()["header"]["number"]
        wait_for(lambda: substrate.get_block_header()["header"]["number"] > now, 30, "the next block")
    assert "paid" in out and BOB.ss58_address in out
    out = run_cli(capsys, "market", "withdraw", str(lease_id), "--url", url, "--key", "//Bob")
    assert f"lease {lease_id}" in out and BOB.ss58_address in out

    run_cli(capsys, "market", "lease", "close", str(lease_id), "--url", url, "--key", "//Alice")
    wait_for(lambda: "service was stopped" in log_path.read_text(errors="replace"), 30, "the service to stop")
    with pytest.raises(OSError):
        _get(service_uri + "/")
    assert proc.poll() is None                      # the daemon lives on
    # the closed lease left the state; its history is in the events
    assert substrate.query("Market", "Leases", [lease_id]).value is None
    out = run_cli(capsys, "market", "lease", "history", "--url", url)
    (row,) = [line for line in out.splitlines() if line.split("│")[1:2] and line.split("│")[1].strip() == str(lease_id)]
    assert "Closed" in row or "closed" in row.lower(), row


def _leased(substrate, url: str, tmp_path, capsys, log_path) -> tuple:
    """A deployment of DEPLOYMENT by Alice, and the lease Bob's daemon wins for it."""
    dep_file = tmp_path / "deployment.yaml"
    dep_file.write_text(DEPLOYMENT)
    run_cli(capsys, "market", "deploy", "create", str(dep_file), "--url", url, "--key", "//Alice")
    dep_id = max(k.value for k, _ in substrate.query_map("Market", "Deployments"))
    (order_id,) = substrate.query("Market", "Deployments", [dep_id]).value["orders"]
    lease_id = wait_for(lambda: substrate.query("Market", "Orders", [order_id]).value["lease"],
                        BIDDING_WINDOW * 3 + 60, f"the auction (provider log: {log_path})")
    assert substrate.query("Market", "Leases", [lease_id]).value["provider"] == BOB.ss58_address
    return dep_file, lease_id


def _serving(url: str, lease_id: int, dep_file, capsys) -> str:
    """Send the lease's manifest as its owner; the service's URI once it answers."""
    out = run_cli(capsys, "market", "lease", "send-manifest", str(lease_id), str(dep_file), "--url", url,
                  "--key", "//Alice")
    assert "running at http://127.0.0.1:" in out
    out = run_cli(capsys, "market", "lease", "status", str(lease_id), "--url", url)
    service_uri = next(line.split()[-1] for line in out.splitlines() if "endpoint:" in line)
    assert "running" in out and service_uri.startswith("http://127.0.0.1:")
    answer = wait_for(lambda: _try(lambda: _get(service_uri + "/")), 20, "the service to answer")
    assert answer == b"hello from lease"
    return service_uri


def test_market_tools_without_the_daemon(dev_node, substrate, tmp_path, capsys):
    url = dev_node.url
    pricing = tmp_path / "ferdie.yaml"
    pricing.write_text("host_uri: http://127.0.0.1:9\nattributes: {region: moon}\npricing: {cpu_per_core: 1}\n")
    ferdie = Keypair.create_from_uri("//Ferdie")
    capsys.readouterr()
    assert cli.main(["market", "deploy", "close", "999", "--url", url]) == 1
    assert "give --key" in capsys.readouterr().err            # nothing signs as //Alice by default

    out = run_cli(capsys, "provider", "register", "--pricing", str(pricing), "--url", url, "--key", "//Ferdie")
    assert f"provider {ferdie.ss58_address} registered" in out
    assert substrate.query("Market", "Providers", [ferdie.ss58_address]).value["attributes"] == \
        [{"key": "region", "value": "moon"}]
    pricing.write_text("host_uri: http://127.0.0.1:10\nattributes: {region: mars}\npricing: {cpu_per_core: 1}\n")
    run_cli(capsys, "provider", "update", "--pricing", str(pricing), "--url", url, "--key", "//Ferdie")
    assert substrate.query("Market", "Providers", [ferdie.ss58_address]).value["attributes"] == \
        [{"key": "region", "value": "mars"}]

    # a bid by hand on a fresh order, closed with the CLI: the deposit comes back
    dep_file = tmp_path / "dep.yaml"
    dep_file.write_text("deposit: 1TAO\ngroups:\n  g:\n    max_price: 1000000000\n"
                        "    resources: [{cpu: 1, memory: 1Gi, storage: 1Gi, replicas: 1}]\n")
    run_cli(capsys, "market", "deploy", "create", str(dep_file), "--url", url, "--key", "//Alice")
    dep_id = max(k.value for k, _ in substrate.query_map("Market", "Deployments"))
    (order_id,) = substrate.query("Market", "Deployments", [dep_id]).value["orders"]
    deposit = substrate.query("Market", "Params").value["bid_min_deposit"]
    call = substrate.compose_call("Market", "create_bid", {"order": order_id, "price": 1000, "deposit": deposit})
    receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=call, keypair=ferdie),
                                         wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message
    (bid_id,) = [e.value["attributes"]["bid"] for e in receipt.triggered_events if e.value["event_id"] == "BidCreated"]
    reserved = substrate.query("System", "Account", [ferdie.ss58_address]).value["data"]["reserved"]
    out = run_cli(capsys, "market", "bid", "close", str(bid_id), "--url", url, "--key", "//Ferdie")
    assert f"bid {bid_id} closed" in out
    assert substrate.query("System", "Account", [ferdie.ss58_address]).value["data"]["reserved"] == reserved - deposit

    out = run_cli(capsys, "provider", "deregister", "--url", url, "--key", "//Ferdie")
    assert "deregistered" in out
    assert substrate.query("Market", "Providers", [ferdie.ss58_address]).value is None
    run_cli(capsys, "market", "deploy", "close", str(dep_id), "--url", url, "--key", "//Alice")


def test_stopping_the_daemon_stops_its_services(dev_node, substrate, provider, tmp_path, capsys):
    """SIGTERM (docker stop, systemd) shuts the daemon down as Ctrl-C does: the services of its
    leases are stopped, not left running unsupervised in their own sessions. Last in this file:
    it ends the module's daemon."""
    proc, log_path, _host_uri = provider
    dep_file, lease_id = _leased(substrate, dev_node.url, tmp_path, capsys, log_path)
    service_uri = _serving(dev_node.url, lease_id, dep_file, capsys)
    proc.terminate()
    assert proc.wait(15) == 0
    assert "Shutting down" in log_path.read_text(errors="replace")
    with pytest.raises(OSError):
        _get(service_uri + "/")


def _try(fn):
    try:
        return fn()
    except OSError:
        time.sleep(0.2)
        return None
