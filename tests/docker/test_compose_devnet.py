"""The compose devnet for real: 4 validators + an RPC node in containers, from the rendered
docker-compose file, with docker-compose (1.29 here; Compose v2 where that is installed).

Finality advances; a killed validator restarts from its volume; cutting 2 of 4 validators off
the network (`docker network disconnect`) stops finality, and reconnecting them resumes it."""
from __future__ import annotations

import os
import pathlib
import shutil
import time
import uuid

import pytest

from tools import devnet as dn
from tests.docker.conftest import container_status, wait_for
from tools.deploy import compose

pytestmark = pytest.mark.docker


class ComposeDevnet:
    def __init__(self, engine, directory: pathlib.Path, image: str) -> None:
        self.engine = engine
        self.dir = directory
        self.project = f"agoratest{uuid.uuid4().hex[:8]}"
        self.devnet = dn.load()
        self.rpc_port = dn.free_port()
        compose.write(self.devnet, directory / "docker-compose.yml", image=image, build=False, keys_dir="keys")
        if shutil.which("docker-compose"):
            self.cmd = ["docker-compose"]
        else:
            self.cmd = ["docker", "compose"]

    def compose(self, *args: str, check: bool = True, timeout: float = 300):
        import subprocess

        r = subprocess.run([*self.cmd, "-p", self.project, *args], cwd=self.dir, capture_output=True, text=True,
                           timeout=timeout, env={**self.engine.env, "AGORA_RPC_PORT": str(self.rpc_port)})
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(self.cmd)} {' '.join(args)}: {r.stderr[-2000:]}")
        return r

    def container(self, service: str) -> str:
        return self.compose("ps", "-q", service).stdout.strip()

    @property
    def network(self) -> str:
        return f"{self.project}_devnet"

    def rpc_status(self) -> dict | None:
        try:
            return dn.node_status(self.rpc_port)
        except (OSError, RuntimeError, KeyError, ValueError):
            return None

    def finalized(self) -> int:
        status = self.rpc_status()
        return -1 if status is None else status["finalized"]

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "40", check=False).stdout[-6000:]


@pytest.fixture(scope="module")
def devnet(engine, image, tmp_path_factory):
    net = ComposeDevnet(engine, tmp_path_factory.mktemp("compose"), image["tag"])
    try:
        net.compose("up", "-d")
        yield net
    finally:
        print(net.logs())
        net.compose("down", "-v", "--remove-orphans", check=False)


def test_rpc_is_published_on_loopback_only(devnet):
    rpc = devnet.container("rpc")
    bindings = devnet.engine.docker("port", rpc, "9944/tcp").stdout.split()
    assert bindings and all(b.startswith("127.0.0.1:") for b in bindings), bindings


def test_finality_advances_and_keys_stay_off_command_lines(devnet):
    wait_for("the RPC node to finalize block #3", lambda: devnet.finalized() >= 3, 240)
    for name in ("alice", "bob", "charlie", "dave"):
        status = wait_for(f"{name} to answer", lambda: container_status(devnet.engine, devnet.container(name)), 60)
        assert status["peers"] >= 1
        cmdline = devnet.engine.docker("inspect", "--format", "{{json .Config.Cmd}}", devnet.container(name)).stdout
        entry = next(v for v in devnet.devnet["validators"] if v["name"] == name)
        assert entry["node_key"] not in cmdline and entry["key"] not in cmdline and '"--key"' not in cmdline


def test_killed_validator_restarts_from_its_volume(devnet):
    alice = devnet.container("alice")
    before = wait_for("alice's status", lambda: container_status(devnet.engine, alice), 60)
    devnet.engine.docker("kill", alice)
    fin = devnet.finalized()
    wait_for("finality to go on with 3 of 4 validators", lambda: devnet.finalized() >= fin + 2, 120)
    devnet.engine.docker("start", alice)
    first = wait_for("alice to answer again", lambda: container_status(devnet.engine, alice), 120, interval=0.5)
    # the chain it had is still there: it did not start again from genesis
    assert first["best"] >= before["best"] > 0, (before, first)
    target = devnet.finalized()
    wait_for("alice to catch up with the finalized chain",
             lambda: (s := container_status(devnet.engine, alice)) and s["finalized"] >= target and s["peers"] >= 1,
             120)


def test_partition_stops_finality_and_healing_resumes_it(devnet):
    ips = compose.addresses(devnet.devnet, [n for n in _nodes(devnet)])
    wait_for("finality before the partition", lambda: devnet.finalized() >= 1, 120)
    cut = ("alice", "bob")
    for name in cut:
        devnet.engine.docker("network", "disconnect", devnet.network, devnet.container(name))
    time.sleep(10)          # votes already in flight may still finalize a block or two
    frozen = devnet.finalized()
    best = devnet.rpc_status()["best"]
    time.sleep(24)          # 12 slots: 2 of 4 validators cannot finalize anything
    assert devnet.finalized() == frozen, "finality went on with 2 of 4 validators cut off"
    assert devnet.rpc_status()["best"] > best, "charlie and dave stopped authoring"
    for name in cut:
        devnet.engine.docker("network", "connect", "--ip", ips[name], devnet.network, devnet.container(name))
    wait_for("finality to resume after the heal", lambda: devnet.finalized() >= frozen + 2, 180)


def _nodes(devnet):
    from tools.deploy import topology

    return topology.nodes(devnet.devnet)


def test_compose_file_is_what_docker_compose_accepts(devnet):
    config = devnet.compose("config").stdout
    assert "name:" not in config.split("services:")[0]
    assert os.path.exists(devnet.dir / "keys" / "alice" / "node-key")
