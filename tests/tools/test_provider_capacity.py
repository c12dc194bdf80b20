"""The provider bot counts its open bids against its capacity: two 2-CPU orders a block apart with
capacity for one get one bid (it used to win both), and the skipped order is logged once."""
from __future__ import annotations

import logging
import types

from tools.provider_bot import Capacity, PricingConfig, ProviderBot

ME = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


def _spec(cpu_cores: int) -> dict:
    return {"name": "web", "requirements": [], "max_price": 10**12,
            "resources": [{"cpu_millis": cpu_cores * 1000, "memory_bytes": 1 << 30, "storage_bytes": 0,
                           "gpu": {"units": 0, "vendor": "", "model": ""}, "replicas": 1}]}


class FakeClient:
    """The chain as the bot reads it: open orders, this provider's bids, no leases."""

    def __init__(self):
        self.best = 10
        self.orders_now: dict[int, dict] = {}
        self.bids: dict[int, int] = {}
        self.submitted: list[int] = []
        self.substrate = types.SimpleNamespace(
            get_block_hash=lambda number: None,
            query=lambda module, item, params: types.SimpleNamespace(value=[]))

    def best_number(self):
        return self.best

    def params(self):
        return {"max_bids_per_order": 20, "bid_min_deposit": 1}

    def provider_bids(self, me):
        return dict(self.bids)

    def provider_leases(self, me):
        return {}

    def orders(self):
        return dict(self.orders_now)

    def deployment(self, dep):
        return {"owner": "5Tenant"}

    def submit(self, call, params, wait=True):
        assert call == "create_bid"
        self.submitted.append(params["order"])
        self.bids[100 + params["order"]] = params["order"]       # the bid lands in the next block


def test_open_bids_take_capacity_and_the_skip_is_logged_once(caplog):
    cfg = PricingConfig(host_uri="https://p.example", attributes={}, gpus=[], cpu_per_core=1, memory_per_gib=0,
                        storage_per_gib=0, gpu_prices={}, capacity=Capacity(2000, 8 << 30, 0, {}))
    bot = ProviderBot("ws://unused", "//Bob", cfg)
    bot.client, bot.me, bot.params = FakeClient(), ME, {"max_bids_per_order": 20, "bid_min_deposit": 1}
    caplog.set_level(logging.INFO, logger="agora.provider")

    bot.client.orders_now[1] = {"deployment": 1, "spec": _spec(2), "lease": None}
    bot.step()
    assert bot.client.submitted == [1]

    bot.client.best += 1                                             # a block later, a second 2-CPU order
    bot.client.orders_now[2] = {"deployment": 2, "spec": _spec(2), "lease": None}
    bot.step()
    bot.client.best += 1
    bot.step()
    assert bot.client.submitted == [1], "bid past capacity: both bids could win"
    skips = [r.getMessage() for r in caplog.records if "order 2 skipped" in r.getMessage()]
    assert len(skips) == 1 and "exceed capacity" in skips[0]

    del bot.client.orders_now[1]                                     # bid 1 lost: its order closed
    bot.client.bids.pop(101)
    bot.client.best += 1
    bot.step()
    assert bot.client.submitted == [1, 2]
