"""Helpers shared by the market tests (no tests here)."""
from __future__ import annotations

import dataclasses

from runtime.frame.state import DictState
from runtime.pallets import balances, market, system
from runtime.pallets.market import storage as S
from runtime.pallets.market.types import Attribute, GpuSpec, GroupSpec, ResourceUnit
from tests.runtime import helpers
from tests.runtime.subtensor_setup import call, register as register_neurons, register_subnet, run_to_next_epoch, \
    spec_with, stake

TAO = 10**9
GiB = 1 << 30
VERSION = b"\x01" * 32

# Small, explicit parameters for tests (dev genesis has its own; tests set these through Root).
TEST_PARAMS = dict(min_deposit=TAO, bid_min_deposit=TAO // 10, provider_deposit=TAO, max_bids_per_order=3,
                   bidding_window=3, order_timeout=10, settlement_period=5, take_rate_bps=1_000,
                   max_tasks_per_block=1_000)


def fork(ext: helpers.TestExternalities) -> helpers.TestExternalities:
    """A copy of `ext` that re-initializes its current block from the same finalized base state
    (cheap: building a subnet with real epochs once, then forking it per test or example)."""
    copy = helpers.TestExternalities.__new__(helpers.TestExternalities)
    copy.runtime, copy.base, copy.number, copy.builder = ext.runtime, DictState(dict(ext.base.items)), ext.number - 1, None
    copy.next_block()
    return copy


def compute_subnet(providers: tuple[bytes, ...]) -> tuple[helpers.TestExternalities, int]:
    """A dev chain with a compute subnet (tempo 10) on which each provider's account is registered
    as its own hotkey, and one validator (Eve's hotkey, 1000 TAO staked) holding a permit."""
    ext = helpers.TestExternalities.dev(spec_with())
    netuid = register_subnet(ext)
    for who in providers:
        call(ext, who, "burned_register", netuid=netuid, hotkey=who)
    register_neurons(ext, netuid, ["Eve"])
    stake(ext, "Eve", netuid, 1000 * TAO)
    run_to_next_epoch(ext, netuid)
    return ext, netuid


def attrs(*pairs: tuple[str, str]) -> list[Attribute]:
    return [Attribute(k.encode(), v.encode()) for k, v in pairs]


def group(name: str = "web", max_price: int = 10**8, *, cpu: int = 1_000, mem: int = GiB, storage: int = GiB,
          gpus: int = 0, vendor: str = "", model: str = "", replicas: int = 1,
          requirements: list[tuple[str, str]] = (("region", "eu"),)) -> GroupSpec:
    return GroupSpec(name.encode(), attrs(*requirements),
                     [ResourceUnit(cpu, mem, storage, GpuSpec(gpus, vendor.encode(), model.encode()), replicas)],
                     max_price)


def market_ext(**overrides) -> helpers.TestExternalities:
    ext = helpers.TestExternalities.dev()
    p = dataclasses.replace(S.params(ext.state), **{**TEST_PARAMS, **overrides})
    ext.call(None, "Market", "set_params", params=p)
    return ext


def register(ext, who: bytes, *pairs: tuple[str, str], uri: str = "https://provider.example") -> None:
    ext.call(who, "Market", "register_provider", host_uri=uri.encode(),
             attributes=attrs(*(pairs or (("region", "eu"),))))


def deploy(ext, who: bytes, groups: list[GroupSpec] | None = None, deposit: int = TAO) -> int:
    dep_id = S.NextDeploymentId.get(ext.state)
    ext.call(who, "Market", "create_deployment", groups=groups or [group()], deposit=deposit, version=VERSION)
    return dep_id


def orders_of(ext, dep_id: int) -> list[int]:
    return list(S.Deployments.get(ext.state, dep_id).orders)


def bid(ext, who: bytes, order: int, price: int, deposit: int = TAO // 10) -> int:
    bid_id = S.NextBidId.get(ext.state)
    ext.call(who, "Market", "create_bid", order=order, price=price, deposit=deposit)
    return bid_id


def free(ext, who: bytes) -> int:
    return balances.free_balance(ext.ctx, who)


def reserved(ext, who: bytes) -> int:
    return balances.reserved_balance(ext.ctx, who)


def market_events(ext, cls=None) -> list:
    return [e for e in ext.events() if getattr(e, "pallet", None) is market.pallet and (cls is None or isinstance(e, cls))]


def total_balances(ext) -> int:
    return sum(info.data.free + info.data.reserved for _, info in system.Account.iter(ext.state))


def expected_reserves(ext) -> dict[bytes, int]:
    """What the market says each account has reserved with it."""
    out: dict[bytes, int] = {}

    def add(who, amount):
        out[who] = out.get(who, 0) + amount

    for (who,), provider in S.Providers.iter(ext.state):
        add(who, provider.deposit)
    for _, dep in S.Deployments.iter(ext.state):
        add(dep.owner, dep.escrow)
    for _, b in S.Bids.iter(ext.state):
        add(b.provider, b.deposit)
    for _, lease in S.Leases.iter(ext.state):
        add(lease.provider, lease.deposit)
    return out


def check_invariants(ext, issuance: int | None = None) -> None:
    """Issuance is the sum of balances (and unchanged); every reserve is accounted for by the market."""
    total = balances.TotalIssuance.get(ext.state)
    assert total == total_balances(ext)
    if issuance is not None:
        assert total == issuance
    expected = expected_reserves(ext)
    actual = {who: info.data.reserved for (who,), info in system.Account.iter(ext.state) if info.data.reserved}
    assert actual == {k: v for k, v in expected.items() if v}
    for (dep_id,), dep in S.Deployments.iter(ext.state):
        assert dep.rate == sum(S.Leases.get(ext.state, lease).price for lease in dep.leases)
        assert dep.rate == 0 or dep.escrow >= dep.rate, "an active deployment can pay its next block"
        for order_id in dep.orders:
            assert S.Orders.get(ext.state, order_id).deployment == dep_id
