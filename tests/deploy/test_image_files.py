"""The node image gets every package the project installs: the Dockerfile copies each one and
.dockerignore lets it into the build context (a package left out breaks only `docker build`)."""
from __future__ import annotations

import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_installed_package_reaches_the_image():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in include}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    allowed = {line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")}
    assert packages <= copied, f"Dockerfile does not COPY {sorted(packages - copied)}"
    assert packages <= allowed, f".dockerignore keeps out {sorted(packages - allowed)}"
    assert all((ROOT / p / "__init__.py").exists() for p in packages)


def test_the_python_the_image_and_makefile_run_imports():
    """`python -c "from X import Y"` lines in the Dockerfile and Makefile name things that exist (a
    moved function breaks only `docker build` otherwise)."""
    import importlib

    snippets = re.findall(r'-c "from ([\w.]+) import (\w+)', (ROOT / "Dockerfile").read_text()
                          + (ROOT / "Makefile").read_text())
    assert snippets
    for module, name in snippets:
        assert hasattr(importlib.import_module(module), name), f"{module}.{name} (Dockerfile/Makefile) is gone"
