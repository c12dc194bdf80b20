"""Misbehaving peers lose reputation, get banned and cannot reconnect; nobody crashes."""
from __future__ import annotations

import multiaddr
import pytest
import trio

from p2p import (
    NOTIFICATION_STREAM_PROTOCOL, DialFailed, PeerDisconnected, RequestFailed, RequestRefused,
)
from p2p import envelope as env
from p2p.framing import encode_frame, encode_uvarint
from tests.p2p.helpers import make, running, wait_until

ANN = "/agora-test/announce/1"
ECHO = "/agora-test/echo/1"


async def _raw_stream(svc, peer_id: str, protocol: str):
    from libp2p.custom_types import TProtocol
    from libp2p.peer.id import ID

    return await svc._host.new_stream(ID.from_base58(peer_id), [TProtocol(protocol)])


# Per-peer buckets: a burst of 50 notifications and 5 requests, refilled so slowly (one token per
# 1000 s) that nothing refills while a test runs, however slowly a loaded machine runs it.
SLOW_REFILL = 0.001


def _good_node():
    good = make()
    got = []
    good.register_notification_protocol(ANN, lambda p, d: got.append((p, d)), max_size=1024,
                                        rate=SLOW_REFILL, burst=50)

    async def echo(peer_id, req):
        return req
    good.register_request_handler(ECHO, echo, max_request_size=1024, rate=SLOW_REFILL, burst=5)
    return good, got


async def _assert_still_serving(good, witness):
    """A well-behaved peer still gets answers and notifications through."""
    assert await witness.request(good.peer_id, ECHO, b"still here") == b"still here"
    assert witness.is_connected(good.peer_id)


async def _assert_banned_and_refused(good, bad, bad_events):
    await wait_until(lambda: bad.peer_id not in good.peer_ids())
    assert good.is_banned(bad.peer_id)
    with trio.fail_after(5):
        while True:
            ev = await bad_events.receive()
            if isinstance(ev, PeerDisconnected):
                break
    # reconnect attempts are refused
    with pytest.raises(DialFailed):
        await bad.connect(good.listen_addrs[0])
    await trio.sleep(0.2)
    assert bad.peer_id not in good.peer_ids()
    assert good.stats()["refused_banned"] >= 1
    assert good.stats()["bans"] == 1


async def test_garbage_frames_get_peer_banned():
    good, got = _good_node()
    bad, witness = make(), make()
    witness.register_notification_protocol(ANN)
    bad_events = bad.subscribe_events()
    with trio.fail_after(30):
        async with running(good, bad, witness):
            await witness.connect(good.listen_addrs[0])
            await bad.connect(good.listen_addrs[0])
            garbage = [
                b"\xff" * 16,                                   # endless varint
                encode_frame(b"\xc1\xc1\xc1"),                  # not msgpack
                encode_frame(env.encode_request(b"x")),         # wrong envelope kind
                encode_frame(b"\x92\x01"),                      # truncated msgpack array
            ]
            for junk in garbage:
                if good.is_banned(bad.peer_id):
                    break
                try:
                    s = await _raw_stream(bad, good.peer_id, NOTIFICATION_STREAM_PROTOCOL)
                    await s.write(junk)
                    await trio.sleep(0.05)
                except Exception:
                    break   # already disconnected
            await wait_until(lambda: good.is_banned(bad.peer_id))
            assert good.stats()["malformed_frames"] >= 3
            await _assert_banned_and_refused(good, bad, bad_events)
            await _assert_still_serving(good, witness)
            assert await witness.send(good.peer_id, ANN, b"ok")
            await wait_until(lambda: (witness.peer_id, b"ok") in got)


async def test_oversize_messages_get_peer_banned():
    good, got = _good_node()
    bad, witness = make(), make()
    bad.register_notification_protocol(ANN, max_size=1 << 20)
    bad_events = bad.subscribe_events()
    with trio.fail_after(30):
        async with running(good, bad, witness):
            await witness.connect(good.listen_addrs[0])
            pid = await bad.connect(good.listen_addrs[0])
            # oversize requests: the server resets the stream, the client sees a failure
            for _ in range(2):
                with pytest.raises(RequestFailed):
                    await bad.request(pid, ECHO, b"x" * 100_000, timeout=5)
            assert good.reputation.get(bad.peer_id) < -700
            # an oversize notification frame finishes it off
            s = await _raw_stream(bad, pid, NOTIFICATION_STREAM_PROTOCOL)
            try:
                await s.write(encode_frame(env.encode_notification(ANN, b"y" * 50_000)))
            except Exception:
                pass
            await wait_until(lambda: good.is_banned(bad.peer_id))
            assert good.stats()["notifications_oversize"] >= 1
            assert good.stats()["requests_oversize"] == 2
            assert got == []
            await _assert_banned_and_refused(good, bad, bad_events)
            await _assert_still_serving(good, witness)


async def test_too_fast_peer_is_rate_limited_then_banned():
    good, got = _good_node()
    bad, witness = make(), make()
    bad.register_notification_protocol(ANN)
    bad_events = bad.subscribe_events()
    with trio.fail_after(30):
        async with running(good, bad, witness):
            await witness.connect(good.listen_addrs[0])
            pid = await bad.connect(good.listen_addrs[0])
            # requests: burst of 5, then rate-limit errors (a small cost each)
            answers = []
            for i in range(8):
                try:
                    answers.append(await bad.request(pid, ECHO, b"%d" % i))
                except RequestRefused as exc:
                    answers.append(exc.code)
            assert answers == [b"0", b"1", b"2", b"3", b"4"] + [env.ERR_RATE_LIMITED] * 3
            # notification flood: 50 pass the bucket, the excess costs 20 each -> ban
            for i in range(2000):
                if not await bad.send(pid, ANN, b"%d" % i, wait=True):
                    break
            await wait_until(lambda: good.is_banned(bad.peer_id))
            assert len(got) == 50
            assert good.stats()["notifications_rate_limited"] >= 40
            await _assert_banned_and_refused(good, bad, bad_events)
            await _assert_still_serving(good, witness)


async def test_garbage_handshake_from_raw_libp2p_host():
    """A libp2p peer that never speaks our handshake properly is dropped."""
    from libp2p import new_host
    from libp2p.crypto.ed25519 import create_new_key_pair
    from libp2p.custom_types import TProtocol
    from libp2p.network.config import ConnectionConfig
    from libp2p.peer.peerinfo import info_from_p2p_addr

    from p2p import HANDSHAKE_PROTOCOL

    good, _ = _good_node()
    raw = new_host(key_pair=create_new_key_pair(),
                   connection_config=ConnectionConfig(max_connections_per_peer=1))
    with trio.fail_after(30):
        async with running(good):
            async with raw.run([multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]):
                info = info_from_p2p_addr(multiaddr.Multiaddr(good.listen_addrs[0]))
                await raw.connect(info)
                s = await raw.new_stream(info.peer_id, [TProtocol(HANDSHAKE_PROTOCOL)])
                await s.write(encode_uvarint(5) + b"\xc1\xc1\xc1\xc1\xc1")
                await wait_until(lambda: not raw.get_network().get_connections(info.peer_id))
                assert good.reputation.get(raw.get_id().to_base58()) < 0
                assert good.peer_ids() == []
                await raw.close()
