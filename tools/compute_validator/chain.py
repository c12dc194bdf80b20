"""What the validator reads from and writes to the chain (substrate-interface, synchronous: the
validator calls it from a worker thread, one call at a time).

- the compute subnet: `Market.Params.compute_netuid` (or `--netuid`), its tempo, last epoch, UIDs
  and hotkeys, the rate limit and whether commit-reveal is on;
- the targets: every active lease (`Market.Leases`) with its provider's `host_uri`, the
  deployment's manifest hash and the order's CPU/memory; every provider registered on the
  subnet without a lease, at its `host_uri`;
- `set_weights`, or `commit_weights` then `reveal_weights` when the subnet has commit-reveal on.
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets

from primitives.scale import encode_compact
from tools.compute_validator import protocol
from tools.compute_validator.probe import Target

PALLET = "SubtensorModule"


class ChainError(Exception):
    pass


@dataclasses.dataclass
class Snapshot:
    block: int
    netuid: int
    tempo: int
    last_epoch: int
    epoch_index: int
    rate_limit: int
    commit_reveal: bool
    reveal_period: int
    hotkeys: dict[int, str]          # uid -> SS58
    own_uid: int | None
    last_update: int                 # our LastUpdate (0: never)
    targets: list[Target]

    @property
    def next_epoch(self) -> int:
        return self.last_epoch + self.tempo

    def can_set_weights(self, block: int) -> bool:
        return self.last_update == 0 or block - self.last_update >= self.rate_limit


def _u16_vec(values: list[int]) -> bytes:
    return encode_compact(len(values)) + b"".join(v.to_bytes(2, "little") for v in values)


def commit_hash(hotkey: bytes, netuid: int, uids: list[int], values: list[int], salt: list[int],
                version_key: int) -> bytes:
    """blake2_256(SCALE(hotkey, netuid u16, uids, values, salt, version_key u64)), as bittensor's
    `generate_weight_hash` and the runtime's `commit_reveal.commit_hash`."""
    data = (hotkey + netuid.to_bytes(2, "little") + _u16_vec(uids) + _u16_vec(values) + _u16_vec(salt)
            + version_key.to_bytes(8, "little"))
    return hashlib.blake2b(data, digest_size=32).digest()


class ChainView:
    def __init__(self, url: str, hotkey_uri: str, netuid: int | None = None):
        from substrateinterface import Keypair, SubstrateInterface

        self.url = url
        try:
            self.substrate = SubstrateInterface(url=url)
        except (OSError, ConnectionError) as exc:
            raise ChainError(f"cannot connect to {url}: {exc}") from exc
        self.keypair = Keypair.create_from_uri(hotkey_uri)
        self.fixed_netuid = netuid
        self.pending_reveals: list[dict] = []

    def close(self) -> None:
        self.substrate.close()

    @property
    def hotkey(self) -> str:
        return self.keypair.ss58_address

    def _q(self, item: str, params: list, pallet: str = PALLET, block_hash=None):
        return self.substrate.query(pallet, item, params, block_hash=block_hash).value

    def _map(self, pallet: str, item: str, params: list | None = None, block_hash=None):
        for key, value in self.substrate.query_map(pallet, item, params or [], page_size=500, block_hash=block_hash):
            yield key.value, value.value

    def netuid(self, block_hash=None) -> int:
        if self.fixed_netuid is not None:
            return self.fixed_netuid
        netuid = self._q("Params", [], "Market", block_hash)["compute_netuid"]
        if netuid is None:
            raise ChainError("the market has no compute subnet (Market.Params.compute_netuid); give --netuid")
        return netuid

    def block_number(self) -> int:
        return self.substrate.get_block_header()["header"]["number"]

    def snapshot(self) -> Snapshot:
        block_hash = self.substrate.get_chain_head()
        block = self.substrate.get_block_number(block_hash)
        netuid = self.netuid(block_hash)
        if not self._q("NetworksAdded", [netuid], block_hash=block_hash):
            raise ChainError(f"subnet {netuid} does not exist")
        n = self._q("SubnetworkN", [netuid], block_hash=block_hash)
        hotkeys = {}
        for key, hk in (self._map(PALLET, "Keys", [netuid], block_hash) if n else ()):
            hotkeys[int(key[-1] if isinstance(key, (list, tuple)) else key)] = hk
        own_uid = next((uid for uid, hk in hotkeys.items() if hk == self.hotkey), None)
        last_updates = self._q("LastUpdate", [netuid], block_hash=block_hash) or []
        return Snapshot(
            block=block, netuid=netuid, tempo=self._q("Tempo", [netuid], block_hash=block_hash),
            last_epoch=self._q("LastEpochBlock", [netuid], block_hash=block_hash),
            epoch_index=self._q("SubnetEpochIndex", [netuid], block_hash=block_hash),
            rate_limit=self._q("WeightsSetRateLimit", [netuid], block_hash=block_hash),
            commit_reveal=bool(self._q("CommitRevealWeightsEnabled", [netuid], block_hash=block_hash)),
            reveal_period=self._q("RevealPeriodEpochs", [netuid], block_hash=block_hash),
            hotkeys=hotkeys, own_uid=own_uid,
            last_update=last_updates[own_uid] if own_uid is not None and own_uid < len(last_updates) else 0,
            targets=self.targets(set(hotkeys.values()), block_hash))

    def targets(self, subnet_hotkeys: set[str], block_hash=None) -> list[Target]:
        providers = {who: p for who, p in self._map("Market", "Providers", [], block_hash) if who in subnet_hotkeys}
        out, leased = [], set()
        for lease_id, lease in sorted(self._map("Market", "Leases", [], block_hash)):
            provider = providers.get(lease["provider"])
            if provider is None:
                continue
            deployment = self._q("Deployments", [lease["deployment"]], "Market", block_hash)
            order = self._q("Orders", [lease["order"]], "Market", block_hash)
            if deployment is None or order is None:
                continue
            cpu, memory = protocol.demand(order["spec"])
            out.append(Target(lease["provider"], provider["host_uri"], lease_id, deployment["version"], cpu, memory))
            leased.add(lease["provider"])
        for who, provider in sorted(providers.items()):
            if who not in leased:
                out.append(Target(who, provider["host_uri"]))
        return out

    # --- writing ---------------------------------------------------------------------------------
    def _submit(self, call: str, params: dict) -> tuple[bool, str]:
        from substrateinterface.exceptions import SubstrateRequestException

        extrinsic = self.substrate.create_signed_extrinsic(
            call=self.substrate.compose_call(PALLET, call, params), keypair=self.keypair)
        try:
            receipt = self.substrate.submit_extrinsic(extrinsic, wait_for_inclusion=True)
        except SubstrateRequestException as exc:
            return False, f"{call} rejected by the pool: {exc}"
        if receipt.is_success:
            return True, f"{call} in block {receipt.block_hash}"
        error = receipt.error_message or {}
        return False, f"{call} failed: {error.get('name', error) if isinstance(error, dict) else error}"

    def set_weights(self, snap: Snapshot, uids: list[int], weights: list[int], version_key: int = 0) -> tuple[bool, str]:
        if not snap.commit_reveal:
            return self._submit("set_weights", {"netuid": snap.netuid, "dests": uids, "weights": weights,
                                                "version_key": version_key})
        salt = [secrets.randbelow(1 << 16) for _ in range(8)]
        digest = commit_hash(self.keypair.public_key, snap.netuid, uids, weights, salt, version_key)
        ok, message = self._submit("commit_weights", {"netuid": snap.netuid, "commit_hash": "0x" + digest.hex()})
        if ok:
            self.pending_reveals.append({"netuid": snap.netuid, "uids": uids, "values": weights, "salt": salt,
                                         "version_key": version_key,
                                         "reveal_at_epoch": snap.epoch_index + snap.reveal_period})
        return ok, message

    def reveal_due(self, snap: Snapshot) -> list[tuple[bool, str]]:
        """Reveal the commits whose reveal epoch has come (commit-reveal subnets)."""
        results, keep = [], []
        for pending in self.pending_reveals:
            if snap.epoch_index < pending["reveal_at_epoch"]:
                keep.append(pending)
                continue
            args = {k: pending[k] for k in ("netuid", "uids", "values", "salt", "version_key")}
            ok, message = self._submit("reveal_weights", args)
            if not ok and "RevealTooEarly" in message:
                keep.append(pending)
            results.append((ok, message))
        self.pending_reveals = keep
        return results
