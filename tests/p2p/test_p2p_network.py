"""NetworkService over real libp2p hosts (TCP + Noise + Yamux) on 127.0.0.1."""
from __future__ import annotations

import msgpack
import pytest
import trio

from p2p import (
    DialFailed, HandshakeRejected, PeerConnected, PeerDisconnected, PeerNotConnected,
    RequestRefused, RequestTimeout, RequestFailed,
)
from tests.p2p.helpers import free_port, make, running, wait_until

ECHO = "/agora-test/echo/1"
ANN = "/agora-test/announce/1"


async def test_request_response_round_trip():
    a, b = make(), make()
    seen = []

    async def echo(peer_id: str, req: bytes) -> bytes:
        seen.append(peer_id)
        if req == b"refuse":
            raise RequestRefused("not today", code=42)
        if req == b"crash":
            raise RuntimeError("boom")
        if req == b"slow":
            await trio.sleep(5)
        return b"echo:" + req

    b.register_request_handler(ECHO, echo, rate=1000, burst=1000)
    with trio.fail_after(20):
        async with running(a, b):
            pid = await a.connect(b.listen_addrs[0])
            assert pid == b.peer_id
            assert await a.request(pid, ECHO, b"hello") == b"echo:hello"
            assert seen == [a.peer_id]
            # reused stream, new stream, concurrent requests
            for i in range(20):
                assert await a.request(pid, ECHO, b"%d" % i) == b"echo:%d" % i
            assert await a.request(pid, ECHO, b"fresh", reuse_stream=False) == b"echo:fresh"
            results = {}

            async def one(i):
                results[i] = await a.request(pid, ECHO, b"c%d" % i)
            async with trio.open_nursery() as n:
                for i in range(10):
                    n.start_soon(one, i)
            assert results == {i: b"echo:c%d" % i for i in range(10)}
            # big payload both ways (1 MiB request limit by default)
            big = bytes(range(256)) * 3000
            assert await a.request(pid, ECHO, big) == b"echo:" + big
            # errors come back as RequestRefused; the stream stays usable
            with pytest.raises(RequestRefused) as ei:
                await a.request(pid, ECHO, b"refuse")
            assert ei.value.code == 42 and ei.value.reason == "not today"
            with pytest.raises(RequestRefused):
                await a.request(pid, ECHO, b"crash")
            with pytest.raises(RequestTimeout):
                await a.request(pid, ECHO, b"slow", timeout=0.3)
            assert await a.request(pid, ECHO, b"after") == b"echo:after"
            # unknown protocol / unknown peer
            with pytest.raises(RequestFailed):
                await a.request(pid, "/nobody/serves/this/1", b"x")
            with pytest.raises(PeerNotConnected):
                await a.request(make().peer_id, ECHO, b"x")
            # the response size limit is enforced on the requesting side
            with pytest.raises(RequestFailed):
                await a.request(pid, ECHO, b"y" * 5000, max_response_size=100)
            assert a.is_connected(pid) and b.is_connected(a.peer_id)


async def test_notifications_in_order_to_three_peers():
    N = 1000
    hub = make()
    hub.register_notification_protocol(ANN)
    leaves = [make() for _ in range(3)]
    got: dict[str, list[int]] = {}
    for leaf in leaves:
        got[leaf.peer_id] = []

        def on(peer_id, payload, _box=got[leaf.peer_id]):
            assert peer_id == hub.peer_id
            _box.append(int.from_bytes(payload[:4], "big"))
        leaf.register_notification_protocol(ANN, on)
    with trio.fail_after(30):
        async with running(hub, *leaves):
            for leaf in leaves:
                await hub.connect(leaf.listen_addrs[0])
            assert len(hub.peers()) == 3
            sent = 0
            for i in range(N):
                # 1000 in a tight loop, no sleeps: the 1024-deep per-peer queue holds them
                sent += await hub.broadcast(ANN, i.to_bytes(4, "big") + b"\x00" * 200)
            assert sent == 3 * N
            await wait_until(lambda: all(len(v) == N for v in got.values()), 20)
            for v in got.values():
                assert v == list(range(N))
            assert hub.stats().get("notifications_dropped", 0) == 0
            # exclude + send to one peer
            assert await hub.broadcast(ANN, b"\xff" * 4, exclude=[leaves[0].peer_id]) == 2
            assert await hub.send(leaves[0].peer_id, ANN, b"\xfe" * 4)
            await wait_until(lambda: len(got[leaves[0].peer_id]) == N + 1 and
                             all(len(got[l.peer_id]) == N + 1 for l in leaves[1:]))
            assert got[leaves[0].peer_id][-1] == 0xFEFEFEFE


async def test_bounded_queue_counts_drops_and_wait_applies_backpressure():
    a, b = make(), make()
    got = []
    a.register_notification_protocol(ANN, queue_size=8)
    b.register_notification_protocol(ANN, lambda p, d: got.append(d))
    with trio.fail_after(20):
        async with running(a, b):
            pid = await a.connect(b.listen_addrs[0])
            ok = [await a.send(pid, ANN, b"%d" % i) for i in range(100)]   # no await point in between
            assert ok.count(True) == 8 and ok.count(False) == 92
            assert a.stats()["notifications_dropped"] == 92
            assert a.peers()[0].dropped == 92
            for i in range(500):
                assert await a.send(pid, ANN, b"w%d" % i, wait=True)
            await wait_until(lambda: len(got) == 508)
            assert got[8:] == [b"w%d" % i for i in range(500)]
            with pytest.raises(ValueError):
                await a.send(pid, "/unregistered/1", b"")


async def test_peer_exchange_discovery():
    c = make()
    b = make(bootnodes=[])
    a = make()
    with trio.fail_after(30):
        async with running(c, b, a):
            await b.connect(c.listen_addrs[0])
            # A only knows B
            a.add_known_peer(b.peer_id, [b.listen_addrs[0].rsplit("/p2p/", 1)[0]], bootnode=True)
            await wait_until(lambda: c.peer_id in a.peer_ids(), 20)
            assert set(a.peer_ids()) == {b.peer_id, c.peer_id}
            assert a.stats()["pex_peers_learned"] >= 1
            assert a.peer_id in c.peer_ids()


async def test_bootnode_redial_and_persistent_identity(tmp_path):
    port = free_port()
    addr = f"/ip4/127.0.0.1/tcp/{port}"
    a1 = make(base_path=str(tmp_path), listen_addrs=[addr])
    ident = a1.peer_id
    b = make(bootnodes=[f"{addr}/p2p/{ident}"])
    events = b.subscribe_events()
    with trio.fail_after(30):
        async with trio.open_nursery() as outer:
            await outer.start(b.run)
            # the bootnode is not up yet: B keeps redialing with backoff
            async with running(a1):
                ev = await events.receive()
                assert isinstance(ev, PeerConnected) and ev.peer_id == ident
                assert ev.direction == "outbound"
            ev = await events.receive()
            assert isinstance(ev, PeerDisconnected) and ev.peer_id == ident
            # restart from the same base path: same identity, B redials it
            a2 = make(base_path=str(tmp_path), listen_addrs=[addr])
            assert a2.peer_id == ident
            async with running(a2):
                ev = await events.receive()
                assert isinstance(ev, PeerConnected) and ev.peer_id == ident
            b.stop()


def _genesis_validator(genesis: bytes):
    def validate(peer_id: str, role: str, payload: bytes):
        info = msgpack.unpackb(payload)
        if info["genesis"] != genesis:
            raise HandshakeRejected("genesis mismatch")
        return {"best": info["best"]}
    return validate


def _node(genesis: bytes, best: int, **kw):
    return make(handshake_payload=msgpack.packb({"genesis": genesis, "best": best}),
                handshake_validator=_genesis_validator(genesis), **kw)


async def test_handshake_exchanges_payload_and_rejects_other_genesis():
    a = _node(b"G" * 32, 10, role="authority")
    b = _node(b"G" * 32, 20)
    c = _node(b"X" * 32, 30)
    ev_a, ev_c = a.subscribe_events(), c.subscribe_events()
    with trio.fail_after(20):
        async with running(a, b, c):
            await a.connect(b.listen_addrs[0])
            ev = await ev_a.receive()
            assert ev == PeerConnected(b.peer_id, "full", "outbound", ev.handshake, {"best": 20})
            [pb] = b.peers()
            assert pb.peer_id == a.peer_id and pb.role == "authority" and pb.info == {"best": 10}
            b.set_peer_info(a.peer_id, {"best": 11})
            assert b.peer_info(a.peer_id) == {"best": 11}
            # other genesis, both directions
            with pytest.raises(DialFailed, match="genesis mismatch"):
                await a.connect(c.listen_addrs[0])
            with pytest.raises(DialFailed, match="genesis mismatch"):
                await c.connect(b.listen_addrs[0])
            await trio.sleep(0.3)
            assert c.peer_ids() == [] and set(a.peer_ids()) == {b.peer_id}
            assert b.peer_ids() == [a.peer_id]
            assert sum(s.stats().get("handshake_rejected", 0) for s in (a, b, c)) >= 2
            with pytest.raises(trio.WouldBlock):
                ev_c.receive_nowait()   # c never saw a "connected" peer
            with pytest.raises(trio.WouldBlock):
                ev_a.receive_nowait()


async def test_clean_shutdown_notifies_peers():
    a, b = make(), make()
    ev = b.subscribe_events()
    # No wall-clock bound on the shutdown itself: the 20 s limit is the check, because a peer that only
    # found out from a timeout would wait for request_idle_timeout (60 s) first.
    assert b.config.request_idle_timeout > 20
    with trio.fail_after(20):
        async with running(b):
            async with running(a):
                await a.connect(b.listen_addrs[0])
                assert isinstance(await ev.receive(), PeerConnected)
            e = await ev.receive()
            assert isinstance(e, PeerDisconnected) and e.peer_id == a.peer_id
            assert b.peers() == []


async def test_simultaneous_dials_give_one_peer_each_side():
    a, b = make(), make()
    ev_a, ev_b = a.subscribe_events(), b.subscribe_events()
    with trio.fail_after(20):
        async with running(a, b):
            async with trio.open_nursery() as n:
                n.start_soon(a.connect, b.listen_addrs[0])
                n.start_soon(b.connect, a.listen_addrs[0])
            await wait_until(lambda: a.peer_ids() == [b.peer_id] and b.peer_ids() == [a.peer_id])
            for ev in (ev_a, ev_b):
                assert isinstance(await ev.receive(), PeerConnected)
            await trio.sleep(0.5)      # room for a second connection to (wrongly) show up
            assert a.peer_ids() == [b.peer_id] and b.peer_ids() == [a.peer_id]
            for ev in (ev_a, ev_b):
                with pytest.raises(trio.WouldBlock):
                    ev.receive_nowait()


async def test_max_peers_rejects_extra_inbound():
    hub = make(max_peers=1, enable_discovery=False)
    x, y = make(enable_discovery=False), make(enable_discovery=False)
    with trio.fail_after(20):
        async with running(hub, x, y):
            await x.connect(hub.listen_addrs[0])
            with pytest.raises(DialFailed, match="too many peers"):
                await y.connect(hub.listen_addrs[0])
            assert hub.peer_ids() == [x.peer_id]


async def test_pooled_stream_closed_by_idle_server_is_retried():
    a, b = make(), make(request_idle_timeout=0.3)

    async def echo(peer_id, req):
        return req
    b.register_request_handler(ECHO, echo)
    with trio.fail_after(20):
        async with running(a, b):
            pid = await a.connect(b.listen_addrs[0])
            assert await a.request(pid, ECHO, b"1") == b"1"
            await trio.sleep(0.8)      # the server closes the idle pooled stream
            assert await a.request(pid, ECHO, b"2") == b"2"
            # registering a handler after start works too
            b.register_request_handler("/late/1", echo)
            assert await a.request(pid, "/late/1", b"3") == b"3"
