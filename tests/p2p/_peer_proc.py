"""Child process of test_p2p_two_processes: a NetworkService that echoes.

Prints ``LISTEN <multiaddr>`` once started and exits cleanly when stdin closes.
"""
from __future__ import annotations

import os
import sys

import trio

from p2p import NetworkConfig, NetworkService

ECHO = "/agora-test/echo/1"
ANN = "/agora-test/announce/1"


async def main(base_path: str) -> None:
    svc = NetworkService(NetworkConfig(listen_addrs=["/ip4/127.0.0.1/tcp/0"], base_path=base_path))

    async def echo(peer_id: str, req: bytes) -> bytes:
        return b"child:" + req

    async def bounce(peer_id: str, payload: bytes) -> None:
        await svc.send(peer_id, ANN, payload, wait=True)

    svc.register_request_handler(ECHO, echo, rate=1e6, burst=1e6)
    svc.register_notification_protocol(ANN, bounce)
    async with trio.open_nursery() as nursery:
        await nursery.start(svc.run)
        print("LISTEN", svc.listen_addrs[0], flush=True)
        stdin = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
        while await stdin.receive_some(1024):
            pass
        svc.stop()
    print("BYE", flush=True)


if __name__ == "__main__":
    trio.run(main, sys.argv[1])
