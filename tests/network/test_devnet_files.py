"""docker-compose.yml, the Dockerfile and `agora devnet` come from one description
(genesis/devnet.yaml). Docker is not available here, so this checks that they agree."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import yaml

from genesis.spec import SUBSTRATE_SPEC_FIELDS, genesis_storage, slot_duration_ms
from tools import devnet as dn
from tools.deploy import compose
from node import keystore
from node.cli import build_parser
from primitives.keys import Keypair

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_compose_file_is_generated_from_devnet_yaml():
    from tools.deploy.compose import key_files

    assert (REPO / "docker-compose.yml").read_text() == compose.render(dn.load()), \
        "docker-compose.yml is stale: run `agora devnet compose --out docker-compose.yml`"
    for rel, content in key_files(dn.load()).items():
        assert (REPO / rel).read_text() == content, f"{rel} is stale: run `agora devnet compose --out ...`"


def test_compose_topology():
    devnet = dn.load()
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = doc["services"]
    n = devnet["chain"]["validators"]
    validators = [v["name"] for v in devnet["validators"][:n]]
    assert n == 4 and list(services) == validators + ["rpc"]
    parser = build_parser()
    ips = {}
    for name, svc in services.items():
        args = parser.parse_args(svc["command"])
        assert args.command == "node" and args.chain == devnet["docker"]["spec_path"]
        assert str(args.base_path) == "/data" and svc["volumes"] == [f"{name}-data:/data"]
        assert f"{name}-data" in doc["volumes"]
        assert svc["healthcheck"]["test"][:4] == ["CMD", "agora", "devnet", "health"]
        ips[name] = svc["networks"]["devnet"]["ipv4_address"]
        assert args.public_addr == [f"/ip4/{ips[name]}/tcp/{devnet['ports']['p2p']}"]
        entry = next(v for v in devnet["validators"] + devnet["rpc_nodes"] if v["name"] == name)
        # keys come from Docker secrets (files), never from the command line
        assert args.node_key is None and args.key is None and str(args.node_key_file) == "/run/secrets/node-key"
        key_files = {s["target"]: doc["secrets"][s["source"]]["file"] for s in svc["secrets"]}
        assert (REPO / key_files["node-key"]).read_text().strip() == entry["node_key"]
        if name in validators:
            assert args.validator and str(args.keystore_path) == "/run/secrets"
            (aura_file, path), = [(t, f) for t, f in key_files.items() if t != "node-key"]
            assert keystore.authority_key((REPO / path).parent).public_key == Keypair.from_uri(entry["key"]).public_key
            assert aura_file == keystore.keystore_entry(entry["key"])[0]
        else:
            assert not args.validator and args.rpc_external
            assert svc["ports"] == ["${AGORA_RPC_HOST:-127.0.0.1}:${AGORA_RPC_PORT:-9944}:9944"]
        for boot in args.bootnodes:       # bootnodes: the first validators, by static IP and peer id
            ip = boot.split("/")[2]
            target = next(k for k, v in ips.items() if v == ip) if ip in ips.values() else None
            peer = boot.rsplit("/", 1)[1]
            assert peer != dn._peer_id(entry["node_key"])
            owner = next(v for v in devnet["validators"] if dn._peer_id(v["node_key"]) == peer)
            assert owner["name"] in validators[:devnet["bootnodes"]]
            assert target in (None, owner["name"])
    assert len(set(ips.values())) == len(ips)
    assert "name" not in doc       # docker-compose 1.29 rejects a top-level name
    assert doc["networks"]["devnet"]["ipam"]["config"][0]["subnet"] == devnet["docker"]["subnet"]


def test_dockerfile_bakes_the_same_spec():
    text = (REPO / "Dockerfile").read_text()
    devnet = dn.load()
    assert f"agora devnet spec --out {devnet['docker']['spec_path']}" in text
    assert 'ENTRYPOINT ["agora"]' in text


def test_processes_and_containers_run_the_same_nodes(tmp_path):
    devnet = dn.load()
    procs = dn.plan(devnet, None, tmp_path)
    doc = yaml.safe_load(compose.render(devnet))
    parser = build_parser()
    assert [p.name for p in procs] == list(doc["services"])
    for p in procs:
        local = parser.parse_args(dn.node_args(p, "spec.json", dn.bootnodes(devnet, procs)))
        container = parser.parse_args(doc["services"][p.name]["command"])
        for field in ("name", "validator"):
            assert getattr(local, field) == getattr(container, field), field
        files = {s["target"]: (REPO / doc["secrets"][s["source"]]["file"]).read_text()
                 for s in doc["services"][p.name]["secrets"]}
        assert files["node-key"].strip() == local.node_key
        if p.validator:
            assert any(keystore.keystore_entry(local.key) == (t, c) for t, c in files.items())
        assert [b.rsplit("/", 1)[1] for b in local.bootnodes] == [b.rsplit("/", 1)[1] for b in container.bootnodes]


def test_devnet_chain_spec(tmp_path):
    devnet = dn.load()
    spec = dn.chain_spec(devnet, 4)
    auths = spec["genesis"]["runtimeGenesis"]["config"]["aura"]["authorities"]
    assert auths == [Keypair.from_uri(v["key"]).ss58_address for v in devnet["validators"][:4]]
    assert slot_duration_ms(spec) == devnet["chain"]["slot_ms"] and spec["id"] == devnet["chain"]["id"]
    assert set(spec) <= SUBSTRATE_SPEC_FIELDS
    assert genesis_storage(spec) == genesis_storage(json.loads(json.dumps(spec)))   # deterministic
    out = subprocess.run([sys.executable, "-m", "tools", "devnet", "spec", "--validators", "4"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == json.loads(json.dumps(spec))
    # Every node derives its genesis from that file in its own process: the storage must not depend on
    # anything process-local (hash seed, set or dict order). Two processes with different hash seeds agree
    # with each other and with this one, key for key.
    spec_file = tmp_path / "devnet.json"
    spec_file.write_text(out)
    storage = genesis_storage(spec)
    assert storage and len(storage) > 20
    for seed in ("1", "2"):
        raw = subprocess.run([sys.executable, "-m", "tools", "build-spec", "--chain", str(spec_file), "--raw"],
                             cwd=REPO, capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        assert genesis_storage(json.loads(raw)) == storage, f"genesis differs with PYTHONHASHSEED={seed}"


def test_health_command_fails_without_a_node():
    port = dn.free_port()
    r = subprocess.run([sys.executable, "-m", "tools", "devnet", "health", "--rpc-port", str(port)], cwd=REPO,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "unhealthy" in r.stderr
