"""The Swarm stack and compose renderers, offline (tests/docker runs both on a real engine)."""
from __future__ import annotations

import subprocess
import sys

import yaml

from tools import devnet as dn
from node.cli import build_parser
from tools.deploy import compose, stack, topology


def test_stack_has_deploy_sections_secrets_and_dns_bootnodes():
    devnet = dn.load()
    doc = yaml.safe_load(stack.render(devnet))
    assert doc["version"] == "3.8" and "name" not in doc
    assert doc["networks"]["devnet"]["driver"] == "overlay"
    nodes = topology.nodes(devnet)
    assert list(doc["services"]) == [n.name for n in nodes]
    secrets_on_disk = {v["node_key"] for v in devnet["validators"]} | {v["key"] for v in devnet["validators"]}
    parser = build_parser()
    for node in nodes:
        svc = doc["services"][node.name]
        deploy = svc["deploy"]
        assert deploy["replicas"] == 1 and deploy["restart_policy"]["condition"] == "any"
        assert deploy["placement"]["constraints"] == [f"node.labels.{stack.PLACEMENT_LABEL} == true"]
        assert svc["volumes"] == [f"{node.name}-data:/data"] and f"{node.name}-data" in doc["volumes"]
        assert not any(s in " ".join(svc["command"]) for s in secrets_on_disk)
        targets = {s["target"] for s in svc["secrets"]}
        assert targets == set(node.key_files())
        args = parser.parse_args(svc["command"])
        for boot in args.bootnodes:
            host = boot.split("/")[2]
            assert boot.startswith("/dns4/") and host in doc["services"] and host != node.name
        if node.validator:
            assert args.validator and str(args.keystore_path) == topology.KEYS_DIR
        else:
            assert svc["ports"][0]["target"] == 9944 and svc["ports"][0]["mode"] == "host"


def test_stack_cli_writes_key_files(tmp_path):
    out = tmp_path / "stack.yml"
    subprocess.run([sys.executable, "-m", "tools", "devnet", "stack", "--out", str(out)], check=True,
                   capture_output=True)
    doc = yaml.safe_load(out.read_text())
    for name, secret in doc["secrets"].items():
        assert (tmp_path / secret["file"]).is_file(), name
    alice = next(v for v in dn.load()["validators"] if v["name"] == "alice")
    assert (tmp_path / "keys" / "alice" / "node-key").read_text().strip() == alice["node_key"]


def test_compose_publishes_rpc_on_loopback_by_default():
    doc = yaml.safe_load(compose.render(dn.load()))
    (port,) = doc["services"]["rpc"]["ports"]
    assert port.startswith("${AGORA_RPC_HOST:-127.0.0.1}:")
    assert all("ports" not in svc for name, svc in doc["services"].items() if name != "rpc")
