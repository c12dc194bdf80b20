"""docker-compose.yml for the devnet: valid for docker-compose 1.29 and Compose v2.

No top-level ``name:`` (1.29 rejects it; the project name comes from ``-p`` or the directory),
static addresses on one bridge network (the bootnodes are known in advance), the RPC node's
port published on 127.0.0.1 unless AGORA_RPC_HOST says otherwise, and keys as Docker secrets
read from files beside the compose file (``keys/<node>/...``), mounted in /run/secrets.
"""
from __future__ import annotations

import pathlib
from typing import Any

import yaml

from tools.deploy import topology as tp

HEADER = """\
# GENERATED from genesis/devnet.yaml by `agora devnet compose --out docker-compose.yml`
# (which also writes the key files under {keys}/). Do not edit by hand: change genesis/devnet.yaml
# and regenerate (a test checks they agree). Works with docker-compose 1.29 and Compose v2:
#
#   python -m tools.deploy.image build    the image (no registry or network needed in the build)
#   docker-compose up -d                  4 validators + 1 RPC node (RPC on http://127.0.0.1:9944)
#   docker-compose ps                     health comes from each node's RPC (system_health)
#
# AGORA_RPC_HOST=0.0.0.0 publishes the RPC on every interface; AGORA_RPC_PORT moves it.
# The keys are the devnet's public well-known keys: never use them outside a devnet.
"""


def addresses(devnet: dict, nodes: list[tp.Node]) -> dict[str, str]:
    docker = devnet["docker"]
    prefix = docker["subnet"].rsplit(".", 1)[0]
    return {n.name: f"{prefix}.{docker['first_ip'] + i}" for i, n in enumerate(nodes)}


def render(devnet: dict, validators: int | None = None, *, image: str | None = None, build: bool = True,
           keys_dir: str = "deploy/devnet/keys") -> str:
    """The compose file; its secrets are read from ``keys_dir`` (relative to the compose file)."""
    docker = devnet["docker"]
    ports = devnet["ports"]
    nodes = tp.nodes(devnet, validators)
    ips = addresses(devnet, nodes)
    boot = [f"/ip4/{ips[n.name]}/tcp/{ports['p2p']}/p2p/{n.peer_id}" for n in tp.bootnode_names(devnet, nodes)]
    health = ["CMD", "agora", "devnet", "health", "--rpc-port", str(ports["rpc"])]
    services: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for node in nodes:
        svc: dict[str, Any] = {"image": image or docker["image"]}
        if build:
            svc["build"] = "."
        svc["command"] = tp.node_command(devnet, node, boot, public_addr=f"/ip4/{ips[node.name]}/tcp/{ports['p2p']}")
        svc["secrets"] = []
        for file_name in node.key_files():
            secret = f"{node.name}-{'node-key' if file_name == tp.NODE_KEY_FILE else 'aura'}"
            secrets[secret] = {"file": f"./{keys_dir}/{node.name}/{file_name}"}
            svc["secrets"].append({"source": secret, "target": file_name})
        svc.update({
            "volumes": [f"{node.name}-data:{tp.DATA_DIR}"],
            "networks": {"devnet": {"ipv4_address": ips[node.name]}},
            "healthcheck": {"test": list(health), "interval": "10s", "timeout": "5s", "retries": 6,
                            "start_period": "30s"},
            "restart": "unless-stopped",
        })
        if not node.validator:
            svc["ports"] = [f"${{AGORA_RPC_HOST:-127.0.0.1}}:${{AGORA_RPC_PORT:-{docker['rpc_host_port']}}}"
                            f":{ports['rpc']}"]
            svc["depends_on"] = [n.name for n in nodes if n.validator]
        services[node.name] = svc
    doc = {
        "services": services,
        "volumes": {f"{n.name}-data": {} for n in nodes},
        "networks": {"devnet": {"ipam": {"config": [{"subnet": docker["subnet"]}]}}},
        "secrets": secrets,
    }
    return HEADER.format(keys=keys_dir) + yaml.safe_dump(doc, sort_keys=False, width=1000,
                                                         default_flow_style=False)


def key_files(devnet: dict, validators: int | None = None, keys_dir: str = "deploy/devnet/keys") -> dict[str, str]:
    """Path relative to the compose file -> content, for every secret the compose file names."""
    return {f"{keys_dir}/{n.name}/{name}": content
            for n in tp.nodes(devnet, validators) for name, content in n.key_files().items()}


def write(devnet: dict, out: pathlib.Path, validators: int | None = None, **kw: Any) -> list[pathlib.Path]:
    """Write the compose file and its key files next to it; returns the paths written."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(devnet, validators, **kw))
    written = [out]
    for rel, content in key_files(devnet, validators, kw.get("keys_dir", "deploy/devnet/keys")).items():
        path = out.parent / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        written.append(path)
    return written
