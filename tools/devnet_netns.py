"""Network namespaces for `agora devnet up --netns`: every node on its own host with its own address.

Layout (every name starts with ``agora-<id>``; ``<id>`` comes from the devnet's base dir):

* ``agora-<id>-hub``: a namespace holding the bridge ``br0``.  Bridged traffic inside it never
  meets the host's firewall (Docker, for one, sets the host's FORWARD policy to DROP and makes
  bridges call iptables).
* ``agora-<id>-<node>``: one namespace per node; ``eth0`` is ``10.<a>.<b>.<2+i>/24``, a veth into ``br0``.
* ``agora-<id>`` on the host: a veth into ``br0`` with ``10.<a>.<b>.1/24``, so the host reaches the
  nodes' RPC and metrics.

A partition drops packets where they leave a node: ``eth0``'s root qdisc is htb with a normal class
1:1 (the default) and a class 1:2 whose leaf is a ``blackhole`` qdisc; one u32 filter per address
the node must not reach sends those packets to 1:2.  Nothing is answered, nothing is refused: the
link goes silent, as when a cable is cut.  Latency and loss (``netem``) sit in class 1:1.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import shutil
import signal
import subprocess

NODE_IF = "eth0"
HUB_BRIDGE = "br0"
MAX_NODES = 200
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,30}$")


class NetnsError(RuntimeError):
    """An ``ip``/``tc`` step failed (message says which and why)."""


def unavailable_reason() -> str | None:
    """Why ``--netns`` cannot run here, or None when it can."""
    if os.name != "posix" or os.geteuid() != 0:
        return "network namespaces need root (run as root, e.g. in CI)"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"`{tool}` (iproute2) is not installed"
    try:
        subprocess.run(["ip", "netns", "list"], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`ip netns` does not work here: {exc}"
    return None


def _run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise NetnsError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def devnet_id(base_dir: str) -> str:
    return hashlib.blake2b(str(base_dir).encode(), digest_size=2).hexdigest()


def _used_networks() -> list[ipaddress.IPv4Network]:
    out = _run("ip", "-4", "-o", "addr", "show").stdout + _run("ip", "-4", "route", "show").stdout
    nets = []
    for token in re.findall(r"\b(\d+\.\d+\.\d+\.\d+(?:/\d+)?)\b", out):
        try:
            nets.append(ipaddress.ip_network(token, strict=False))
        except ValueError:
            pass
    return nets


def _pick_subnet(ident: str) -> str:
    """A free 10.x.y.0/24, stable for the same base dir when it is free."""
    used = _used_networks()
    seed = int(ident, 16)
    for k in range(256):
        a, b = 200 + (seed + k) % 50, (seed * 7 + k) % 256
        net = ipaddress.ip_network(f"10.{a}.{b}.0/24")
        if not any(net.overlaps(u) for u in used if u.prefixlen > 0):
            return f"10.{a}.{b}"
    raise NetnsError("no free 10.x.y.0/24 subnet for the devnet")


def create(base_dir: str, names: list[str]) -> dict:
    """Make the hub, the host's link and one namespace per node; returns the layout (saved by the caller).

    On failure everything made so far is removed before the error propagates."""
    ident = devnet_id(base_dir)
    prefix = f"agora-{ident}"
    if _run("ip", "netns", "list").stdout.find(f"{prefix}-hub") >= 0:
        raise NetnsError(f"namespaces {prefix}-* already exist (agora devnet down --base-dir {base_dir})")
    layout = {"id": ident, "hub": f"{prefix}-hub", "host_if": prefix, "subnet": _pick_subnet(ident),
              "next_index": 0, "nodes": {}}
    try:
        hub = layout["hub"]
        _run("ip", "netns", "add", hub)
        _run("ip", "-n", hub, "link", "set", "lo", "up")
        _run("ip", "-n", hub, "link", "add", HUB_BRIDGE, "type", "bridge")
        _run("ip", "-n", hub, "link", "set", HUB_BRIDGE, "up")
        _run("ip", "link", "add", layout["host_if"], "type", "veth", "peer", "name", "host", "netns", hub)
        _run("ip", "-n", hub, "link", "set", "host", "master", HUB_BRIDGE, "up")
        _run("ip", "addr", "add", f"{layout['subnet']}.1/24", "dev", layout["host_if"])
        _run("ip", "link", "set", layout["host_if"], "up")
        for name in names:
            add_node(layout, name)
    except BaseException:
        teardown(layout)
        raise
    return layout


def add_node(layout: dict, name: str) -> dict:
    """A namespace for node ``name`` on the hub; returns its entry (``ns``, ``ip``)."""
    if not _NAME.match(name):
        raise NetnsError(f"node name {name!r}: use lowercase letters, digits, '-' and '_'")
    if name in layout["nodes"]:
        raise NetnsError(f"node {name!r} already has a namespace")
    i = layout["next_index"]
    if i >= MAX_NODES:
        raise NetnsError(f"at most {MAX_NODES} nodes in one --netns devnet")
    layout["next_index"] = i + 1
    ns = f"agora-{layout['id']}-{name}"
    entry = {"ns": ns, "ip": f"{layout['subnet']}.{2 + i}", "port": f"n{i}"}
    layout["nodes"][name] = entry          # recorded first: teardown removes it even half made
    hub = layout["hub"]
    _run("ip", "netns", "add", ns)
    _run("ip", "-n", ns, "link", "set", "lo", "up")
    _run("ip", "-n", ns, "link", "add", NODE_IF, "type", "veth", "peer", "name", entry["port"], "netns", hub)
    _run("ip", "-n", hub, "link", "set", entry["port"], "master", HUB_BRIDGE, "up")
    _run("ip", "-n", ns, "addr", "add", f"{entry['ip']}/24", "dev", NODE_IF)
    _run("ip", "-n", ns, "link", "set", NODE_IF, "up")
    tc = ("tc", "-n", ns)
    _run(*tc, "qdisc", "add", "dev", NODE_IF, "root", "handle", "1:", "htb", "default", "1", "r2q", "100000")
    for cls in ("1:1", "1:2"):
        _run(*tc, "class", "add", "dev", NODE_IF, "parent", "1:", "classid", cls, "htb", "rate", "10gbit",
             "quantum", "60000")
    _run(*tc, "qdisc", "add", "dev", NODE_IF, "parent", "1:2", "handle", "20:", "blackhole")
    return entry


def exec_prefix(layout: dict, name: str) -> list[str]:
    return ["ip", "netns", "exec", layout["nodes"][name]["ns"]]


def heal(layout: dict) -> None:
    for entry in layout["nodes"].values():
        # no filters (never partitioned) is fine
        _run("tc", "-n", entry["ns"], "filter", "del", "dev", NODE_IF, "parent", "1:", "prio", "1", check=False)


def partition(layout: dict, groups: list[list[str]]) -> dict[str, int]:
    """Cut every link between different groups (nodes not named join the first group).

    Returns the name -> group index used."""
    nodes = layout["nodes"]
    group_of: dict[str, int] = {}
    for g, members in enumerate(groups):
        for name in members:
            if name not in nodes:
                raise NetnsError(f"no node {name!r} in this devnet (nodes: {', '.join(nodes)})")
            if name in group_of:
                raise NetnsError(f"node {name!r} is in two groups")
            group_of[name] = g
    for name in nodes:
        group_of.setdefault(name, 0)
    heal(layout)
    for name, entry in nodes.items():
        for other, other_entry in nodes.items():
            if group_of[other] != group_of[name]:
                _run("tc", "-n", entry["ns"], "filter", "add", "dev", NODE_IF, "parent", "1:", "protocol", "ip",
                     "prio", "1", "u32", "match", "ip", "dst", f"{other_entry['ip']}/32", "flowid", "1:2")
    return group_of


def netem(layout: dict, name: str, delay: str | None = None, loss: str | None = None, clear: bool = False) -> None:
    """Latency/loss on everything node ``name`` sends (``clear``: remove them)."""
    if name not in layout["nodes"]:
        raise NetnsError(f"no node {name!r} in this devnet (nodes: {', '.join(layout['nodes'])})")
    tc = ("tc", "-n", layout["nodes"][name]["ns"])
    if clear:
        _run(*tc, "qdisc", "del", "dev", NODE_IF, "parent", "1:1", check=False)
        return
    params = []
    if delay:
        params += ["delay", delay]
    if loss:
        params += ["loss", loss]
    if not params:
        raise NetnsError("give --delay and/or --loss (or --clear)")
    proc = _run(*tc, "qdisc", "replace", "dev", NODE_IF, "parent", "1:1", "handle", "10:", "netem", *params,
                check=False)
    if proc.returncode != 0:
        if "unknown" in proc.stderr.lower():
            raise NetnsError("this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM / sch_netem): "
                             "latency and loss cannot be emulated here")
        raise NetnsError(f"tc netem {' '.join(params)}: {proc.stderr.strip()}")


def _kill_inside(ns: str) -> None:
    pids = _run("ip", "netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def teardown(layout: dict) -> list[str]:
    """Delete every namespace and link the layout made (processes still inside are killed); returns what went."""
    existing = set(_run("ip", "netns", "list", check=False).stdout.split())
    removed = []
    for ns in [e["ns"] for e in layout.get("nodes", {}).values()] + [layout["hub"]]:
        if ns in existing:
            _kill_inside(ns)
            if _run("ip", "netns", "del", ns, check=False).returncode == 0:
                removed.append(ns)
    # the host's veth goes with its peer in the hub; delete it in case the hub was never made
    if _run("ip", "link", "del", layout["host_if"], check=False).returncode == 0:
        removed.append(layout["host_if"])
    return removed


def leftovers(layout: dict) -> list[str]:
    """Namespaces or links of ``layout`` that still exist (empty after teardown)."""
    names = set(_run("ip", "netns", "list", check=False).stdout.split())
    left = [ns for ns in [e["ns"] for e in layout.get("nodes", {}).values()] + [layout["hub"]] if ns in names]
    if _run("ip", "link", "show", layout["host_if"], check=False).returncode == 0:
        left.append(layout["host_if"])
    return left
