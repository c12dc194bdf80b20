"""Kubernetes manifests and the Helm chart, checked offline: every document against the OpenAPI
schemas of a current Kubernetes release (kubernetes-validate, strict: no unknown fields), and
the invariants that make the network work: one key per validator, bootnodes that are stable
pod DNS names, no secret on a command line. The chart is rendered by Helm's own template engine
(its Go SDK, through helm-python-sdk)."""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml

from tools import devnet as dn
from tools.deploy import k8s

REPO = pathlib.Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "agora-node"
K8S_VERSION = kubernetes_validate.latest_version()
SIZES = (1, 4, 16)


def _validate(docs: list[dict]) -> None:
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)   # raises ValidationError


def _secret_values(devnet: dict, n: int) -> list[str]:
    ext = k8s.extend(devnet, n)
    return [v["node_key"] for v in ext["validators"][:n]] + [v["key"] for v in ext["validators"][:n]]


def _check_network(docs: list[dict], n: int, devnet: dict, set_name: str, namespace: str) -> None:
    by_kind: dict[str, list[dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    validators = next(s for s in by_kind["StatefulSet"] if s["metadata"]["name"] == set_name)
    assert validators["spec"]["replicas"] == n
    assert validators["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "chain-data"
    pod = validators["spec"]["template"]
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    node = pod["spec"]["containers"][0]
    assert node["livenessProbe"]["httpGet"]["path"] == "/health"
    assert node["readinessProbe"]["httpGet"]["path"] == "/health/readiness"
    assert node["resources"]["requests"]["cpu"] and node["resources"]["requests"]["memory"]
    headless = next(s for s in by_kind["Service"] if s["metadata"]["name"] == validators["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    # keys: exactly one node key and one aura key per pod, each the validator's own
    (secret,) = [s for s in by_kind["Secret"]]
    entries = secret["stringData"]
    ext = k8s.extend(devnet, n)
    peer_ids = []
    for i, v in enumerate(ext["validators"][:n]):
        mine = {k.split(".", 1)[1]: val for k, val in entries.items() if k.startswith(f"{set_name}-{i}.")}
        assert mine["node-key"].strip() == v["node_key"]
        aura = [k for k in mine if k.startswith(b"aura".hex())]
        assert len(aura) == 1 and json.loads(mine[aura[0]]) == v["key"]
        from node.keystore import keystore_entry
        assert aura[0] == keystore_entry(v["key"])[0]
        peer_ids.append(dn._peer_id(v["node_key"]))
    assert len(entries) == 2 * n
    # bootnodes: stable pod DNS names of this StatefulSet, with the right peer ids
    for ss in by_kind["StatefulSet"]:
        args = ss["spec"]["template"]["spec"]["containers"][0]["args"]
        boot = args[args.index("--bootnodes") + 1:]
        assert boot, ss["metadata"]["name"]
        for addr in boot:
            m = re.fullmatch(rf"/dns4/{set_name}-(\d+)\.{set_name}\.{namespace}\.svc\.cluster\.local/tcp/30333/p2p/(\w+)",
                             addr)
            assert m, addr
            assert int(m.group(1)) < n and peer_ids[int(m.group(1))] == m.group(2)
    # no secret anywhere on a command line
    secrets = _secret_values(devnet, n)
    for ss in by_kind["StatefulSet"]:
        spec = ss["spec"]["template"]["spec"]
        for c in spec.get("initContainers", []) + spec["containers"]:
            line = " ".join(c.get("command", []) + c.get("args", []))
            assert "--key " not in line + " " and "--node-key " not in line + " "
            assert not any(s in line for s in secrets), c["name"]


@pytest.mark.parametrize("n", SIZES)
def test_manifests_validate_and_hold_the_invariants(n):
    devnet = dn.load()
    docs = k8s.render(devnet, n, namespace="agora")
    _validate(docs)
    _check_network(docs, n, devnet, "agora-validator", "agora")
    spec = json.loads(next(d for d in docs if d["kind"] == "ConfigMap")["data"]["spec.json"])
    assert len(spec["genesis"]["runtimeGenesis"]["config"]["aura"]["authorities"]) == n


def test_a_broken_manifest_is_caught():
    doc = k8s.render(dn.load(), 1)[-1]
    doc["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate([doc])


def test_cli_prints_the_manifests():
    out = subprocess.run([sys.executable, "-m", "tools", "devnet", "k8s", "--validators", "4"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    assert list(yaml.safe_load_all(out)) == k8s.render(dn.load(), 4)


@pytest.mark.parametrize("n", SIZES)
def test_helm_chart_renders_valid_manifests(n):
    helm = pytest.importorskip("helm_python")
    devnet = dn.load()
    chart = helm.Chart.load(str(CHART))
    values = k8s.helm_values(devnet, n)
    rendered = chart.render(values, name="agora", namespace="testnet")
    docs = [d for text in rendered.values() for d in yaml.safe_load_all(text) if d]
    _validate(docs)
    _check_network(docs, n, devnet, "agora-agora-node", "testnet")
    assert {d["kind"] for d in docs} == {"Secret", "ConfigMap", "Service", "StatefulSet"}


def test_helm_full_node_without_keys():
    helm = pytest.importorskip("helm_python")
    chart = helm.Chart.load(str(CHART))
    rendered = chart.render({"node": {"role": "full", "replicas": 2, "peerIds": [],
                                      "extraBootnodes": ["/dns4/boot.example/tcp/30333/p2p/12D3KooWEojhHnh8LYqJ3x9evTDh9p2Mfz2yg24rrkq9VGGzbboy"]}},
                            name="rpc", namespace="n")
    docs = [d for text in rendered.values() for d in yaml.safe_load_all(text) if d]
    _validate(docs)
    assert "Secret" not in {d["kind"] for d in docs}
    args = next(d for d in docs if d["kind"] == "StatefulSet")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--validator" not in args and "--node-key-file" not in args
