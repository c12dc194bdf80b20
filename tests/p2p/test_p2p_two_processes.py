"""Two OS processes talk over real TCP: request/response + notifications both ways."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import trio

from p2p import load_or_generate_keypair, peer_id_of
from tests.p2p.helpers import make, running, wait_until

ROOT = pathlib.Path(__file__).resolve().parents[2]
ECHO = "/agora-test/echo/1"
ANN = "/agora-test/announce/1"


async def _read_line(stream, buf: bytearray) -> str:
    while b"\n" not in buf:
        chunk = await stream.receive_some(4096)
        if not chunk:
            raise EOFError(bytes(buf).decode(errors="replace"))
        buf += chunk
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return line.decode()


async def test_two_os_processes(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = await trio.lowlevel.open_process(
        [sys.executable, "-m", "tests.p2p._peer_proc", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(ROOT), env=env)
    try:
        buf = bytearray()
        with trio.fail_after(60):
            line = await _read_line(proc.stdout, buf)
        assert line.startswith("LISTEN "), line
        addr = line.split(" ", 1)[1]
        # the child persisted its node key; the same file gives the same identity here
        child_id = peer_id_of(load_or_generate_keypair(tmp_path))
        assert addr.endswith("/p2p/" + child_id)

        me = make()
        back = []
        me.register_notification_protocol(ANN, lambda p, d: back.append(d))
        with trio.fail_after(30):
            async with running(me):
                assert await me.connect(addr) == child_id
                for i in range(50):
                    assert await me.request(child_id, ECHO, b"%d" % i) == b"child:%d" % i
                big = os.urandom(300_000)
                assert await me.request(child_id, ECHO, big) == b"child:" + big
                n = 500
                for i in range(n):
                    assert await me.send(child_id, ANN, i.to_bytes(4, "big") * 64, wait=True)
                await wait_until(lambda: len(back) == n, 20)
                assert back == [i.to_bytes(4, "big") * 64 for i in range(n)]
        await proc.stdin.aclose()
        with trio.fail_after(15):
            assert await _read_line(proc.stdout, buf) == "BYE"
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            with trio.move_on_after(5):
                await proc.wait()
