"""Keep-alive: a peer that goes silent is dropped within seconds and redialed when it is back.

The silent peer is a real OS process frozen with SIGSTOP: its kernel keeps the TCP
connection open (and even accepts new ones), only nothing answers, as over a cut link.
"""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

import trio

from p2p import PeerConnected, PeerDisconnected, load_or_generate_keypair, peer_id_of
from tests.p2p.helpers import make, running, wait_until
from tests.p2p.test_p2p_two_processes import _read_line

ROOT = pathlib.Path(__file__).resolve().parents[2]


async def _next_event(events, kind, timeout: float):
    with trio.fail_after(timeout):
        async for ev in events:
            if isinstance(ev, kind):
                return ev


async def test_frozen_peer_is_dropped_then_redialed(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-m", "tests.p2p._peer_proc", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(ROOT), env=env)
    try:
        buf = bytearray()
        with trio.fail_after(60):
            addr = (await _read_line(proc.stdout, buf)).split(" ", 1)[1]
        child = peer_id_of(load_or_generate_keypair(tmp_path))
        me = make(bootnodes=[addr], ping_interval=0.5, ping_timeout=2.0, dial_timeout=2.0)
        events = me.subscribe_events()
        async with running(me):
            await _next_event(events, PeerConnected, 30)
            await wait_until(lambda: me.counters["pings"] >= 2, 20)
            assert me.is_connected(child)
            proc.send_signal(signal.SIGSTOP)
            t0 = trio.current_time()
            gone = await _next_event(events, PeerDisconnected, 30)
            noticed = trio.current_time() - t0
            print(f"\nfrozen peer dropped after {noticed:.1f}s ({gone.reason})")
            assert gone.peer_id == child and "ping" in gone.reason
            assert me.counters["ping_timeouts"] >= 1 and me.counters["peers_unresponsive"] >= 1
            assert me.peers() == [] and me.stats()["peers"] == 0
            await trio.sleep(3)            # redials fail while it is frozen
            assert not me.is_connected(child)
            proc.send_signal(signal.SIGCONT)
            t1 = trio.current_time()
            back = await _next_event(events, PeerConnected, 40)
            print(f"redialed {trio.current_time() - t1:.1f}s after the peer woke up")
            assert back.peer_id == child and me.is_connected(child)
            me.stop()
        await proc.stdin.aclose()
        with trio.fail_after(15):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGCONT)
            proc.kill()
            with trio.move_on_after(5):
                await proc.wait()


async def test_healthy_peers_keep_pinging_and_stay():
    a, b = make(ping_interval=0.2, ping_timeout=2.0), make(ping_interval=0.2, ping_timeout=2.0)
    async with running(a, b):
        await a.connect(b.listen_addrs[0])
        await wait_until(lambda: a.counters["pings"] >= 5 and b.counters["pings"] >= 5, 20)
        assert a.is_connected(b.peer_id) and b.is_connected(a.peer_id)
        assert a.counters["ping_timeouts"] == 0 and a.counters["peers_unresponsive"] == 0
        assert a._peers[b.peer_id].rtt is not None and a._peers[b.peer_id].rtt < 2.0
