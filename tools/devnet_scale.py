"""N validators as local processes for a while: missed slots, finality lag, CPU per node.

    python -m tools.devnet_scale --validators 16 --seconds 60 [--slot-ms 2000] [--flood-gossip]

Validators beyond genesis/devnet.yaml's list get generated keys (//Scale<i>).  Figures are
taken after the nodes have peered and finalized once: block arrival jitter and
production-to-finality delay seen at the first validator (RPC polled every 100 ms), CPU per node
from /proc (user + system time over the window).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

import yaml

from tools import devnet as dn


def _devnet_yaml(n: int, out: pathlib.Path) -> pathlib.Path:
    from primitives.hashing import blake2_256

    devnet = dn.load()
    vals = list(devnet["validators"])
    for i in range(len(vals), n):
        vals.append({"name": f"v{i}", "key": f"//Scale{i}",
                     "node_key": blake2_256(f"agora-scale/{i}".encode()).hex()})
    devnet["validators"] = vals
    devnet["bootnodes"] = 2
    path = out / "devnet.yaml"
    path.write_text(yaml.safe_dump(devnet))
    return path


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(n: int, seconds: float = 60.0, slot_ms: int = 2000, *, flood_gossip: bool = False,
            settle: float = 90.0) -> dict:
    """Run ``n`` validators, wait until they finalize, then observe for ``seconds``."""
    env_before = os.environ.get("AGORA_FINALITY_FLOOD_GOSSIP")
    with tempfile.TemporaryDirectory(prefix="agora-scale-") as tmp:
        base = pathlib.Path(tmp)
        path = _devnet_yaml(n, base)
        devnet = yaml.safe_load(path.read_text())
        devnet["chain"]["slot_ms"] = slot_ms
        path.write_text(yaml.safe_dump(devnet))
        os.environ["AGORA_FINALITY_FLOOD_GOSSIP"] = "1" if flood_gossip else "0"
        try:
            state = dn.up(base / "dn", n, devnet_path=str(path), free_ports=True, rpc_nodes=False,
                          wait=max(60.0, 3.0 * n))
        finally:
            if env_before is None:
                os.environ.pop("AGORA_FINALITY_FLOOD_GOSSIP", None)
            else:
                os.environ["AGORA_FINALITY_FLOOD_GOSSIP"] = env_before
        try:
            nodes = state["nodes"]
            watch = nodes[0]["rpc_port"]
            deadline = time.monotonic() + settle
            while time.monotonic() < deadline:
                try:
                    if dn.node_status(watch)["finalized"] >= 2:
                        break
                except (OSError, RuntimeError):
                    pass
                time.sleep(0.5)
            cpu0 = {e["pid"]: _cpu_seconds(e["pid"]) for e in nodes}
            t0 = time.monotonic()
            start = dn.node_status(watch)
            seen: dict[int, float] = {}
            finalized_at: dict[int, float] = {}
            lags: list[int] = []
            while time.monotonic() - t0 < seconds:
                try:
                    s = dn.node_status(watch)
                except (OSError, RuntimeError):
                    time.sleep(0.1)
                    continue
                now = time.monotonic()
                for b in range(start["best"] + 1, s["best"] + 1):
                    seen.setdefault(b, now)
                for b in range(start["best"] + 1, s["finalized"] + 1):
                    finalized_at.setdefault(b, now)
                lags.append(s["best"] - s["finalized"])
                time.sleep(0.1)
            elapsed = time.monotonic() - t0
            cpu = [(_cpu_seconds(e["pid"]) - cpu0[e["pid"]]) / elapsed for e in nodes if dn._alive(e["pid"])]
            end = dn.node_status(watch)
        finally:
            dn.down(base / "dn")
    arrivals = [seen[b] for b in sorted(seen)]
    gaps = [(b - a) * 1000 for a, b in zip(arrivals, arrivals[1:])]
    to_final = [(finalized_at[b] - seen[b]) * 1000 for b in finalized_at if b in seen]
    slots = elapsed * 1000 / slot_ms
    return {"validators": n, "seconds": round(elapsed, 1), "slot_ms": slot_ms, "flood_gossip": flood_gossip,
            "blocks": end["best"] - start["best"], "missed_slots": max(0, round(slots - (end["best"] - start["best"]))),
            "block_interval_ms_mean": statistics.mean(gaps) if gaps else float("nan"),
            "block_jitter_ms": statistics.pstdev(gaps) if len(gaps) > 1 else float("nan"),
            "finality_delay_ms_p50": _p(to_final, 0.5), "finality_delay_ms_p90": _p(to_final, 0.9),
            "finality_lag_blocks_p90": _p([float(x) for x in lags], 0.9),
            "cpu_per_node": statistics.mean(cpu) if cpu else float("nan"), "cpu_max_node": max(cpu, default=0.0)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--validators", type=int, nargs="+", default=[8])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--slot-ms", type=int, default=2000)
    p.add_argument("--flood-gossip", action="store_true", help="The previous vote gossip (a baseline)")
    args = p.parse_args(argv)
    for n in args.validators:
        print(json.dumps(measure(n, args.seconds, args.slot_ms, flood_gossip=args.flood_gossip)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
