"""The devnet as Kubernetes manifests (`kubectl apply -f`), shaped like Parity's `node` chart.

* a StatefulSet ``agora-validator`` (pods ``agora-validator-0`` ...), a PVC each for the chain;
* a headless Service of the same name, so every pod has a stable DNS name that the bootnode
  addresses use (``/dns4/agora-validator-0.agora-validator.<ns>.svc.cluster.local/...``);
* each pod's keys from one Secret: an init container copies the pod's own entries into an
  in-memory volume at /run/secrets (``node-key`` and its keystore file), so no key is ever an
  argument; the full node keeps the node key it generates on its volume;
* a full node ``agora-rpc`` behind a Service for RPC; the chain spec from a ConfigMap;
* probes: liveness ``/health`` (the node answers), readiness ``/health/readiness`` (it has peers
  and is not syncing); Prometheus scrape annotations; resource requests.
"""
from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import yaml

from tools import devnet as dn
from tools.deploy import topology as tp

APP = "agora"
SECRET = "agora-validator-keys"
KEYS_ALL = "/keys-all"
SPEC_DIR = "/chain"
DEFAULT_RESOURCES = {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}}


def extend(devnet: dict, validators: int) -> dict:
    """``devnet`` with validators up to ``validators``: the extra ones use the local testnet's
    well-known keys (//Validator6 ...) and node keys derived from their names."""
    devnet = copy.deepcopy(devnet)
    for i in range(len(devnet["validators"]), validators):
        name = f"validator{i}"
        devnet["validators"].append({"name": name, "key": f"//Validator{i}",
                                     "node_key": hashlib.blake2b(f"agora-devnet/{name}".encode(),
                                                                 digest_size=32).hexdigest()})
    return devnet


def pod_dns(ordinal: int, namespace: str, set_name: str = "agora-validator") -> str:
    return f"{set_name}-{ordinal}.{set_name}.{namespace}.svc.cluster.local"


def _labels(component: str) -> dict:
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": component}


def _container(image: str, args: list[str], ports: dict, resources: dict) -> dict:
    return {
        "name": "node",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "ports": [{"name": "p2p", "containerPort": ports["p2p"]},
                  {"name": "rpc", "containerPort": ports["rpc"]},
                  {"name": "prometheus", "containerPort": ports["prometheus"]}],
        "livenessProbe": {"httpGet": {"path": "/health", "port": "rpc"}, "initialDelaySeconds": 20,
                          "periodSeconds": 10, "failureThreshold": 6},
        "readinessProbe": {"httpGet": {"path": "/health/readiness", "port": "rpc"}, "initialDelaySeconds": 10,
                           "periodSeconds": 10},
        "resources": resources,
        "volumeMounts": [{"name": "chain-data", "mountPath": tp.DATA_DIR},
                         {"name": "chainspec", "mountPath": SPEC_DIR, "readOnly": True}],
    }


def _statefulset(name: str, component: str, replicas: int, container: dict, volumes: list, storage: str,
                 init: list | None = None) -> dict:
    spec: dict[str, Any] = {
        "securityContext": {"runAsUser": 1000, "runAsGroup": 999, "fsGroup": 999},
        "containers": [container],
        "volumes": volumes,
    }
    if init:
        spec["initContainers"] = init
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "labels": _labels(component)},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": _labels(component)},
            "template": {
                "metadata": {"labels": _labels(component),
                             "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9615",
                                             "prometheus.io/path": "/metrics"}},
                "spec": spec,
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "chain-data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}},
            }],
        },
    }


INIT_SCRIPT = (f'for f in {KEYS_ALL}/"$POD_NAME".*; do cp "$f" "{tp.KEYS_DIR}/${{f##*/$POD_NAME.}}"; done; '
               f'test -s {tp.KEYS_DIR}/{tp.NODE_KEY_FILE}')


def render(devnet: dict, validators: int | None = None, *, image: str | None = None, namespace: str = "agora",
           storage: str = "10Gi", resources: dict | None = None) -> list[dict]:
    """Every manifest, in the order `kubectl apply` wants them."""
    n = devnet["chain"]["validators"] if validators is None else validators
    devnet = extend(devnet, n)
    image = image or devnet["docker"]["image"]
    ports = devnet["ports"]
    resources = resources or DEFAULT_RESOURCES
    nodes = [node for node in tp.nodes(devnet, n) if node.validator]
    boot = [f"/dns4/{pod_dns(i, namespace)}/tcp/{ports['p2p']}/p2p/{node.peer_id}"
            for i, node in enumerate(nodes[:devnet.get("bootnodes", 2)])]
    spec_path = f"{SPEC_DIR}/spec.json"
    docs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "agora-chainspec", "namespace": namespace, "labels": _labels("chainspec")},
                 "data": {"spec.json": json.dumps(dn.chain_spec(devnet, n), indent=1)}})
    secret: dict[str, str] = {}
    for i, node in enumerate(nodes):
        for file_name, content in node.key_files().items():
            secret[f"agora-validator-{i}.{file_name}"] = content
    docs.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                 "metadata": {"name": SECRET, "namespace": namespace, "labels": _labels("validator")},
                 "stringData": secret})
    args = ["node", "--chain", spec_path, "--base-path", tp.DATA_DIR, "--name", "$(POD_NAME)",
            "--node-key-file", f"{tp.KEYS_DIR}/{tp.NODE_KEY_FILE}", "--validator", "--keystore-path", tp.KEYS_DIR,
            "--listen-addr", f"/ip4/0.0.0.0/tcp/{ports['p2p']}",
            "--public-addr", f"/dns4/$(POD_NAME).agora-validator.{namespace}.svc.cluster.local/tcp/{ports['p2p']}",
            "--rpc-port", str(ports["rpc"]), "--rpc-external", "--prometheus-port", str(ports["prometheus"]),
            "--prometheus-external", "--bootnodes", *boot]
    pod_env = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    validator = _container(image, args, ports, resources)
    validator["env"] = pod_env
    validator["volumeMounts"].append({"name": "keys", "mountPath": tp.KEYS_DIR, "readOnly": True})
    init = [{"name": "keys", "image": image, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", INIT_SCRIPT],
             "env": pod_env, "volumeMounts": [{"name": "keys-all", "mountPath": KEYS_ALL, "readOnly": True},
                                              {"name": "keys", "mountPath": tp.KEYS_DIR}]}]
    volumes = [{"name": "chainspec", "configMap": {"name": "agora-chainspec"}},
               {"name": "keys-all", "secret": {"secretName": SECRET, "defaultMode": 0o440}},
               {"name": "keys", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}]
    sts = _statefulset("agora-validator", "validator", n, validator, volumes, storage, init)
    sts["metadata"]["namespace"] = namespace
    docs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "agora-validator", "namespace": namespace, "labels": _labels("validator")},
                 "spec": {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": _labels("validator"),
                          "ports": [{"name": "p2p", "port": ports["p2p"], "targetPort": "p2p"}]}})
    docs.append(sts)
    rpc_args = ["node", "--chain", spec_path, "--base-path", tp.DATA_DIR, "--name", "$(POD_NAME)",
                "--listen-addr", f"/ip4/0.0.0.0/tcp/{ports['p2p']}", "--rpc-port", str(ports["rpc"]),
                "--rpc-external", "--rpc-cors", "all", "--prometheus-port", str(ports["prometheus"]),
                "--prometheus-external", "--bootnodes", *boot]
    rpc = _container(image, rpc_args, ports, resources)
    rpc["env"] = pod_env
    rpc_sts = _statefulset("agora-rpc", "rpc", 1, rpc, [volumes[0]], storage)
    rpc_sts["metadata"]["namespace"] = namespace
    docs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "agora-rpc", "namespace": namespace, "labels": _labels("rpc")},
                 "spec": {"selector": _labels("rpc"),
                          "ports": [{"name": "rpc", "port": ports["rpc"], "targetPort": "rpc"}]}})
    docs.append(rpc_sts)
    return docs


def dump(docs: list[dict]) -> str:
    header = ("# GENERATED from genesis/devnet.yaml by `agora devnet k8s`. kubectl apply -f this file.\n"
              "# The keys are the devnet's public well-known keys: never use them outside a devnet.\n")
    return header + yaml.safe_dump_all(docs, sort_keys=False, width=1000, default_flow_style=False)


def helm_values(devnet: dict, validators: int | None = None, *, image: str | None = None) -> dict:
    """Values for deploy/helm/agora-node that give the same network as ``render``."""
    n = devnet["chain"]["validators"] if validators is None else validators
    devnet = extend(devnet, n)
    nodes = [node for node in tp.nodes(devnet, n) if node.validator]
    repo, _, tag = (image or devnet["docker"]["image"]).partition(":")
    return {
        "image": {"repository": repo, "tag": tag or "latest"},
        "node": {
            "chain": devnet["chain"]["id"],
            "role": "validator",
            "replicas": n,
            "customChainspec": True,
            "chainspec": json.dumps(dn.chain_spec(devnet, n)),
            "keys": [{"type": "aura", "scheme": "sr25519", "seed": v["key"],
                      "publicKey": node.keystore_file[len(b"aura".hex()):]}            # type: ignore[index]
                     for v, node in zip(devnet["validators"], nodes)],
            "customNodeKey": [node.node_key for node in nodes],
            "bootnodes": devnet.get("bootnodes", 2),
            "peerIds": [node.peer_id for node in nodes],
        },
    }
