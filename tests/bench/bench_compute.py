"""The brain checking the body: what a compute validator's probes and the market's auto-match cost.

Rows:
* one validator probing 100 leases in one round (liveness, the service answering with its manifest,
  a benchmark sized by the lease's CPU and memory whose digest the validator recomputes), against
  real provider endpoints on 127.0.0.1 (trio + h11, in this process, the providers' benchmark work
  on threads) that answer each request after 50 ms, as across a WAN: concurrent probes (as `agora
  validator compute` runs them) vs one lease at a time, measured in the same run; the issue's
  target is < 10 s per tempo. The scrypt work of both sides shares this machine's 2 cores;
* the market's auto-match at the end of an order's bidding window (`run_auction`: settle, pick the
  best bid, open the lease, refund the losers) with 1,000 bids on the order vs 10 bids, by price
  alone and through the compute subnet's trust rule (consensus of every bidder read from the
  subnet); target < 20 ms with 1,000 bids. Best of 5, each rolled back.
"""
from __future__ import annotations

import dataclasses
import time

import trio

LEASES = 100
WAN_RTT_S = 0.05
BIDS = (10, 1_000)


# --- probes ---------------------------------------------------------------------------------------
async def _probe_round_seconds(concurrent: bool) -> tuple[float, int]:
    from tools.compute_validator.http import serve
    from tools.compute_validator.probe import Target, probe, probe_round
    from tools.compute_validator.responder import Responder

    manifest = "0x" + "ab" * 32
    async with trio.open_nursery() as nursery:
        # ten provider endpoints with ten leases each (one lease = 1 core, 1 GiB: scrypt n = 2^12)
        targets = []
        for p in range(LEASES // 10):
            holder = {}

            async def handler(method, target, body=b"", holder=holder):
                await trio.sleep(WAN_RTT_S)
                return await holder["r"].handle(method, target, body)
            port = await nursery.start(serve, handler, 0)
            responder = Responder(f"provider-{p}", f"http://127.0.0.1:{port}")
            responder.leases = {p * 10 + i: manifest for i in range(10)}
            holder["r"] = responder
            targets += [Target(f"provider-{p}", responder.host_uri, lease, manifest, 1000, 1 << 30)
                        for lease in responder.leases]
        started = time.perf_counter()
        if concurrent:
            samples = await probe_round(targets, timeout=30)
        else:
            limiter = trio.CapacityLimiter(2)
            samples = [await probe(t, timeout=30, limiter=limiter) for t in targets]
        elapsed = time.perf_counter() - started
        nursery.cancel_scope.cancel()
    return elapsed, sum(s.served and s.bench_ok for s in samples)


# --- auto-match -----------------------------------------------------------------------------------
def _auction_ms(bids: int, trusted: bool) -> float:
    from runtime.pallets.market import hooks
    from runtime.pallets.market import storage as S
    from tests.runtime.helpers import ALICE, TestExternalities
    from tests.runtime.test_market_support import TAO, TEST_PARAMS, deploy, group, orders_of, register

    ext = TestExternalities.dev()
    params = dataclasses.replace(S.params(ext.state), **{**TEST_PARAMS, "max_bids_per_order": bids,
                                                         "bidding_window": 1_000, "order_timeout": 2_000})
    if trusted:
        params = dataclasses.replace(params, compute_netuid=0, min_consensus=0)
    ext.call(None, "Market", "set_params", params=params)
    dep = deploy(ext, ALICE, [group(max_price=10**9)], deposit=100 * TAO)
    (order,) = orders_of(ext, dep)
    for i in range(bids):
        who = (0xA6_0000 + i).to_bytes(32, "little")
        ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", who), value=2 * TAO)
        register(ext, who)
        ext.call(who, "Market", "create_bid", order=order, price=10**8 - i * 1_000, deposit=TAO // 10)
    ext.next_block()
    best = float("inf")
    for _ in range(5):
        mark = ext.ctx.start_transaction()
        started = time.perf_counter()
        hooks.run_auction(ext.ctx, order)
        best = min(best, time.perf_counter() - started)
        assert S.Orders.get(ext.state, order).lease is not None, "the auction matched nothing"
        ext.ctx.rollback_transaction(mark)
    return best * 1000


def bench() -> list[dict]:
    rows = []
    concurrent, ok = trio.run(_probe_round_seconds, True)
    sequential, ok_seq = trio.run(_probe_round_seconds, False)
    rows.append({"benchmark": f"compute validator: one probe round of {LEASES} leases (concurrent)",
                 "value": concurrent, "unit": "s", "baseline": sequential, "baseline_name": "one lease at a time",
                 "lower_is_better": True,
                 "note": f"{ok}/{LEASES} served + benchmark right (sequential {ok_seq}); target < 10 s"})
    for trusted in (False, True):
        small, large = (_auction_ms(n, trusted) for n in BIDS)
        rule = "trust rule (consensus of every bidder)" if trusted else "price only"
        rows.append({"benchmark": f"market auto-match, {BIDS[1]:,} bids on an order, {rule}", "value": large,
                     "unit": "ms", "baseline": small, "baseline_name": f"{BIDS[0]} bids",
                     "note": "ratio: cost of 100x the bids (linear: each loser is refunded); target < 20 ms"})
    return rows
