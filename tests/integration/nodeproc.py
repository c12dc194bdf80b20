"""Real node processes on 127.0.0.1 for integration tests."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc(port: int, method: str, params=None, timeout: float = 10.0):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


class NodeProcess:
    def __init__(self, base_path: pathlib.Path | None, *extra: str, block_time_ms: int = 1000, dev: bool = True):
        self.base_path = base_path
        self.extra = list(extra)
        self.block_time_ms = block_time_ms
        self.dev = dev
        self.rpc_port = free_port()
        self.prometheus_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-node-{self.rpc_port}.log"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.rpc_port}"

    def start(self, wait_blocks: int = 1) -> "NodeProcess":
        args = [sys.executable, "-m", "tools", "node", "--rpc-port", str(self.rpc_port),
                "--prometheus-port", str(self.prometheus_port), "--block-time", str(self.block_time_ms)]
        if self.dev:
            args.append("--dev")
        if self.base_path is not None:
            args += ["--base-path", str(self.base_path)]
        args += self.extra
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.wait_ready(wait_blocks)
        return self

    def wait_ready(self, wait_blocks: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"node exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                header = rpc(self.rpc_port, "chain_getHeader", timeout=2)["result"]
                if int(header["number"], 16) >= wait_blocks:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"node not ready:\n{self.log_path.read_text()[-3000:]}")

    def best_number(self) -> int:
        return int(rpc(self.rpc_port, "chain_getHeader")["result"]["number"], 16)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if hasattr(self, "_log"):
            self._log.close()

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if hasattr(self, "_log"):
            self._log.close()


class ToolProcesses:
    """Background `python -m ...` processes of a test (bots, validators), each logging to DIR/NAME.log."""

    def __init__(self, directory: pathlib.Path):
        self.dir = directory
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *argv: str) -> None:
        log = open(self.dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([sys.executable, *argv], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})

    def log(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-2500:]}" for name in self.procs)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
