"""serve_axon / serve_prometheus (`subnets/serving.rs`): a registered hotkey publishes its endpoints,
at most once per `ServingRateLimit` blocks (0: no limit), in subtensor's check order.

    serve_axon 4:        registered (HotKeyNotRegisteredInNetwork), ip_type 4|6 (InvalidIpType),
                         ip valid - zero allowed for tests (InvalidIpAddress), rate limit
                         (ServingRateLimitExceeded), port != 0 (InvalidPort)
    serve_prometheus 5:  ip_type, ip valid and non-zero, registered, rate limit, port != 0
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure, ensure_signed
from runtime.frame.pallet import CallWeight
from runtime.frame.state import StateReader
from primitives.scale import U8, U16, U32, U128

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import AxonServed, PrometheusServed
from runtime.pallets.subtensor.pallet import pallet

U32_MAX = (1 << 32) - 1
U128_MAX = (1 << 128) - 1
ENDPOINT = [("netuid", U16, "NetUid"), ("version", U32, "u32"), ("ip", U128, "u128"), ("port", U16, "u16"),
            ("ip_type", U8, "u8")]


def is_valid_ip_address(ip_type: int, addr: int, allow_zero: bool) -> bool:
    if not allow_zero and addr == 0:
        return False
    if ip_type == 4 and (addr >= U32_MAX or addr == 0x7F000001):
        return False
    if ip_type == 6 and addr in (U128_MAX, 1):
        return False
    return True


def passes_rate_limit(state: StateReader, netuid: int, last_block: int, now: int) -> bool:
    limit = S.ServingRateLimit.get(state, netuid)
    return limit == 0 or last_block == 0 or now - last_block >= limit


@pallet.call(4, [*ENDPOINT, ("protocol", U8, "u8"), ("placeholder1", U8, "u8"), ("placeholder2", U8, "u8")],
             weight=CallWeight(20_000_000), pays_fee=False)
def serve_axon(ctx: BlockContext, origin: Origin, netuid: int, version: int, ip: int, port: int, ip_type: int,
               protocol: int, placeholder1: int, placeholder2: int) -> None:
    """Publish the caller hotkey's axon endpoint on `netuid`."""
    hotkey = ensure_signed(origin)
    state = ctx.state
    ensure(S.Uids.contains(state, netuid, hotkey), Error.HotKeyNotRegisteredInNetwork)
    ensure(ip_type in (4, 6), Error.InvalidIpType)
    ensure(is_valid_ip_address(ip_type, ip, True), Error.InvalidIpAddress)
    previous = S.Axons.get(state, netuid, hotkey)
    ensure(passes_rate_limit(state, netuid, previous["block"] if previous else 0, ctx.block_number),
           Error.ServingRateLimitExceeded)
    ensure(port != 0, Error.InvalidPort)
    S.Axons.insert(state, netuid, hotkey, {
        "block": ctx.block_number, "version": version, "ip": ip, "port": port, "ip_type": ip_type,
        "protocol": protocol, "placeholder1": placeholder1, "placeholder2": placeholder2})
    ctx.deposit_event(AxonServed(netuid, hotkey))


@pallet.call(5, ENDPOINT, weight=CallWeight(20_000_000), pays_fee=False)
def serve_prometheus(ctx: BlockContext, origin: Origin, netuid: int, version: int, ip: int, port: int,
                     ip_type: int) -> None:
    """Publish the caller hotkey's prometheus endpoint on `netuid`."""
    hotkey = ensure_signed(origin)
    state = ctx.state
    ensure(ip_type in (4, 6), Error.InvalidIpType)
    ensure(is_valid_ip_address(ip_type, ip, False), Error.InvalidIpAddress)
    ensure(S.Uids.contains(state, netuid, hotkey), Error.HotKeyNotRegisteredInNetwork)
    previous = S.Prometheus.get(state, netuid, hotkey)
    ensure(passes_rate_limit(state, netuid, previous["block"] if previous else 0, ctx.block_number),
           Error.ServingRateLimitExceeded)
    ensure(port != 0, Error.InvalidPort)
    S.Prometheus.insert(state, netuid, hotkey, {"block": ctx.block_number, "version": version, "ip": ip,
                                                "port": port, "ip_type": ip_type})
    ctx.deposit_event(PrometheusServed(netuid, hotkey))
