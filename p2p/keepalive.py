"""Keep-alive: libp2p ping (``/ipfs/ping/1.0.0``) on every handshaken peer.

A TCP connection over a link that went silent (cable pulled, partition, peer
frozen) stays "established" for many minutes: nothing reads from it, and writes
only fill the kernel buffer.  Each side therefore pings every peer every
``ping_interval`` seconds on one long-lived stream (32 random bytes, echoed by
py-libp2p's built-in handler) and declares the peer dead when an answer takes
longer than ``ping_timeout``, or two pings in a row fail: the node drops it at
once (event, counts) and the dialer redials it with the usual backoff.
"""
from __future__ import annotations

import logging
import random
import secrets
from typing import TYPE_CHECKING, Any

import trio

from p2p.reputation import Rep

if TYPE_CHECKING:
    from p2p.peer import _Peer
    from p2p.service import NetworkService

log = logging.getLogger("agora.p2p")

PING_PROTOCOL = "/ipfs/ping/1.0.0"
PING_LENGTH = 32
MAX_STREAM_ERRORS = 2


async def _read_exactly(stream: Any, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = await stream.read(n - len(out))
        if not chunk:
            raise EOFError("ping stream closed")
        out += chunk
    return out


async def _reset(stream: Any) -> None:
    with trio.CancelScope(shield=True), trio.move_on_after(1):
        try:
            await stream.reset()
        except Exception as exc:   # the connection may already be gone
            log.debug("ping stream reset: %r", exc)


async def ping_loop(svc: "NetworkService", peer: "_Peer") -> None:
    """Ping ``peer`` until it closes; drop it when it stops answering."""
    from libp2p.custom_types import TProtocol

    cfg = svc.config
    if cfg.ping_interval <= 0:
        return
    stream: Any = None
    errors = 0
    try:
        while not peer.closed:
            # jitter, so the pings of many peers do not all fall on one tick
            await trio.sleep(cfg.ping_interval * random.uniform(0.8, 1.0))
            if peer.closed:
                return
            sent = secrets.token_bytes(PING_LENGTH)
            failure: str | None = None
            started = trio.current_time()
            with trio.move_on_after(cfg.ping_timeout) as scope:
                try:
                    if stream is None:
                        stream = await svc._host.new_stream(peer.pid, [TProtocol(PING_PROTOCOL)])
                    await stream.write(sent)
                    echoed = await _read_exactly(stream, PING_LENGTH)
                except Exception as exc:   # stream reset / closed / connection gone: libp2p raises many kinds
                    failure = f"ping failed: {type(exc).__name__}"
                    echoed = b""
            if scope.cancelled_caught:
                svc.counters["ping_timeouts"] += 1
                svc._drop_unresponsive(peer, f"ping timeout ({cfg.ping_timeout:g}s)")
                return
            if failure is None and echoed != sent:
                svc.report_peer(peer.id, Rep.BAD_RESPONSE, "wrong ping echo")
                failure = "wrong ping echo"
            if failure is not None:
                if stream is not None:
                    await _reset(stream)
                stream = None
                errors += 1
                svc.counters["ping_failures"] += 1
                if errors >= MAX_STREAM_ERRORS and not peer.closed:
                    svc._drop_unresponsive(peer, failure)
                    return
                continue
            errors = 0
            peer.rtt = trio.current_time() - started
            svc.counters["pings"] += 1
    finally:
        if stream is not None:
            await _reset(stream)
