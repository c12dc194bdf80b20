"""Fixtures of the docker suites: an engine (started here when none runs), the project image.

Every test here is marked ``docker``; when no engine can run, they are skipped with the reason."""
from __future__ import annotations

import json
import time

import pytest

from tests.docker.engine import Engine, why_not


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/docker/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.docker)


_SKIPPED: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED:   # one line, also without -rs
        terminalreporter.write_line(_SKIPPED[0])


@pytest.fixture(scope="package")
def engine():
    reason = why_not()
    if reason:
        _SKIPPED[:] = [f"docker suites skipped: {reason}"]
        pytest.skip(_SKIPPED[0])
    eng = Engine().start()
    yield eng
    problems = eng.stop()
    assert not problems, f"the host was not restored after dockerd: {problems}"


@pytest.fixture(scope="package")
def image(engine):
    """The project image, built offline (debootstrap base + wheelhouse); its build figures."""
    from tools.deploy import image as img

    info = img.build("agora-node:test", env=engine.env)
    print(f"\nimage {info['tag']} FROM {info['base']}: {info['size_bytes'] / 1e6:.0f} MB, "
          f"docker build {info['seconds']:.0f} s")
    return info


NODE_STATUS = ("import json; from tools.devnet import node_status; "
               "print(json.dumps(node_status(9944)))")


def container_status(engine: Engine, container: str) -> dict | None:
    """best / finalized / peers of the node in ``container``, asked from inside it (None: not answering)."""
    r = engine.docker("exec", container, "python", "-c", NODE_STATUS, check=False, timeout=30)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def wait_for(what: str, probe, timeout: float, interval: float = 1.0):
    """Call ``probe`` until it returns something truthy; fail saying ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")
