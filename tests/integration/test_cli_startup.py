"""The node's command line as operators and zombienet use it: Substrate's flags start the node, and each
mistake (bad flag, busy port) is one clear line on stderr and a non-zero exit, never a traceback."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from tests.integration.nodeproc import REPO, free_port, rpc

AGORA = [sys.executable, "-m", "tools"]


def run_agora(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*AGORA, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error" in line.lower()]


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("args, expected", [
    (["--rpc-port", "70000"], "port 70000 is out of range"),
    (["--prometheus-port", "-1"], "out of range"),
    (["-l", "loud"], "unknown level 'loud'"),
    (["--key", "not a key"], "--key: not a valid secret URI"),
    (["--bogus-flag"], "unrecognized arguments: --bogus-flag"),
])
def test_bad_flags_give_one_line_and_fail(args, expected):
    result = run_agora("node", "--dev", "--no-network", *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert expected in line


def test_validator_without_a_key(tmp_path):
    result = run_agora("node", "--chain", "local", "--validator", "--base-path", str(tmp_path), "--no-network")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert "--validator needs an authority key" in line


@pytest.mark.parametrize("flag", ["--rpc-port", "--prometheus-port", "--listen-addr"])
def test_busy_port_names_port_and_flag(flag, busy_port):
    ports = {"--rpc-port": "0", "--prometheus-port": "0"}
    value = f"/ip4/127.0.0.1/tcp/{busy_port}" if flag == "--listen-addr" else str(busy_port)
    ports[flag] = value
    args = [arg for pair in ports.items() for arg in pair]
    result = run_agora("node", "--dev", *args)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert str(busy_port) in line and ("--port" if flag == "--listen-addr" else flag) in line


def test_version_flag():
    result = run_agora("--version")
    assert result.returncode == 0 and result.stdout.startswith("agora ")
    assert run_agora("node", "-V").stdout == result.stdout


def test_help_documents_the_flags_without_effect():
    text = run_agora("node", "--help").stdout
    for flag in ("--no-mdns", "--no-telemetry", "--state-pruning", "--db-cache", "--sync"):
        assert flag in text
    assert text.count("no effect") >= 10


def test_zombienet_style_command_line_starts_the_node(tmp_path):
    rpc_port, p2p_port = free_port(), free_port()
    args = ["node", "--chain", "local", "--one", "--name", "alice", "--base-path", str(tmp_path),
            "--rpc-port", str(rpc_port), "--prometheus-port", str(free_port()),
            "--listen-addr", f"/ip4/127.0.0.1/tcp/{p2p_port}/ws", "--rpc-cors", "all", "--rpc-methods", "Unsafe",
            "--no-mdns", "--no-telemetry", "--telemetry-url", "wss://telemetry.example/submit 0",
            "--state-pruning", "archive", "--blocks-pruning", "archive-canonical", "--sync", "Full",
            "--force-authoring", "--in-peers", "25", "--out-peers", "25", "--db-cache", "128",
            "--allow-private-ip", "--disable-log-color", "--rpc-max-connections", "100",
            "--rpc-max-request-size", "15", "--rpc-max-response-size", "15",
            "--rpc-max-subscriptions-per-connection", "1024", "--rpc-rate-limit", "100",
            "-lsync=trace,runtime=debug", "-l", "info", "--block-time", "1000"]
    proc = subprocess.Popen([*AGORA, *args], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        number = 0
        while number < 1:
            assert proc.poll() is None, proc.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "no block authored"
            try:
                number = int(rpc(rpc_port, "chain_getHeader", timeout=2)["result"]["number"], 16)
            except OSError:
                pass
            time.sleep(0.3)
        assert rpc(rpc_port, "system_name")["result"]
        addrs = rpc(rpc_port, "system_localListenAddresses")["result"]
        assert any(f"/tcp/{p2p_port}/" in a for a in addrs)
    finally:
        proc.terminate()
        proc.wait(20)
