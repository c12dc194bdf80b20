"""The devnet's nodes as every container runner sees them: names, roles, keys as files.

Secrets never go on a command line: each node reads its libp2p key from ``node-key`` and its
authority key from a Substrate keystore file (``aura`` + public key hex, holding the secret URI
as JSON) in one directory, ``KEYS_DIR``, which each runner fills its own way (Docker secrets,
Kubernetes Secrets).
"""
from __future__ import annotations

import dataclasses
import pathlib

from tools import devnet as dn
from node.keystore import keystore_entry

KEYS_DIR = "/run/secrets"          # where Docker (compose and Swarm) mounts secrets; k8s mounts there too
NODE_KEY_FILE = "node-key"
DATA_DIR = "/data"


@dataclasses.dataclass
class Node:
    name: str
    validator: bool
    node_key: str
    peer_id: str
    keystore_file: str | None = None     # the aura key's file name in KEYS_DIR (validators)
    keystore_content: str | None = None  # the secret URI as JSON

    def key_files(self) -> dict[str, str]:
        """File name in KEYS_DIR -> content."""
        files = {NODE_KEY_FILE: self.node_key + "\n"}
        if self.keystore_file:
            files[self.keystore_file] = self.keystore_content or ""
        return files


def nodes(devnet: dict, validators: int | None = None) -> list[Node]:
    out = []
    for p in dn.plan(devnet, validators, pathlib.Path(DATA_DIR)):
        node = Node(p.name, p.validator, p.node_key, p.peer_id)
        if p.validator:
            node.keystore_file, node.keystore_content = keystore_entry(p.key)   # type: ignore[arg-type]
        out.append(node)
    return out


def bootnode_names(devnet: dict, all_nodes: list[Node]) -> list[Node]:
    return [n for n in all_nodes if n.validator][:devnet.get("bootnodes", 2)]


def node_command(devnet: dict, node: Node, boot: list[str], *, public_addr: str | None = None,
                 spec_path: str | None = None) -> list[str]:
    """The `agora` arguments of ``node`` in a container: keys come from files, never from here."""
    ports = devnet["ports"]
    args = ["node", "--chain", spec_path or devnet["docker"]["spec_path"], "--base-path", DATA_DIR,
            "--name", node.name, "--node-key-file", f"{KEYS_DIR}/{NODE_KEY_FILE}",
            "--listen-addr", f"/ip4/0.0.0.0/tcp/{ports['p2p']}", "--rpc-port", str(ports["rpc"]),
            "--prometheus-port", str(ports["prometheus"]), "--prometheus-external"]
    if public_addr:
        args += ["--public-addr", public_addr]
    if node.validator:
        args += ["--validator", "--keystore-path", KEYS_DIR]
    else:
        args += ["--rpc-external", "--rpc-cors", "all"]
    others = [b for b in boot if not b.endswith("/p2p/" + node.peer_id)]
    if others:
        args += ["--bootnodes", *others]
    return args
