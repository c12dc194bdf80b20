"""Manifests: what a tenant's deployment runs, sent off-chain to the provider that won its lease.

The manifest is the deployment file itself, byte for byte: its blake2b-256 is the deployment's
on-chain `version` (`agora market deploy create` stores it), so a provider can check that what it
is asked to run is what the tenant put on chain, as Akash's `send-manifest` checks the manifest
against the deployment version. Beyond `groups` (what the market auctions) it carries `services`,
one per group, like the services of Akash's SDL:

    services:
      web:                                  # the group this service runs in
        command: [python3, -m, http.server, "${PORT}", --bind, 127.0.0.1]
        env: {GREETING: hello}
        expose: [8080]                      # ports the service listens on (inside its sandbox)

The provider gives each exposed port a free host port and passes it in the environment as
`PORT` (the first) and `PORT_<n>` (each exposed port n); `${PORT}` and `${PORT_<n>}` in the
command are replaced with them. `image` instead of `command` asks for a container runtime.

The envelope a tenant sends (JSON, POST {host_uri}/leases/{lease}/manifest):

    {"lease": 7, "manifest": "<base64 of the file>", "signer": "<SS58>", "signature": "0x<64 bytes>"}

`signature` is the signer's sr25519 signature of `signing_message(lease, blake2b-256(file))`;
the provider accepts it only from the deployment's owner.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

DOMAIN = b"agora/manifest/v1"
MAX_MANIFEST = 256 << 10
PLACEHOLDER = re.compile(r"\$\{(PORT(?:_\d+)?)\}")


class ManifestRejected(Exception):
    """Why a provider refuses a manifest; `status` is the HTTP status it answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(frozen=True)
class Service:
    group: str
    command: tuple[str, ...]
    image: str | None
    env: tuple[tuple[str, str], ...]
    expose: tuple[int, ...]

    def argv(self, ports: dict[int, int]) -> list[str]:
        """The command with `${PORT}`/`${PORT_<n>}` replaced by the host ports the provider allocated."""
        env = self.port_env(ports)
        return [PLACEHOLDER.sub(lambda m: env.get(m.group(1), m.group(0)), arg) for arg in self.command]

    def port_env(self, ports: dict[int, int]) -> dict[str, str]:
        out = {f"PORT_{inner}": str(host) for inner, host in ports.items()}
        if self.expose:
            out["PORT"] = str(ports[self.expose[0]])
        return out


def manifest_hash(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=32).digest()


def signing_message(lease: int, digest: bytes) -> bytes:
    return DOMAIN + lease.to_bytes(8, "little") + digest


def parse_services(raw: bytes) -> dict[str, Service]:
    """The `services` of a deployment file, by group; ManifestRejected(400) if malformed."""
    import yaml

    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ManifestRejected(400, f"manifest is not YAML: {exc}") from None
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict) or not services:
        raise ManifestRejected(400, "manifest has no `services` mapping")
    out = {}
    for group, spec in services.items():
        if not isinstance(spec, dict):
            raise ManifestRejected(400, f"service {group!r} is not a mapping")
        command, image = spec.get("command"), spec.get("image")
        if isinstance(command, str):
            command = command.split()
        if command is not None and (not isinstance(command, list) or not command
                                    or not all(isinstance(a, (str, int, float)) for a in command)):
            raise ManifestRejected(400, f"service {group!r}: command must be a non-empty list of strings")
        if command is None and not isinstance(image, str):
            raise ManifestRejected(400, f"service {group!r} needs a command or an image")
        env = spec.get("env") or {}
        expose = spec.get("expose") or []
        if not isinstance(env, dict) or not isinstance(expose, list):
            raise ManifestRejected(400, f"service {group!r}: env must be a mapping and expose a list")
        try:
            ports = tuple(int(p["port"] if isinstance(p, dict) else p) for p in expose)
        except (KeyError, TypeError, ValueError):
            raise ManifestRejected(400, f"service {group!r}: expose must list port numbers") from None
        if not all(0 < p < 65536 for p in ports) or len(set(ports)) != len(ports):
            raise ManifestRejected(400, f"service {group!r}: bad or repeated port in expose")
        out[str(group)] = Service(str(group), tuple(str(a) for a in command or ()), image if command is None else None,
                                  tuple((str(k), str(v)) for k, v in env.items()), ports)
    return out


def envelope(keypair, lease: int, raw: bytes) -> dict:
    """What a tenant sends; `keypair` is anything with `.sign(bytes)` and `.ss58_address` (sr25519)."""
    signature = keypair.sign(signing_message(lease, manifest_hash(raw)))
    return {"lease": lease, "manifest": base64.b64encode(raw).decode(), "signer": keypair.ss58_address,
            "signature": "0x" + bytes(signature).hex()}


def open_envelope(doc: object, lease: int, owner: bytes, version: bytes) -> bytes:
    """The manifest bytes of a tenant's envelope for `lease`, after every check; else ManifestRejected.

    `owner` is the deployment owner's account id and `version` the deployment's on-chain version.
    """
    from primitives.crypto import verify_sr25519
    from primitives.ss58 import ss58_decode

    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in ("manifest", "signer", "signature")):
        raise ManifestRejected(400, "envelope needs manifest, signer and signature strings")
    if doc.get("lease") != lease:
        raise ManifestRejected(400, f"envelope is for lease {doc.get('lease')!r}, not {lease}")
    try:
        raw = base64.b64decode(doc["manifest"], validate=True)
        signer = ss58_decode(doc["signer"])
        signature = bytes.fromhex(doc["signature"].removeprefix("0x"))
    except ValueError as exc:
        raise ManifestRejected(400, f"malformed envelope: {exc}") from None
    if len(raw) > MAX_MANIFEST:
        raise ManifestRejected(413, f"manifest over {MAX_MANIFEST} bytes")
    if signer != owner:
        raise ManifestRejected(403, "manifest not signed by the deployment's owner")
    digest = manifest_hash(raw)
    if len(signature) != 64 or not verify_sr25519(signature, signing_message(lease, digest), signer):
        raise ManifestRejected(403, "bad signature")
    if digest != version:
        raise ManifestRejected(409, f"manifest hash 0x{digest.hex()} does not match the deployment version "
                                    f"0x{version.hex()}")
    return raw
