"""Manifests and the provider endpoint in-process: signed, hash-checked, run inside the lease's limits, stopped.

Every refusal (wrong signer, bad signature, hash not the deployment's version, a lease that is not the
provider's) answers its HTTP error and starts nothing.
"""
from __future__ import annotations

import json
import os
import time

import pytest
import trio
from substrateinterface import Keypair

from primitives.ss58 import ss58_decode
from tools.compute_validator.http import get, get_json, post_json, serve
from tools.workload.endpoint import LeaseInfo, ProviderEndpoint
from tools.workload.manifest import ManifestRejected, envelope, manifest_hash, open_envelope, parse_services
from tools.workload.runner import Limits, Runner

ALICE, BOB = Keypair.create_from_uri("//Alice"), Keypair.create_from_uri("//Bob")
MiB = 1 << 20

MANIFEST = b"""deposit: 1TAO
groups:
  web:
    max_price: 1000000
    resources: [{cpu: 1, memory: 256Mi, storage: 1Gi, replicas: 1}]
services:
  web:
    command: [python3, -m, http.server, "${PORT}", --bind, 127.0.0.1]
    env: {GREETING: hello}
    expose: [8080]
"""


def _info(raw: bytes = MANIFEST, owner: Keypair = ALICE, group: str = "web", memory: int = 256 * MiB) -> LeaseInfo:
    return LeaseInfo(ss58_decode(owner.ss58_address), manifest_hash(raw), group, Limits(1000, memory))


def test_services_parse_and_ports_fill_the_command():
    (service,) = parse_services(MANIFEST).values()
    assert service.group == "web" and service.expose == (8080,) and dict(service.env) == {"GREETING": "hello"}
    assert service.argv({8080: 40123}) == ["python3", "-m", "http.server", "40123", "--bind", "127.0.0.1"]
    assert service.port_env({8080: 40123}) == {"PORT": "40123", "PORT_8080": "40123"}
    for bad, why in [(b"groups: {}\n", "no `services`"), (b"services: {web: {env: {}}}\n", "command or an image"),
                     (b"services: {web: {command: [x], expose: [70000]}}\n", "bad or repeated port"),
                     (b"services: [", "not YAML")]:
        with pytest.raises(ManifestRejected, match=why) as exc:
            parse_services(bad)
        assert exc.value.status == 400


def test_envelope_checks_owner_signature_hash_and_lease():
    owner, version = ss58_decode(ALICE.ss58_address), manifest_hash(MANIFEST)
    assert open_envelope(envelope(ALICE, 7, MANIFEST), 7, owner, version) == MANIFEST
    cases = [
        (envelope(BOB, 7, MANIFEST), 7, owner, version, 403, "not signed by the deployment's owner"),
        ({**envelope(ALICE, 7, MANIFEST), "signature": envelope(ALICE, 8, MANIFEST)["signature"]}, 7, owner,
         version, 403, "bad signature"),
        (envelope(ALICE, 7, MANIFEST + b"# changed\n"), 7, owner, version, 409, "does not match"),
        (envelope(ALICE, 7, MANIFEST), 9, owner, version, 400, "not 9"),
        ({"lease": 7, "manifest": "!!", "signer": ALICE.ss58_address, "signature": "0x00"}, 7, owner, version,
         400, "malformed"),
    ]
    for doc, lease, who, ver, status, why in cases:
        with pytest.raises(ManifestRejected, match=why) as exc:
            open_envelope(doc, lease, who, ver)
        assert exc.value.status == status


async def _endpoint(nursery, tmp_path):
    runner = Runner(root=str(tmp_path))
    endpoint = ProviderEndpoint(BOB.ss58_address, "http://127.0.0.1:0", runner)
    port = await nursery.start(serve, endpoint.handle, 0)
    return endpoint, f"http://127.0.0.1:{port}"


async def _until_answers(url: str, timeout: float = 20.0) -> bytes:
    deadline = trio.current_time() + timeout
    while True:
        try:
            status, body = await get(url, 2.0)
            if status == 200:
                return body
        except Exception:  # noqa: BLE001 (not listening yet)
            if trio.current_time() > deadline:
                raise
        await trio.sleep(0.1)


def test_a_signed_manifest_runs_answers_probes_and_stops_with_its_lease(tmp_path):
    async def main():
        async with trio.open_nursery() as nursery:
            endpoint, base = await _endpoint(nursery, tmp_path)
            endpoint.set_leases({7: _info()})
            assert (await get_json(f"{base}/leases/7/status", 5))[1]["state"] == "awaiting manifest"
            assert (await get(f"{base}/leases/7", 5))[0] == 404          # nothing runs yet: the probe fails
            status, answer = await post_json(f"{base}/leases/7/manifest", envelope(ALICE, 7, MANIFEST), 10)
            assert status == 200, answer
            assert answer["state"] == "running" and answer["limits"] == {"cpu_millis": 1000,
                                                                          "memory_bytes": 256 * MiB}
            listing = await _until_answers(answer["service_uri"] + "/")
            assert b"service.log" in listing                            # http.server lists its working dir
            status, probe = await get_json(f"{base}/leases/7", 5)
            assert status == 200 and probe == {"service_uri": answer["service_uri"],
                                                "manifest": "0x" + manifest_hash(MANIFEST).hex()}
            again = (await post_json(f"{base}/leases/7/manifest", envelope(ALICE, 7, MANIFEST), 10))[1]
            assert again["pid"] == answer["pid"]                         # sent twice: still one service
            pid = answer["pid"]
            assert endpoint.set_leases({}) == [7]                        # the lease closed
            assert endpoint.runner.ports.taken == set()                  # and its port may serve another
            assert (await get(f"{base}/leases/7/status", 5))[0] == 404
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
            nursery.cancel_scope.cancel()
    trio.run(main)


def test_refused_manifests_run_nothing(tmp_path):
    async def main():
        async with trio.open_nursery() as nursery:
            endpoint, base = await _endpoint(nursery, tmp_path)
            endpoint.set_leases({7: _info()})
            cases = [(7, envelope(BOB, 7, MANIFEST), 403), (7, envelope(ALICE, 7, MANIFEST + b"#\n"), 409),
                     (8, envelope(ALICE, 8, MANIFEST), 404), (7, {"lease": 7}, 400)]
            for lease, doc, want in cases:
                status, answer = await post_json(f"{base}/leases/{lease}/manifest", doc, 10)
                assert status == want and answer["error"], (lease, status, answer)
            status, _ = await get(f"{base}/leases/7/manifest", 5)
            assert status == 405
            assert endpoint.runner.workloads == {} and os.listdir(tmp_path) == []
            nursery.cancel_scope.cancel()
    trio.run(main)


def test_the_service_runs_inside_the_lease_limits(tmp_path):
    probe = (b"services:\n  web:\n    command: [python3, -c, \"import os, resource; print(len(os.sched_getaffinity(0)), "
             b"resource.getrlimit(resource.RLIMIT_AS)[0], os.environ['GREETING'], flush=True); "
             b"bytearray(512 << 20)\"]\n    env: {GREETING: hi}\n")
    runner = Runner(root=str(tmp_path))
    workload = runner.start(3, parse_services(probe)["web"], Limits(1000, 128 * MiB))
    assert workload.process.wait(30) != 0                 # 512 MiB does not fit in a 128 MiB lease
    assert workload.state() == f"exited ({workload.process.returncode})"
    log = (tmp_path / "lease-3" / "service.log").read_text()
    assert log.splitlines()[0] == f"1 {128 * MiB} hi"     # one core, the lease's memory, the manifest's env
    assert "MemoryError" in log
    with pytest.raises(ManifestRejected, match="no container runtime") as exc:
        runner.start(4, parse_services(b"services: {web: {image: nginx:1.27}}\n")["web"], Limits(1000, 128 * MiB))
    assert exc.value.status == 422
    with pytest.raises(ManifestRejected, match="not found"):
        runner.start(5, parse_services(b"services: {web: {command: [no-such-binary-here], expose: [80]}}\n")["web"],
                     Limits(1000, 128 * MiB))
    assert runner.ports.taken == {workload.ports[i] for i in workload.service.expose}   # none kept by the refusal


def test_closing_kills_the_whole_process_group(tmp_path):
    spawner = (b"services:\n  web:\n    command: [sh, -c, \"sleep 300 & echo $! > child.pid; wait\"]\n")
    runner = Runner(root=str(tmp_path))
    runner.start(1, parse_services(spawner)["web"], Limits(1000, 256 * MiB))
    pid_file = tmp_path / "lease-1" / "child.pid"
    deadline = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    assert runner.retain(set()) == [1]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
            with open(f"/proc/{child}/stat") as stat:
                if stat.read().split()[2] == "Z":                # reaped by init later: dead
                    break
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the service's child {child} outlived its lease")
    assert json.dumps(runner.workloads) == "{}"
