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


def test_identities():
    from tests.runtime.helpers import ALICE, BOB, FERDIE

    ext = ext_with()
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob"])
    chain = {"name": b"bob", "url": b"https://bob.example", "github_repo": b"", "image": b"", "discord": b"",
             "description": b"a validator", "additional": b""}
    with ext.assert_noop(Error.HotKeyNotRegisteredInNetwork):
        ext.call(FERDIE, "SubtensorModule", "set_identity", **chain)
    with ext.assert_noop(Error.InvalidIdentity):
        ext.call(BOB, "SubtensorModule", "set_identity", **{**chain, "name": b"x" * 257})
    ext.call(BOB, "SubtensorModule", "set_identity", **chain)  # `name` is a field: not via call()
    assert S.IdentitiesV2.get(ext.state, BOB) == chain
    assert events.ChainIdentitySet(BOB) in ext.events()
    subnet = {"subnet_name": b"demo", "github_repo": b"", "subnet_contact": b"", "subnet_url": b"", "discord": b"",
              "description": b"a test subnet", "logo_url": b"", "additional": b""}
    with ext.assert_noop(Error.NotSubnetOwner):
        call(ext, BOB, "set_subnet_identity", netuid=netuid, **subnet)
    call(ext, ALICE, "set_subnet_identity", netuid=netuid, **subnet)
    assert S.SubnetIdentitiesV3.get(ext.state, netuid) == subnet


def test_register_network_with_identity():
    from tests.runtime.helpers import BOB

    ext = ext_with()
    subnet = {"subnet_name": b"sn", "github_repo": b"g", "subnet_contact": b"c", "subnet_url": b"u",
              "discord": b"d", "description": b"x", "logo_url": b"l", "additional": b"a"}
    with ext.assert_noop(Error.InvalidIdentity):
        call(ext, BOB, "register_network_with_identity", hotkey=hot("Bob"), identity={**subnet, "discord": b"d" * 300})
    call(ext, BOB, "register_network_with_identity", hotkey=hot("Bob"), identity=subnet)
    netuid = max(n for (n,), added in S.NetworksAdded.iter(ext.state) if added)
    assert S.SubnetIdentitiesV3.get(ext.state, netuid) == subnet and S.SubnetOwner.get(ext.state, netuid) == BOB
    assert events.SubnetIdentitySet(netuid) in ext.events()
