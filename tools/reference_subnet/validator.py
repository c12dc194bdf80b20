"""A reference validator: each tempo it challenges every serving miner through a dendrite, scores the
answers, sets weights, waits for the subnet's next epoch and reports the metagraph.

    python -m tools.reference_subnet.validator --network URL --netuid N --epochs 4 --wallet-path DIR

The last line printed is a JSON summary (`{"rounds": [...], "ok": bool}`); the exit status is 0 when
the honest miner ends with a positive incentive above every other miner's, higher than where it started.
"""
from __future__ import annotations

import argparse
import json
import secrets
import time

import bittensor as bt
from bittensor.utils import networking

from tools.reference_subnet.protocol import Challenge, score
from tools.reference_subnet.wallets import wallet_for

BLOCK_POLL_S = 0.25


def wait_past(subtensor: bt.Subtensor, block: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = subtensor.get_current_block()
        if current > block:
            return current
        time.sleep(BLOCK_POLL_S)
    raise TimeoutError(f"block {block} not reached in {timeout:.0f} s")


def axons_of(metagraph, own_hotkey: str, endpoints: dict[str, tuple[str, int]]) -> dict[int, "bt.AxonInfo"]:
    """uid -> axon of every miner: its axon on chain, else an endpoint given on the command line."""
    axons = {}
    for uid in map(int, metagraph.uids):
        hotkey = metagraph.hotkeys[uid]
        if hotkey == own_hotkey:
            continue
        if metagraph.axons[uid].is_serving:
            axons[uid] = metagraph.axons[uid]
        elif hotkey in endpoints:
            ip, port = endpoints[hotkey]
            axons[uid] = bt.AxonInfo(version=0, ip=ip, port=port, ip_type=4, hotkey=hotkey,
                                     coldkey=metagraph.coldkeys[uid])
    return axons


def run(network: str, netuid: int, epochs: int, wallet_path: str, honest_hotkey: str,
        endpoints: dict[str, tuple[str, int]] | None = None, epoch_timeout: float = 300.0) -> dict:
    wallet = wallet_for("validator", wallet_path)
    subtensor = bt.Subtensor(network=network)
    # The dendrite asks public web services for this machine's external IP (curl ipinfo.io, ...);
    # a devnet on 127.0.0.1 has none and may have no internet at all, so it is this host.
    networking.get_external_ip = lambda: "127.0.0.1"
    dendrite = bt.Dendrite(wallet=wallet)
    rounds = []
    metagraph = subtensor.metagraph(netuid)
    start = float(metagraph.incentive[metagraph.hotkeys.index(honest_hotkey)])
    for epoch in range(epochs):
        metagraph = subtensor.metagraph(netuid)
        axons = axons_of(metagraph, wallet.hotkey.ss58_address, endpoints or {})
        if not axons:
            raise RuntimeError("no miner serves an axon on the subnet")
        uids = sorted(axons)
        challenge = secrets.token_hex(16)
        answers = dendrite.query(axons=[axons[uid] for uid in uids],
                                 synapse=Challenge(challenge=challenge), timeout=12, deserialize=True)
        scores = [score(challenge, answer) for answer in answers]
        response = subtensor.set_weights(wallet, netuid, uids=uids, weights=scores,
                                         wait_for_inclusion=True, wait_for_finalization=False)
        next_epoch = subtensor.get_next_epoch_start_block(netuid)
        block = wait_past(subtensor, next_epoch, epoch_timeout)
        metagraph = subtensor.metagraph(netuid)
        incentive = {metagraph.hotkeys[uid]: float(metagraph.incentive[uid]) for uid in uids}
        own = metagraph.hotkeys.index(wallet.hotkey.ss58_address)
        round_ = {"epoch": epoch, "block": block, "scores": dict(zip(map(int, uids), scores)),
                  "weights_set": bool(response.success), "incentive": incentive,
                  "validator_dividends": float(metagraph.dividends[own])}
        rounds.append(round_)
        print(f"epoch {epoch} at block {block}: scores {round_['scores']} incentive "
              + ", ".join(f"{hk[:8]}={v:.3f}" for hk, v in incentive.items())
              + f" validator dividends {round_['validator_dividends']:.3f}", flush=True)
    final = rounds[-1]["incentive"]
    honest = final.get(honest_hotkey, 0.0)
    others = [v for hk, v in final.items() if hk != honest_hotkey]
    ok = honest > 0 and all(honest > v for v in others) and honest > start
    on_chain = sum(bool(metagraph.axons[uid].is_serving) for uid in uids)
    return {"netuid": netuid, "honest_start_incentive": start, "rounds": rounds, "axons_on_chain": on_chain,
            "ok": ok}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--network", default="ws://127.0.0.1:9944")
    p.add_argument("--netuid", type=int, required=True)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--wallet-path", required=True)
    p.add_argument("--endpoint", action="append", default=[], metavar="HOTKEY=IP:PORT",
                   help="a miner's endpoint, used while its axon is not on chain (repeatable)")
    args = p.parse_args(argv)
    honest = wallet_for("honest", args.wallet_path).hotkey.ss58_address
    endpoints = {}
    for item in args.endpoint:
        hotkey, _, address = item.partition("=")
        ip, _, port = address.rpartition(":")
        if not (hotkey and ip and port.isdigit()):
            p.error(f"--endpoint {item!r}: expected HOTKEY=IP:PORT")
        endpoints[hotkey] = (ip, int(port))
    summary = run(args.network, args.netuid, args.epochs, args.wallet_path, honest, endpoints)
    print(json.dumps(summary), flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
