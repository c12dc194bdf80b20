"""The devnet as a Docker Swarm stack on a single-node swarm made on the local engine.

`docker stack deploy` of the rendered stack (overlay network, secrets, named volumes, deploy
sections); the validators finalize; a validator's task container removed is replaced by Swarm
and the new one resumes from the node's volume; then `docker stack rm` and `docker swarm leave
--force` put the engine back as it was."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from tools import devnet as dn
from tests.docker.conftest import container_status, wait_for
from tools.deploy import stack

pytestmark = pytest.mark.docker


class Stack:
    def __init__(self, engine, directory, image: str) -> None:
        self.engine = engine
        self.dir = directory
        self.name = f"agorast{uuid.uuid4().hex[:6]}"
        self.rpc_port = dn.free_port()
        stack.write(dn.load(), directory / "stack.yml", image=image, rpc_published_port=self.rpc_port)

    def docker(self, *args: str, **kw):
        import subprocess

        r = subprocess.run(["docker", *args], cwd=self.dir, env=self.engine.env, capture_output=True, text=True,
                           timeout=kw.get("timeout", 300))
        if kw.get("check", True) and r.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)}: {r.stderr[-2000:]}")
        return r

    def containers(self, service: str) -> list[str]:
        return self.docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={self.name}_{service}",
                           "--filter", "status=running").stdout.split()

    def finalized(self) -> int:
        try:
            return dn.node_status(self.rpc_port)["finalized"]
        except (OSError, RuntimeError, KeyError, ValueError):
            return -1


@pytest.fixture(scope="module")
def swarm(engine):
    state = engine.docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
    if state != "inactive":
        pytest.skip(f"the engine is already in a swarm ({state}); not touching it")
    engine.docker("swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:2377")
    try:
        node_id = engine.docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
        engine.docker("node", "update", "--label-add", f"{stack.PLACEMENT_LABEL}=true", node_id)
        yield engine
    finally:
        engine.docker("swarm", "leave", "--force", check=False)
        engine.docker("network", "rm", "docker_gwbridge", check=False)
    assert engine.docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip() == "inactive"


@pytest.fixture(scope="module")
def deployed(swarm, image, tmp_path_factory):
    st = Stack(swarm, tmp_path_factory.mktemp("stack"), image["tag"])
    try:
        st.docker("stack", "deploy", "-c", "stack.yml", st.name)
        yield st
    finally:
        for c in st.docker("ps", "-aq", "--filter", f"label=com.docker.stack.namespace={st.name}").stdout.split():
            print(st.docker("logs", "--tail", "15", c, check=False).stderr[-1500:])
        st.docker("stack", "rm", st.name, check=False)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (
                st.docker("ps", "-aq", "--filter", f"label=com.docker.stack.namespace={st.name}").stdout.strip()
                or st.docker("network", "ls", "-q", "--filter", f"name={st.name}_").stdout.strip()):
            time.sleep(1)
        volumes = st.docker("volume", "ls", "-q", "--filter", f"name={st.name}_").stdout.split()
        if volumes:
            st.docker("volume", "rm", *volumes, check=False)


def test_stack_services_are_what_was_rendered(deployed):
    services = json.loads(deployed.docker("stack", "services", deployed.name, "--format", "{{json .Name}}")
                          .stdout.replace("\n", ",").rstrip(",").join("[]"))
    assert sorted(services) == sorted(f"{deployed.name}_{n}" for n in ("alice", "bob", "charlie", "dave", "rpc"))
    spec = json.loads(deployed.docker("service", "inspect", f"{deployed.name}_alice").stdout)[0]["Spec"]
    assert spec["TaskTemplate"]["RestartPolicy"]["Condition"] == "any"
    files = {s["File"]["Name"] for s in spec["TaskTemplate"]["ContainerSpec"]["Secrets"]}
    assert "node-key" in files and len(files) == 2
    assert "--key" not in spec["TaskTemplate"]["ContainerSpec"]["Args"]


def test_validators_finalize(deployed):
    wait_for("the stack to finalize block #3", lambda: deployed.finalized() >= 3, 300)


def test_removed_task_is_restarted_and_resumes_from_its_volume(deployed):
    (old,) = wait_for("bob's task container", lambda: deployed.containers("bob"), 120)
    before = wait_for("bob's status", lambda: container_status(deployed.engine, old), 60)
    deployed.docker("rm", "-f", old)
    new = wait_for("Swarm to start a new task for bob",
                   lambda: [c for c in deployed.containers("bob") if c != old], 180)[0]
    first = wait_for("the new bob to answer", lambda: container_status(deployed.engine, new), 120, interval=0.5)
    assert first["best"] >= before["best"] > 0, (before, first)
    target = deployed.finalized()
    wait_for("bob to follow finality again",
             lambda: (s := container_status(deployed.engine, new)) and s["finalized"] >= target, 120)
