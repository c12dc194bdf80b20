"""p2p: request/response round trips and notification throughput between two hosts.

Two ``p2p.NetworkService`` instances (TCP + Noise + Yamux on 127.0.0.1) run in ONE
process and one trio loop, so every number includes both ends' CPU on one core.
Baselines are measured in the same run on bare py-libp2p streams between two
plain hosts with the same transport stack (no framing, envelopes, limits):

* request rows: a bare echo handler (write 64 B, read the echo) on a reused
  stream / on a new stream per exchange;
* notification msgs/s rows: one ``stream.write`` per message on a bare stream
  (what a per-message sender without our batching would do);
* notification MB/s rows: bulk 256 KiB writes on a bare stream (transport ceiling).
"""
from __future__ import annotations

import time

TRIALS = 3
REQ_REUSED = 300
REQ_NEW = 60
SMALL = 1024
SMALL_N = 4000
LARGE = 100 * 1024
LARGE_N = 120
BULK_BYTES = 12 * 1024 * 1024

ECHO = "/agora-bench/echo/1"
NOTE = "/agora-bench/notify/1"
RAW = "/agora-bench/raw/1"


def _row(name, value, unit, baseline=None, baseline_name="", note="", lower=False):
    return {"benchmark": name, "value": value, "unit": unit, "baseline": baseline,
            "baseline_name": baseline_name, "lower_is_better": lower, "note": note}


class _Raw:
    """Two bare py-libp2p hosts and a sink/echo handler (the baselines)."""

    async def setup(self, nursery) -> None:
        import multiaddr
        from libp2p import new_host
        from libp2p.crypto.ed25519 import create_new_key_pair
        from libp2p.custom_types import TProtocol
        from libp2p.network.config import ConnectionConfig
        from libp2p.peer.peerinfo import info_from_p2p_addr

        self.proto = TProtocol(RAW)
        self.received = 0
        self.hosts = [new_host(key_pair=create_new_key_pair(),
                               connection_config=ConnectionConfig(max_connections_per_peer=1))
                      for _ in range(2)]
        listen = [multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/0")]
        for h in self.hosts:
            await nursery.start(self._run_host, h, listen)
        self.hosts[1].set_stream_handler(self.proto, self._handler)
        info = info_from_p2p_addr(self.hosts[1].get_addrs()[0])
        self.peer = info.peer_id
        await self.hosts[0].connect(info)
        self.stream = await self.hosts[0].new_stream(self.peer, [self.proto])

    async def _run_host(self, host, listen, task_status):
        import trio

        async with host.run(listen):
            task_status.started()
            await trio.sleep_forever()

    async def _handler(self, stream) -> None:
        while True:
            try:
                data = await stream.read(65536)
            except Exception:
                return
            if not data:
                return
            if data[:1] == b"E":
                await stream.write(data)
            else:
                self.received += len(data)

    async def rr_reused(self, n: int) -> float:
        msg = b"E" * 64
        t = time.perf_counter()
        for _ in range(n):
            await self.stream.write(msg)
            await self.stream.read(65536)
        return n / (time.perf_counter() - t)

    async def rr_new(self, n: int) -> float:
        msg = b"E" * 64
        t = time.perf_counter()
        for _ in range(n):
            s = await self.hosts[0].new_stream(self.peer, [self.proto])
            await s.write(msg)
            await s.read(65536)
            await s.close()
        return n / (time.perf_counter() - t)

    async def push(self, payload: bytes, count: int) -> float:
        """msgs/s of ``count`` writes of ``payload`` until all bytes arrived."""
        import trio

        self.received = 0
        s = await self.hosts[0].new_stream(self.peer, [self.proto])
        t = time.perf_counter()
        for _ in range(count):
            await s.write(payload)
        with trio.fail_after(120):
            while self.received < len(payload) * count:
                await trio.sleep(0.001)
        dt = time.perf_counter() - t
        await s.close()
        return count / dt

    async def close(self) -> None:
        for h in self.hosts:
            await h.close()


class _Svc:
    """Two p2p.NetworkService instances."""

    async def setup(self, nursery) -> None:
        from p2p import NetworkConfig, NetworkService

        def make():
            return NetworkService(NetworkConfig(listen_addrs=["/ip4/127.0.0.1/tcp/0"],
                                                enable_discovery=False))

        self.a, self.b = a, b = make(), make()

        async def echo(peer_id: str, req: bytes) -> bytes:
            return req

        b.register_request_handler(ECHO, echo, rate=1e9, burst=1e9)
        self.got = 0
        a.register_notification_protocol(NOTE, max_size=LARGE, rate=1e9, burst=1e9)
        b.register_notification_protocol(NOTE, self._on_note, max_size=LARGE, rate=1e9, burst=1e9)
        await nursery.start(a.run)
        await nursery.start(b.run)
        self.pid = await a.connect(b.listen_addrs[0])

    def _on_note(self, peer_id: str, payload: bytes) -> None:
        self.got += 1

    async def rr(self, n: int, reuse: bool) -> float:
        msg = b"E" * 64
        t = time.perf_counter()
        for _ in range(n):
            await self.a.request(self.pid, ECHO, msg, reuse_stream=reuse)
        return n / (time.perf_counter() - t)

    async def flood(self, size: int, count: int) -> float:
        import trio

        self.got = 0
        payload = b"N" * size
        t = time.perf_counter()
        for _ in range(count):
            await self.a.send(self.pid, NOTE, payload, wait=True)
        with trio.fail_after(120):
            while self.got < count:
                await trio.sleep(0.001)
        return count / (time.perf_counter() - t)

    def lost(self) -> int:
        st = self.a.stats()
        return st.get("notifications_dropped", 0) + st.get("notifications_failed", 0)

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()


async def _measure(trials: int) -> dict[str, float]:
    """Best of ``trials`` for every number; raw and service runs interleave so
    both see the same background load on this shared machine."""
    import trio

    best: dict[str, float] = {}

    def keep(key: str, value: float) -> None:
        best[key] = max(best.get(key, 0.0), value)

    async with trio.open_nursery() as nursery:
        raw, svc = _Raw(), _Svc()
        await raw.setup(nursery)
        await svc.setup(nursery)
        await raw.rr_reused(20)
        await svc.rr(20, True)
        await svc.flood(SMALL, 200)
        for _ in range(trials):
            keep("raw_rr_reused", await raw.rr_reused(REQ_REUSED))
            keep("rr_reused", await svc.rr(REQ_REUSED, True))
            keep("raw_rr_new", await raw.rr_new(REQ_NEW))
            keep("rr_new", await svc.rr(REQ_NEW, False))
            keep("raw_msgs_small", await raw.push(b"N" * SMALL, SMALL_N // 4))
            keep("msgs_small", await svc.flood(SMALL, SMALL_N))
            keep("raw_msgs_large", await raw.push(b"N" * LARGE, LARGE_N))
            keep("msgs_large", await svc.flood(LARGE, LARGE_N))
            chunk = b"N" * (256 * 1024)
            keep("raw_bulk_mbs", await raw.push(chunk, BULK_BYTES // len(chunk)) * len(chunk) / 1e6)
        best["lost"] = svc.lost()
        svc.stop()
        await raw.close()
        nursery.cancel_scope.cancel()
    return best


def bench() -> list[dict]:
    import trio

    m = trio.run(_measure, TRIALS)
    assert m["lost"] == 0, m
    note = f"best of {TRIALS}; both hosts in one process/core"
    small_mb = m["msgs_small"] * SMALL / 1e6
    large_mb = m["msgs_large"] * LARGE / 1e6
    return [
        _row("p2p request/response, reused stream (64 B)", m["rr_reused"], "req/s",
             m["raw_rr_reused"], "bare libp2p echo, reused stream", note),
        _row("p2p request/response, new stream per request (64 B)", m["rr_new"], "req/s",
             m["raw_rr_new"], "bare libp2p echo, new stream", note),
        _row("p2p notifications 1 KiB", m["msgs_small"], "msg/s",
             m["raw_msgs_small"], "bare stream, 1 write/msg", f"{SMALL_N} msgs/trial, send(wait=True), 0 lost"),
        _row("p2p notifications 1 KiB", small_mb, "MB/s",
             m["raw_bulk_mbs"], "bare stream, bulk 256 KiB writes", note),
        _row("p2p notifications 100 KiB", m["msgs_large"], "msg/s",
             m["raw_msgs_large"], "bare stream, 1 write/msg", f"{LARGE_N} msgs/trial, 0 lost"),
        _row("p2p notifications 100 KiB", large_mb, "MB/s",
             m["raw_bulk_mbs"], "bare stream, bulk 256 KiB writes", note),
    ]


if __name__ == "__main__":
    for r in bench():
        print(r)
