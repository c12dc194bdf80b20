"""The dynamic-TAO coinbase of one block with 64 subnets (issue 10 bar: < 5 ms on one core).

Measured: `run_coinbase` + the price-EMA update (SubtensorModule's per-block economics, epochs
excluded) on a chain with 64 emitting subnets, each call on the same state (a storage transaction
rolled back after every run). Baseline in the same run: the same on a chain with no subnets (what
every block pays anyway: the issuance sync and block-emission computation). Thread CPU time, so
other processes on a busy machine do not inflate it.
"""
from __future__ import annotations

import statistics
import time

from tests.bench.bench_yuma import _one_core

SUBNETS = 64
RUNS = 30


def _chain(subnets: int):
    from runtime.pallets.subtensor import storage as S
    from tests.runtime.helpers import ALICE
    from tests.runtime.subtensor_setup import TAO, call, ext_with, hot

    ext = ext_with(networkLockReductionInterval=1, networkMinLockCost=10 * TAO, tempo=360)
    for _ in range(subnets):
        call(ext, ALICE, "register_network", hotkey=hot("Alice"))
        ext.next_block()
        ext.next_block()                    # the doubled lock decays back to the floor
    assert len([1 for (n,), added in S.NetworksAdded.iter(ext.state) if added and n]) == subnets
    for _ in range(20):                     # EMA prices leave 0: every subnet gets a TAO share
        ext.next_block()
    return ext


def _time_coinbase(ext) -> list[float]:
    from runtime.pallets.subtensor.coinbase import run_coinbase, update_moving_prices
    from runtime.pallets.subtensor.networks import subnet_netuids

    ctx = ext.ctx
    samples = []
    for _ in range(RUNS):
        mark = ctx.start_transaction()
        started = time.thread_time()                # CPU time: the shared machine's load does not count
        netuids = subnet_netuids(ctx.state)          # block_step reads the subnet list once per block
        run_coinbase(ctx, netuids)
        update_moving_prices(ctx, ctx.block_number, netuids)
        samples.append((time.thread_time() - started) * 1000)
        ctx.rollback_transaction(mark)
    return samples


def bench() -> list[dict]:
    full, empty = _chain(SUBNETS), _chain(0)
    with _one_core():
        value = statistics.median(_time_coinbase(full))
        baseline = statistics.median(_time_coinbase(empty))
    return [{"benchmark": f"dTAO coinbase, one block, {SUBNETS} subnets", "value": value, "unit": "ms CPU",
             "baseline": baseline, "baseline_name": "no subnets", "note": "target < 5 ms; median of 30"}]
