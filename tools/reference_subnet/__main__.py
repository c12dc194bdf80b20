"""One command for the reference subnet against a running node (e.g. `make devnet`):

    .venv-bt/bin/python -m tools.reference_subnet [--network ws://127.0.0.1:9944] [--epochs 4]

Registers a subnet (owner //Dave), a validator (//Alice), an honest miner (//Bob) and a lazy miner
(//Charlie), stakes the validator, starts both miners as processes and runs the validator for
`--epochs` tempos. Exit status 0 when the honest miner's incentive rose above the lazy one's.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

import bittensor as bt
from bittensor.utils.balance import Balance

from tools.reference_subnet import validator
from tools.reference_subnet.protocol import MINER_HOST
from tools.reference_subnet.wallets import wallet_for

REPO = pathlib.Path(__file__).resolve().parents[2]
VALIDATOR_STAKE_TAO = 100
AXON_WAIT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind((MINER_HOST, 0))
        return s.getsockname()[1]


def check(response, what: str) -> None:
    if not response.success:
        raise SystemExit(f"reference subnet: {what} failed: {response.message}")


def create_subnet(subtensor: bt.Subtensor, wallets: dict) -> int:
    before = set(subtensor.get_all_subnets_netuid())
    check(subtensor.register_subnet(wallets["owner"]), "register_subnet")
    netuid = max(set(subtensor.get_all_subnets_netuid()) - before)
    start = subtensor.start_call(wallets["owner"], netuid)
    if not start.success:   # chains without a start-call delay need none
        print(f"start_call: {start.message}", flush=True)
    for role in ("validator", "honest", "lazy"):
        check(subtensor.burned_register(wallets[role], netuid), f"burned_register ({role})")
    check(subtensor.add_stake(wallets["validator"], netuid, wallets["validator"].hotkey.ss58_address,
                              Balance.from_tao(VALIDATOR_STAKE_TAO)), "add_stake (validator)")
    return netuid


def wait_until_listening(ports: list[int], miners: list) -> None:
    deadline = time.monotonic() + AXON_WAIT_S
    pending = set(ports)
    while pending and time.monotonic() < deadline:
        for proc in miners:
            if proc.poll() is not None:
                raise SystemExit(f"reference subnet: a miner exited with status {proc.returncode}")
        for port in list(pending):
            with socket.socket() as s:
                if s.connect_ex((MINER_HOST, port)) == 0:
                    pending.discard(port)
        time.sleep(0.5)
    if pending:
        raise SystemExit(f"reference subnet: miners not listening on {sorted(pending)}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", default="ws://127.0.0.1:9944")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--wallet-path", default=None, help="wallet directory (default: a temporary one)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="refnet-wallets-") as tmp:
        path = args.wallet_path or tmp
        wallets = {role: wallet_for(role, path) for role in ("owner", "validator", "honest", "lazy")}
        subtensor = bt.Subtensor(network=args.network)
        netuid = create_subnet(subtensor, wallets)
        print(f"subnet {netuid}: validator {wallets['validator'].hotkey.ss58_address}, "
              f"honest miner {wallets['honest'].hotkey.ss58_address}, "
              f"lazy miner {wallets['lazy'].hotkey.ss58_address}", flush=True)
        ports = {role: free_port() for role in ("honest", "lazy")}
        miners = [subprocess.Popen([sys.executable, "-m", "tools.reference_subnet.miner", "--network", args.network,
                                    "--netuid", str(netuid), "--role", role, "--port", str(port),
                                    "--wallet-path", path], cwd=REPO)
                  for role, port in ports.items()]
        endpoints = {wallets[role].hotkey.ss58_address: (MINER_HOST, port) for role, port in ports.items()}
        try:
            wait_until_listening(list(ports.values()), miners)
            summary = validator.run(args.network, netuid, args.epochs, path,
                                    wallets["honest"].hotkey.ss58_address, endpoints)
        finally:
            for proc in miners:
                proc.terminate()
            for proc in miners:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    print(json.dumps(summary), flush=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
