"""`agora validator compute`: the compute subnet's reference validator.

    agora validator compute --url ws://127.0.0.1:9944 --key //Eve//hot [--rounds 3] [--epochs N]

Every tempo of the compute subnet it reads the active leases and the subnet's providers from the
chain (`chain.py`), probes every lease and every lease-less provider `--rounds` times, spread over
the blocks left before the next epoch, all targets of a round concurrently (`probe.py`), turns the
samples into scores and u16 weights (`scoring.py`) and submits them with `set_weights` (or
`commit_weights`/`reveal_weights` where the subnet has commit-reveal on), when
`WeightsSetRateLimit` allows. Each tempo prints one JSON line: the scores per provider, the
weights per UID and whether they were set. `--dishonest-favor HOTKEY` (tests only) gives that
hotkey the top weight whatever it measured.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import trio

from tools.compute_validator.chain import ChainError, ChainView, Snapshot
from tools.compute_validator.probe import probe_round
from tools.compute_validator.scoring import provider_scores, to_weights, uid_scores

DEFAULT_URL = "ws://127.0.0.1:9944"
POLL_S = 0.5
log = logging.getLogger("agora.validator")


class Validator:
    def __init__(self, view: ChainView, *, rounds: int = 3, timeout: float = 5.0, favor: str | None = None,
                 verify_threads: int = 2, out=None):
        self.view, self.rounds, self.timeout, self.favor = view, rounds, timeout, favor
        self.limiter = trio.CapacityLimiter(verify_threads)
        self.lock = trio.Lock()   # substrate-interface: one call at a time
        self.out = out or sys.stdout

    async def chain(self, fn, *args):
        async with self.lock:
            return await trio.to_thread.run_sync(fn, *args)

    async def wait_until(self, block: int) -> int:
        while True:
            current = await self.chain(self.view.block_number)
            if current >= block:
                return current
            await trio.sleep(POLL_S)

    async def wait_epoch_after(self, epoch_index: int) -> Snapshot:
        while True:
            snap = await self.chain(self.view.snapshot)
            if snap.epoch_index > epoch_index:
                return snap
            await trio.sleep(POLL_S)

    async def tempo(self, snap: Snapshot) -> dict:
        for ok, message in await self.chain(self.view.reveal_due, snap):
            (log.info if ok else log.warning)("%s", message)
        targets = snap.targets
        samples = [[] for _ in targets]
        gap = max(0, (snap.next_epoch - snap.block - 2) // max(self.rounds, 1))
        for r in range(self.rounds):
            if r:
                await self.wait_until(snap.block + r * gap)
            for i, sample in enumerate(await probe_round(targets, timeout=self.timeout, limiter=self.limiter)):
                samples[i].append(sample)
                if sample.error:
                    log.info("round %d: %s lease %s: %s", r, targets[i].provider[:8], targets[i].lease, sample.error)
        scores = provider_scores(targets, samples)
        uids, weights = to_weights(uid_scores(snap.hotkeys, snap.own_uid, scores, self.favor))
        block = await self.chain(self.view.block_number)
        if snap.own_uid is None:
            ok, message = False, f"{self.view.hotkey} is not registered on subnet {snap.netuid}"
        elif not any(weights):
            ok, message = False, "nothing scored above 0: no weights sent"
        elif not snap.can_set_weights(block):
            ok, message = False, f"rate limited until block {snap.last_update + snap.rate_limit}"
        else:
            ok, message = await self.chain(self.view.set_weights, snap, uids, weights)
        (log.info if ok else log.warning)("%s", message)
        report = {"netuid": snap.netuid, "epoch_index": snap.epoch_index, "block": block,
                  "targets": len(targets), "scores": scores, "weights": dict(zip(uids, weights)),
                  "set": ok, "message": message}
        print(json.dumps(report), file=self.out, flush=True)
        return report

    async def run(self, epochs: int | None = None) -> list[dict]:
        reports = []
        snap = await self.chain(self.view.snapshot)
        while epochs is None or len(reports) < epochs:
            reports.append(await self.tempo(snap))
            snap = await self.wait_epoch_after(snap.epoch_index)
        return reports


def run_validator(args) -> int:
    from node.cli import setup_logging

    setup_logging(args.log)
    try:
        view = ChainView(args.url, args.key, args.netuid)
    except ChainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    validator = Validator(view, rounds=args.rounds, timeout=args.timeout, favor=args.dishonest_favor)
    log.info("🔎 compute validator %s on %s", view.hotkey, args.url)
    try:
        trio.run(validator.run, args.epochs)
    except ChainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        log.info("Shutting down")
    finally:
        view.close()
    return 0


def add_validator_command(subparsers) -> argparse.ArgumentParser:
    validator = subparsers.add_parser("validator", help="reference validators of Agora's subnets")
    sub = validator.add_subparsers(dest="validator_command", metavar="COMMAND")
    validator.set_defaults(run=lambda args: (validator.print_help(), 2)[1])
    p = sub.add_parser("compute", help="probe the compute subnet's providers and set weights every tempo")
    p.add_argument("--url", default=os.environ.get("AGORA_URL", DEFAULT_URL), help=f"node WebSocket RPC ({DEFAULT_URL})")
    p.add_argument("--key", required=True, help="the validator's hotkey secret URI, e.g. //Eve//hot")
    p.add_argument("--netuid", type=int, default=None, help="the subnet (default: Market.Params.compute_netuid)")
    p.add_argument("--rounds", type=int, default=3, help="probe rounds per tempo (3)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per HTTP request (5)")
    p.add_argument("--epochs", type=int, default=None, help="stop after this many tempos (default: run on)")
    p.add_argument("--dishonest-favor", default=None, metavar="HOTKEY",
                   help="TESTS ONLY: give this hotkey the top weight whatever it measured")
    p.add_argument("-l", "--log", default=None, help="log filter, e.g. 'debug'")
    p.set_defaults(run=run_validator)
    return validator
