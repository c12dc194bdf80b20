"""The devnet as a Docker Swarm stack (`docker stack deploy -c stack.yml agora`).

Compose format 3.8 with ``deploy:`` sections: one replica per node, restarted on any exit,
placed on Swarm nodes labelled ``agora.devnet=true`` (label the hosts that may run nodes),
one overlay network, a named volume per node (local to the host the task runs on), keys as
Docker secrets, and the RPC node's port published on the host it runs on. Nodes find each
other by service name (``/dns4/alice/tcp/30333/p2p/...``): tasks get new addresses when Swarm
reschedules them, so the endpoints are DNS round-robin (the task's own address), not a VIP.
"""
from __future__ import annotations

import pathlib
from typing import Any

import yaml

from tools.deploy import topology as tp

PLACEMENT_LABEL = "agora.devnet"
HEADER = """\
# GENERATED from genesis/devnet.yaml by `agora devnet stack --out stack.yml` (with its key files).
# On a swarm (docker swarm init / join), on each host that may run nodes:
#   docker node update --label-add {label}=true HOST
#   docker stack deploy -c stack.yml agora
# The keys are the devnet's public well-known keys: never use them outside a devnet.
"""


def render(devnet: dict, validators: int | None = None, *, image: str | None = None,
           keys_dir: str = "keys", rpc_published_port: int | None = None) -> str:
    ports = devnet["ports"]
    docker = devnet["docker"]
    nodes = tp.nodes(devnet, validators)
    boot = [f"/dns4/{n.name}/tcp/{ports['p2p']}/p2p/{n.peer_id}" for n in tp.bootnode_names(devnet, nodes)]
    services: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for node in nodes:
        svc: dict[str, Any] = {
            "image": image or docker["image"],
            "command": tp.node_command(devnet, node, boot, public_addr=f"/dns4/{node.name}/tcp/{ports['p2p']}"),
            "secrets": [],
            "volumes": [f"{node.name}-data:{tp.DATA_DIR}"],
            "networks": ["devnet"],
            # liveness only (--min-peers 0): Swarm puts a task in DNS once healthy, and nodes find
            # each other through DNS, so "has peers" here would keep every task out for good
            "healthcheck": {"test": ["CMD", "agora", "devnet", "health", "--rpc-port", str(ports["rpc"]),
                                     "--min-peers", "0"],
                            "interval": "10s", "timeout": "5s", "retries": 6, "start_period": "30s"},
            "deploy": {
                "mode": "replicated",
                "replicas": 1,
                "endpoint_mode": "dnsrr",
                "restart_policy": {"condition": "any", "delay": "5s"},
                "update_config": {"parallelism": 1, "order": "stop-first"},
                "placement": {"constraints": [f"node.labels.{PLACEMENT_LABEL} == true"]},
                "labels": {"agora.role": "validator" if node.validator else "full"},
            },
        }
        for file_name in node.key_files():
            secret = f"{node.name}-{'node-key' if file_name == tp.NODE_KEY_FILE else 'aura'}"
            secrets[secret] = {"file": f"./{keys_dir}/{node.name}/{file_name}"}
            svc["secrets"].append({"source": secret, "target": file_name, "mode": 0o444})
        if not node.validator:
            svc["ports"] = [{"target": ports["rpc"], "published": rpc_published_port or docker["rpc_host_port"],
                             "protocol": "tcp", "mode": "host"}]
        services[node.name] = svc
    doc = {
        "version": "3.8",
        "services": services,
        "volumes": {f"{n.name}-data": {} for n in nodes},
        "networks": {"devnet": {"driver": "overlay", "attachable": True}},
        "secrets": secrets,
    }
    return HEADER.format(label=PLACEMENT_LABEL) + yaml.safe_dump(doc, sort_keys=False, width=1000,
                                                                 default_flow_style=False)


def write(devnet: dict, out: pathlib.Path, validators: int | None = None, **kw: Any) -> list[pathlib.Path]:
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(devnet, validators, **kw))
    written = [out]
    for node in tp.nodes(devnet, validators):
        for name, content in node.key_files().items():
            path = out.parent / kw.get("keys_dir", "keys") / node.name / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            written.append(path)
    return written
