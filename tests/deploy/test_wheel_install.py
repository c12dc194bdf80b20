"""`pip install .` (not editable) gives a working `agora devnet up`: every package and every data file
the tools read at run time (genesis/devnet.yaml, the dashboard's page) is in the wheel.

The wheel goes into a fresh venv with --no-deps; the dependencies come from the test's own environment
through a path entry placed after the venv's site-packages, so the installed agora — not this checkout —
is what runs (the test checks that too)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import sysconfig
import time
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    env = {**os.environ, "PIP_CONSTRAINT": str(ROOT / "deploy" / "docker" / "build-constraints.txt")}
    done = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
                env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("agora-*.whl")
    return path


def test_the_wheel_holds_every_package_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("node", "runtime", "primitives", "consensus", "p2p", "storage", "genesis", "tools"):
        assert f"{package}/__init__.py" in names
    for data in ("genesis/devnet.yaml", "tools/dashboard/static/index.html", "tools/dashboard/static/style.css"):
        assert data in names
    assert not any(n.startswith("tests/") for n in names)


def test_agora_devnet_up_from_a_non_editable_install(wheel, tmp_path):
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    done = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # the dependencies, not agora: a plain path line does not run the shared venv's editable-install hook
    (pathlib.Path(site) / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = _run([str(python), "-c", "import node, tools; print(node.__file__, tools.__file__)"], cwd=tmp_path)
    assert where.stdout.split() and all(p.startswith(site) for p in where.stdout.split()), where
    agora = str(venv / "bin" / "agora")
    base = tmp_path / "devnet"
    up = _run([agora, "devnet", "up", "--base-dir", str(base), "--validators", "2", "--free-ports", "--no-rpc-node",
               "--wait", "60"], cwd=tmp_path, timeout=120)
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        state = json.loads((base / "devnet.json").read_text())
        assert len(state["nodes"]) == 2
        deadline = time.monotonic() + 60
        finalized = 0
        while time.monotonic() < deadline and finalized < 2:
            status = _run([agora, "devnet", "status", "--base-dir", str(base), "--json"], cwd=tmp_path, timeout=30)
            rows = json.loads(status.stdout) if status.returncode == 0 and status.stdout.strip() else []
            finalized = min((row.get("finalized") or 0 for row in rows), default=0)
            time.sleep(1)
        assert finalized >= 2, f"the installed devnet did not finalize: {status.stdout[-1000:]} {status.stderr[-1000:]}"
    finally:
        _run([agora, "devnet", "down", "--base-dir", str(base)], cwd=tmp_path, timeout=60)
