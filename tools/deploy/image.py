"""The project's Docker image, built without network access inside the build.

    python -m tools.deploy.image base [--tag agora-base:bookworm]     the base image, from debootstrap
    python -m tools.deploy.image wheelhouse                           .wheelhouse/ from the pinned versions
    python -m tools.deploy.image build [--tag agora-node:latest]      base + wheelhouse + docker build

No image registry has to be reachable: the base image is a Debian root filesystem made by
``debootstrap`` and ``docker import``ed (its tarball is cached in /var/cache/agora-docker), and
``pip`` in the Dockerfile installs only from the wheelhouse built here by ``pip wheel``: agora's
dependencies at the versions constraints.txt pins (the project's pins, which `make` installs too),
and the build backend at the versions deploy/docker/build-constraints.txt pins. Set AGORA_DOCKER_BASE to use another base image instead: it needs
Python 3.11 with venv and libgmp10, as the wheels are built for this machine's Debian release.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / "constraints.txt"
BUILD_CONSTRAINTS = REPO / "deploy" / "docker" / "build-constraints.txt"
WHEELHOUSE = REPO / ".wheelhouse"
CACHE = pathlib.Path(os.environ.get("AGORA_DOCKER_CACHE", "/var/cache/agora-docker"))
SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "libgmp10")
BASE_TAG = f"agora-base:{SUITE}"
IMAGE_TAG = "agora-node:latest"
# What the image does not need from the rootfs debootstrap makes
SLIM_PATHS = ("var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale",
              "usr/share/info")


class ImageError(RuntimeError):
    """A step of the image build failed; the message says which and why."""


def _run(cmd: list[str], *, env: dict | None = None, timeout: float = 1800, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, **kw)
    if r.returncode != 0:
        raise ImageError(f"{' '.join(cmd[:4])} ... failed ({r.returncode}): {(r.stderr or r.stdout).strip()[-3000:]}")
    return r


def _apt_mirror() -> str | None:
    """The Debian mirror this machine's apt uses (debootstrap's own default otherwise)."""
    for path in [pathlib.Path("/etc/apt/sources.list"), *sorted(pathlib.Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            m = re.match(r"\s*(?:URIs:\s*|deb\s+(?:\[[^]]*]\s+)?)(\S+/debian)/?\s*", line)
            if m and "security" not in line:
                return m.group(1)
    return None


def rootfs_tarball() -> pathlib.Path:
    """A slim Debian root filesystem as a tar, made once by debootstrap and kept in the cache."""
    key = hashlib.sha256(f"{SUITE} {' '.join(BASE_PACKAGES)} {' '.join(SLIM_PATHS)}".encode()).hexdigest()[:12]
    tarball = CACHE / f"rootfs-{SUITE}-{key}.tar"
    if tarball.exists():
        return tarball
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is not installed (apt-get install debootstrap)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        root = pathlib.Path(tmp) / "rootfs"
        mirror = _apt_mirror()
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE, str(root),
              *([mirror] if mirror else [])])
        for rel in SLIM_PATHS:
            target = root / rel
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
        partial = tarball.with_suffix(".partial")
        _run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."])
        partial.replace(tarball)
    return tarball


def docker(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return _run(["docker", *args], env=env, **kw)


def image_exists(tag: str, env: dict | None = None) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True, env=env).returncode == 0


def base_image(env: dict | None = None, tag: str = BASE_TAG) -> str:
    """The base image's name: AGORA_DOCKER_BASE, or ``tag`` (imported from the rootfs when missing)."""
    if os.environ.get("AGORA_DOCKER_BASE"):
        return os.environ["AGORA_DOCKER_BASE"]
    if not image_exists(tag, env):
        tarball = rootfs_tarball()
        with open(tarball, "rb") as f:
            _run(["docker", "import", "--change", "CMD [\"/bin/bash\"]", "-", tag], env=env, stdin=f)
    return tag


def requirements() -> list[str]:
    """agora's runtime requirements (pyproject.toml) and its build backend's."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    build = [line.split("==")[0].strip() for line in BUILD_CONSTRAINTS.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return [*project["project"]["dependencies"], *build]


def wheelhouse(python: str = sys.executable) -> pathlib.Path:
    """Wheels for agora's dependencies and its build backend, at the pinned versions.

    Wheels already in the directory are reused (pip finds them there first), so only what is
    new is downloaded or built (fastecdsa builds from source: it needs libgmp-dev and a compiler)."""
    WHEELHOUSE.mkdir(exist_ok=True)
    _run([python, "-m", "pip", "wheel", "-q", "--wheel-dir", str(WHEELHOUSE), "--find-links", str(WHEELHOUSE),
          "--constraint", str(CONSTRAINTS), "--constraint", str(BUILD_CONSTRAINTS), *requirements()])
    return WHEELHOUSE


def build(tag: str = IMAGE_TAG, env: dict | None = None, base: str | None = None) -> dict:
    """Build the image; returns {tag, base, seconds, size_bytes}."""
    base = base or base_image(env)
    wheelhouse()
    start = time.monotonic()
    docker("build", "--build-arg", f"BASE={base}", "-t", tag, str(REPO), env=env)
    seconds = time.monotonic() - start
    size = int(docker("image", "inspect", "--format", "{{.Size}}", tag, env=env).stdout.strip())
    return {"tag": tag, "base": base, "seconds": seconds, "size_bytes": size}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.deploy.image", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("base").add_argument("--tag", default=BASE_TAG)
    sub.add_parser("wheelhouse")
    sub.add_parser("build").add_argument("--tag", default=IMAGE_TAG)
    args = p.parse_args(argv)
    try:
        if args.cmd == "base":
            print(base_image(tag=args.tag))
        elif args.cmd == "wheelhouse":
            print(f"{wheelhouse()}: {len(list(WHEELHOUSE.glob('*.whl')))} wheels")
        elif args.cmd == "build":
            info = build(args.tag)
            print(f"{info['tag']} (FROM {info['base']}): {info['size_bytes'] / 1e6:.0f} MB, "
                  f"built in {info['seconds']:.0f} s")
    except (ImageError, subprocess.TimeoutExpired, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
