"""The market CLI's parsing and the provider bot's pricing and eligibility (no node needed).
Eligibility must agree with the pallet's own checks, or a bot would pay fees for bids the
chain rejects."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from tools.market_cli import MarketError, format_tao, load_deployment, parse_amount, parse_cpu, parse_size
from tools.provider_bot import PricingConfig, can_serve, fits, load_pricing, price_for, Capacity
from runtime.pallets.market.calls import attributes_satisfy, gpus_satisfy
from runtime.pallets.market.types import Attribute, GpuSpec, GroupSpec, ResourceUnit

GiB = 1 << 30


def test_parse_amounts_sizes_cpu():
    assert parse_amount("5TAO") == 5 * 10**9 and parse_amount("0.5 tao") == 5 * 10**8
    assert parse_amount("123rao") == 123 and parse_amount(7) == 7 * 10**9
    assert parse_amount("1_000", default_unit="rao") == 1000
    for bad in ("0.0000000001TAO", "5 dollars", "", True):
        with pytest.raises(MarketError):
            parse_amount(bad)
    assert parse_size("4Gi") == 4 * GiB and parse_size("512Mi") == 512 << 20 and parse_size("1G") == 10**9
    assert parse_size(1024) == 1024
    assert parse_cpu(2) == 2000 and parse_cpu("0.5") == 500 and parse_cpu("250m") == 250
    assert format_tao(1_500_000_000) == "1.5 TAO" and format_tao(10**9) == "1 TAO"


def test_load_deployment(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("""deposit: 2TAO
groups:
  web:
    attributes: {region: eu}
    max_price: 0.05TAO
    resources:
      - {cpu: 1.5, memory: 2Gi, storage: 10Gi, replicas: 2}
      - {cpu: 500m, memory: 512Mi, gpu: {units: 1, vendor: nvidia}}
""")
    groups, deposit, version = load_deployment(str(path))
    assert deposit == 2 * 10**9 and len(version) == 32
    (g,) = groups
    assert g["name"] == "web" and g["max_price"] == 5 * 10**7
    assert g["requirements"] == [{"key": "region", "value": "eu"}]
    assert g["resources"][0] == {"cpu_millis": 1500, "memory_bytes": 2 * GiB, "storage_bytes": 10 * GiB,
                                 "gpu": {"units": 0, "vendor": "", "model": ""}, "replicas": 2}
    assert g["resources"][1]["gpu"] == {"units": 1, "vendor": "nvidia", "model": "*"}
    path.write_text("groups: {}\n")
    with pytest.raises(MarketError):
        load_deployment(str(path))


def _cfg(**kw) -> PricingConfig:
    base = dict(host_uri="h", attributes={"region": "eu", "tier": "gold"}, gpus=["nvidia/h100", "nvidia/a100"],
                cpu_per_core=1000, memory_per_gib=100, storage_per_gib=10,
                gpu_prices={"nvidia/h100": 50_000, "nvidia/a100": 30_000})
    return PricingConfig(**{**base, **kw})


def _spec(cpu=1000, mem=GiB, storage=GiB, gpus=0, vendor="", model="", replicas=1, req=(("region", "eu"),),
          max_price=10**9):
    return {"name": "g", "requirements": [{"key": k, "value": v} for k, v in req], "max_price": max_price,
            "resources": [{"cpu_millis": cpu, "memory_bytes": mem, "storage_bytes": storage,
                           "gpu": {"units": gpus, "vendor": vendor, "model": model}, "replicas": replicas}]}


def test_price_per_resource():
    cfg = _cfg()
    assert price_for(cfg, _spec()) == 1000 + 100 + 10
    assert price_for(cfg, _spec(cpu=1500, mem=2 * GiB, storage=0, replicas=3)) == 3 * (1500 + 200)
    assert price_for(cfg, _spec(cpu=1, mem=1, storage=0)) == 1 + 1  # each term rounds up
    # a wildcard model is priced at the cheapest matching model offered
    assert price_for(cfg, _spec(gpus=2, vendor="nvidia", model="*")) == 1110 + 2 * 30_000
    assert price_for(cfg, _spec(gpus=1, vendor="nvidia", model="h100")) == 1110 + 50_000
    assert price_for(_cfg(gpu_prices={}), _spec(gpus=1, vendor="nvidia", model="h100")) is None
    assert price_for(_cfg(margin_bps=1_000), _spec()) == 1221  # +10%, rounded up


def test_capacity():
    cfg = _cfg(capacity=Capacity(4000, 8 * GiB, 100 * GiB, {"nvidia/h100": 2}))
    assert fits(cfg, _spec(cpu=2000), [_spec(cpu=2000)])
    assert not fits(cfg, _spec(cpu=2001), [_spec(cpu=2000)])
    assert not fits(cfg, _spec(gpus=1, vendor="nvidia", model="h100", replicas=3), [])


def test_load_pricing(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("""host_uri: https://x
attributes: {region: eu}
gpus: [nvidia/h100]
pricing: {cpu_per_core: 5, gpu: {nvidia/h100: 0.001TAO}}
bid_deposit: 0.2TAO
capacity: {cpu: 8, memory: 32Gi, storage: 1Ti, gpus: {nvidia/h100: 4}}
""")
    cfg = load_pricing(str(path))
    assert cfg.gpu_prices == {"nvidia/h100": 10**6} and cfg.bid_deposit == 2 * 10**8
    assert cfg.capacity.cpu_millis == 8000
    assert cfg.attribute_list() == [{"key": "region", "value": "eu"}, {"key": "gpu", "value": "nvidia/h100"}]
    path.write_text("host_uri: x\npricing: {}\n")
    with pytest.raises(MarketError):
        load_pricing(str(path))


words = st.sampled_from(["eu", "us", "*", "nvidia", "amd", "h100", "mi300"])


@settings(max_examples=200, deadline=None)
@given(offered=st.lists(st.tuples(st.sampled_from(["region", "tier"]), words), max_size=3),
       gpus=st.lists(st.tuples(st.sampled_from(["nvidia", "amd"]), st.sampled_from(["h100", "a100", "mi300"])),
                     max_size=2),
       required=st.lists(st.tuples(st.sampled_from(["region", "tier", "zone"]), words), max_size=2),
       gpu=st.one_of(st.none(), st.tuples(words, words)))
def test_bot_eligibility_agrees_with_the_pallet(offered, gpus, required, gpu):
    cfg = _cfg(attributes={}, gpus=[f"{v}/{m}" for v, m in gpus])
    cfg.attributes = {}
    attrs = [{"key": k, "value": v} for k, v in offered]
    cfg.attribute_list = lambda: attrs + [{"key": "gpu", "value": g} for g in cfg.gpus]
    spec = _spec(req=required, gpus=1 if gpu else 0, vendor=gpu[0] if gpu else "", model=gpu[1] if gpu else "")
    chain_attrs = [Attribute(a["key"].encode(), a["value"].encode()) for a in cfg.attribute_list()]
    chain_spec = GroupSpec(b"g", [Attribute(k.encode(), v.encode()) for k, v in required],
                           [ResourceUnit(1000, GiB, GiB, GpuSpec(1 if gpu else 0, (gpu or ("", ""))[0].encode(),
                                                                 (gpu or ("", ""))[1].encode()), 1)], 10**9)
    chain_ok = attributes_satisfy(chain_attrs, chain_spec.requirements) and gpus_satisfy(chain_attrs, chain_spec)
    assert can_serve(cfg, spec)[0] == chain_ok
