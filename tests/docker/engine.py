"""A Docker engine for the docker suites: the one that is running, or one we start and stop.

    python -m tests.docker.engine install    apt-get install docker.io docker-compose debootstrap (root, Debian)
    python -m tests.docker.engine check      say whether the suites can run here, and why not

When no engine answers and ``dockerd`` is installed (and we are root), ``Engine.start`` runs one
in the background with its own data root, exec root, socket and pidfile, after saving what it
changes on the host (iptables, ip_forward, network links); ``stop`` ends it by its pid and
restores them. The data root lives outside the repository (/var/cache/agora-docker), so images
and the build cache survive between runs on the same machine.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

CACHE = pathlib.Path(os.environ.get("AGORA_DOCKER_CACHE", "/var/cache/agora-docker"))
RUN_DIR = pathlib.Path("/run/agora-docker")
SOCKET = RUN_DIR / "docker.sock"
PACKAGES = ("docker.io", "docker-compose", "debootstrap")


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def _answers(host: str | None) -> bool:
    env = {**os.environ, **({"DOCKER_HOST": host} if host else {})}
    try:
        return _run(["docker", "version", "--format", "{{.Server.Version}}"], env=env, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def why_not() -> str | None:
    """None when an engine runs or can be started here; else one line saying why not."""
    if shutil.which("docker") is None:
        return "no docker client (make test-docker installs docker.io)"
    if _answers(os.environ.get("DOCKER_HOST")) or _answers(f"unix://{SOCKET}"):
        return None
    if shutil.which("dockerd") is None:
        return "no Docker engine answers and dockerd is not installed (make test-docker installs docker.io)"
    if os.geteuid() != 0:
        return "no Docker engine answers and starting dockerd needs root"
    return None


@dataclasses.dataclass
class HostNetState:
    """What dockerd changes on the host network, to put back when it stops."""
    iptables: str | None
    ip6tables: str | None
    ip_forward: str
    links: set[str]

    @classmethod
    def save(cls) -> "HostNetState":
        return cls(_save_tables("iptables-save"), _save_tables("ip6tables-save"),
                   pathlib.Path("/proc/sys/net/ipv4/ip_forward").read_text().strip(), _links())

    def restore(self) -> list[str]:
        """Put the host back; returns what could not be restored (empty when all was)."""
        problems = []
        for link in sorted(_docker_links(_links() - self.links)):
            r = _run(["ip", "link", "delete", link])
            if r.returncode != 0 and link in _links():
                problems.append(f"link {link}: {r.stderr.strip()}")
        for family, saved in (("ip", self.iptables), ("ip6", self.ip6tables)):
            if saved is not None:
                problems += _restore_tables(family, saved)
        try:
            pathlib.Path("/proc/sys/net/ipv4/ip_forward").write_text(self.ip_forward + "\n")
        except OSError as exc:
            problems.append(f"ip_forward: {exc}")
        if self.iptables is not None and _rules(_save_tables("iptables-save")) != _rules(self.iptables):
            problems.append("iptables rules differ from the saved ones")
        left = sorted(_docker_links(_links() - self.links))
        if left:
            problems.append(f"links left: {left}")
        return problems


def _save_tables(tool: str) -> str | None:
    if shutil.which(tool) is None:
        return None
    r = _run([tool])
    return r.stdout if r.returncode == 0 else None


def _restore_tables(family: str, saved: str) -> list[str]:
    """Put back the saved rules. iptables-restore rewrites only the tables it is given, so every
    table there now and not in ``saved`` (docker's nat and filter) is given empty, with ACCEPT
    policies, and then removed (nf_tables); what ``saved`` held is restored exactly."""
    prefix = "ip6tables" if family == "ip6" else "iptables"
    current = _save_tables(f"{prefix}-save") or ""
    saved_tables = set(re.findall(r"^\*(\w+)", saved, re.M))
    extra = []
    for block in re.findall(r"^\*(\w+)\n(.*?)^COMMIT", current, re.M | re.S):
        table, body = block
        if table in saved_tables:
            continue
        builtin = re.findall(r"^:(\S+) (?!-)\S+", body, re.M)
        extra.append((table, f"*{table}\n" + "".join(f":{c} ACCEPT [0:0]\n" for c in builtin) + "COMMIT\n"))
    r = _run([f"{prefix}-restore"], input="".join(text for _, text in extra) + saved)
    if r.returncode != 0:
        return [f"{prefix}-restore: {r.stderr.strip()}"]
    if shutil.which("nft"):
        for table, _ in extra:
            _run(["nft", "delete", "table", family, table])
    return []


def _docker_links(names: set[str]) -> set[str]:
    """The links dockerd makes (bridges, veths, overlay), not other programs' that came meanwhile."""
    return {n for n in names if n == "docker0" or n == "docker_gwbridge" or n.startswith(("br-", "veth", "vx-"))}


def _rules(text: str | None) -> list[str]:
    return sorted(line for line in (text or "").splitlines() if line.startswith("-A "))


def _links() -> set[str]:
    r = _run(["ip", "-o", "link", "show"])
    return {line.split(":")[1].strip().split("@")[0] for line in r.stdout.splitlines() if ":" in line}


class Engine:
    """``host`` is the DOCKER_HOST to talk to; ``env`` the environment for docker commands."""

    def __init__(self) -> None:
        self.host: str | None = None
        self.proc: subprocess.Popen | None = None
        self.saved: HostNetState | None = None
        self.log_path = RUN_DIR / "dockerd.log"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **({"DOCKER_HOST": self.host} if self.host else {})}

    @property
    def owned(self) -> bool:
        return self.proc is not None

    def start(self, timeout: float = 90.0) -> "Engine":
        reason = why_not()
        if reason:
            raise RuntimeError(reason)
        if _answers(os.environ.get("DOCKER_HOST")):
            self.host = os.environ.get("DOCKER_HOST")
            return self
        if _answers(f"unix://{SOCKET}"):   # left by an earlier run that could not stop it
            self.host = f"unix://{SOCKET}"
            return self
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        (CACHE / "data-root").mkdir(parents=True, exist_ok=True)
        self.saved = HostNetState.save()
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                ["dockerd", "--data-root", str(CACHE / "data-root"), "--exec-root", str(RUN_DIR / "exec"),
                 "-H", f"unix://{SOCKET}", "--pidfile", str(RUN_DIR / "dockerd.pid")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()
        self.host = f"unix://{SOCKET}"
        deadline = time.monotonic() + timeout
        while not _answers(self.host):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"dockerd did not start; its log ends with:\n{tail}")
            time.sleep(0.5)
        return self

    def stop(self, timeout: float = 60.0) -> list[str]:
        """Stop the engine we started and restore the host; returns what could not be restored."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        problems = self.saved.restore() if self.saved else []
        self.saved = None
        return problems

    def docker(self, *args: str, check: bool = True, timeout: float = 300.0,
               input: str | None = None) -> subprocess.CompletedProcess:
        r = _run(["docker", *args], env=self.env, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
        return r


def install() -> int:
    missing = [p for p in PACKAGES if _run(["dpkg", "-s", p]).returncode != 0]
    if not missing:
        return 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"cannot install {' '.join(missing)}: needs root and apt-get", file=sys.stderr)
        return 0   # the suites then skip, saying why
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        r = _run(cmd, env=env)
        if r.returncode != 0:
            print(f"{' '.join(cmd)} failed: {r.stderr.strip()[-1000:]}", file=sys.stderr)
            return 1
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["install"]:
        return install()
    if argv[:1] == ["check"]:
        reason = why_not()
        print(f"docker suites: {'can run' if reason is None else 'skipped: ' + reason}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
