"""serve_axon / serve_prometheus: Axons and Prometheus hold real endpoints; checks in subtensor's order."""
from runtime.pallets.subtensor import Error, events
from runtime.pallets.subtensor import storage as S
from tests.runtime.subtensor_setup import call, ext_with, hot, register, register_subnet

IP = (192 << 24) | (168 << 16) | (1 << 8) | 7


def axon(ext, name, netuid, **over):
    args = {"netuid": netuid, "version": 7, "ip": IP, "port": 8091, "ip_type": 4, "protocol": 4,
            "placeholder1": 0, "placeholder2": 0, **over}
    call(ext, hot(name), "serve_axon", **args)


def test_serve_axon_and_prometheus_store_endpoints_and_respect_the_rate_limit():
    ext = ext_with()
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob"])
    axon(ext, "Bob", netuid)
    assert S.Axons.get(ext.state, netuid, hot("Bob")) == {
        "block": ext.number, "version": 7, "ip": IP, "port": 8091, "ip_type": 4, "protocol": 4,
        "placeholder1": 0, "placeholder2": 0}
    assert events.AxonServed(netuid, hot("Bob")) in ext.events()
    with ext.assert_noop(Error.ServingRateLimitExceeded):
        axon(ext, "Bob", netuid, port=9000)
    ext.run_to_block(ext.number + S.ServingRateLimit.get(ext.state, netuid))
    axon(ext, "Bob", netuid, port=9000)
    assert S.Axons.get(ext.state, netuid, hot("Bob"))["port"] == 9000
    call(ext, hot("Bob"), "serve_prometheus", netuid=netuid, version=1, ip=IP, port=7000, ip_type=4)
    assert S.Prometheus.get(ext.state, netuid, hot("Bob")) == {
        "block": ext.number, "version": 1, "ip": IP, "port": 7000, "ip_type": 4}


def test_serve_errors_in_order():
    ext = ext_with()
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob"])
    with ext.assert_noop(Error.HotKeyNotRegisteredInNetwork):
        axon(ext, "Eve", netuid, ip_type=5)
    with ext.assert_noop(Error.InvalidIpType):
        axon(ext, "Bob", netuid, ip_type=5)
    with ext.assert_noop(Error.InvalidIpAddress):
        axon(ext, "Bob", netuid, ip=0x7F000001)
    with ext.assert_noop(Error.InvalidPort):
        axon(ext, "Bob", netuid, port=0)
    axon(ext, "Bob", netuid, ip=0)                      # a zero address is allowed for axons (tests)
    with ext.assert_noop(Error.InvalidIpAddress):       # ... but not for prometheus
        call(ext, hot("Bob"), "serve_prometheus", netuid=netuid, version=1, ip=0, port=7000, ip_type=4)
