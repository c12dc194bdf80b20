"""Shared helpers for the p2p network tests (real libp2p hosts on 127.0.0.1)."""
from __future__ import annotations

import socket
from contextlib import asynccontextmanager
from typing import AsyncIterator

import trio

from p2p import NetworkConfig, NetworkService

LOCAL = "/ip4/127.0.0.1/tcp/0"


def make(**kw) -> NetworkService:
    kw.setdefault("listen_addrs", [LOCAL])
    kw.setdefault("discovery_interval", 1.0)
    kw.setdefault("dial_backoff_initial", 0.2)
    kw.setdefault("dial_backoff_max", 1.0)
    kw.setdefault("handshake_timeout", 5.0)
    keypair = kw.pop("keypair", None)
    return NetworkService(NetworkConfig(**kw), keypair=keypair)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def running(*services: NetworkService) -> AsyncIterator[trio.Nursery]:
    async with trio.open_nursery() as nursery:
        try:
            for s in services:
                await nursery.start(s.run)
            yield nursery
        finally:
            for s in services:
                s.stop()


async def wait_until(pred, timeout: float = 10.0, interval: float = 0.02) -> None:
    with trio.fail_after(timeout):
        while not pred():
            await trio.sleep(interval)
