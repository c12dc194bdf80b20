"""Identities (`utils/identity.rs`): set_identity 68 (a coldkey with a registered hotkey) writes
`IdentitiesV2`; set_subnet_identity 78 (the subnet owner) writes `SubnetIdentitiesV3`. Field lengths
are limited as upstream (InvalidIdentity)."""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure, ensure_signed
from runtime.frame.pallet import CallWeight
from primitives.scale import U16, Bytes

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import ChainIdentitySet, SubnetIdentitySet
from runtime.pallets.subtensor.networks import is_valid_subnet_identity
from runtime.pallets.subtensor.pallet import pallet

CHAIN_FIELDS = ("name", "url", "github_repo", "image", "discord", "description", "additional")
SUBNET_FIELDS = ("subnet_name", "github_repo", "subnet_contact", "subnet_url", "discord", "description",
                 "logo_url", "additional")
CHAIN_LIMITS = {"name": 256, "url": 256, "github_repo": 256, "image": 1024, "discord": 256, "description": 1024,
                "additional": 1024}


def is_valid_identity(identity: dict) -> bool:
    total = sum(len(identity[k]) for k in ("name", "url", "image", "discord", "description", "additional"))
    return total <= 256 + 256 + 256 + 1024 + 256 + 1024 + 1024 and \
        all(len(identity[k]) <= v for k, v in CHAIN_LIMITS.items())


@pallet.call(68, [(name, Bytes, "Vec<u8>") for name in CHAIN_FIELDS], weight=CallWeight(20_000_000))
def set_identity(ctx: BlockContext, origin: Origin, **fields) -> None:
    """Set the caller coldkey's identity (one of its hotkeys must be registered on a subnet)."""
    coldkey = ensure_signed(origin)
    state = ctx.state
    registered = any(member for hk in S.OwnedHotkeys.get(state, coldkey)
                     for _key, member in S.IsNetworkMember.iter(state, hk))
    ensure(registered, Error.HotKeyNotRegisteredInNetwork)
    identity = {name: fields[name] for name in CHAIN_FIELDS}
    ensure(is_valid_identity(identity), Error.InvalidIdentity)
    S.IdentitiesV2.insert(state, coldkey, identity)
    ctx.deposit_event(ChainIdentitySet(coldkey))


@pallet.call(78, [("netuid", U16, "NetUid"), *[(name, Bytes, "Vec<u8>") for name in SUBNET_FIELDS]],
             weight=CallWeight(20_000_000))
def set_subnet_identity(ctx: BlockContext, origin: Origin, netuid: int, **fields) -> None:
    """Set the subnet's identity (its owner coldkey only)."""
    coldkey = ensure_signed(origin)
    state = ctx.state
    ensure(S.NetworksAdded.get(state, netuid) and S.SubnetOwner.get(state, netuid) == coldkey, Error.NotSubnetOwner)
    identity = {name: fields[name] for name in SUBNET_FIELDS}
    ensure(is_valid_subnet_identity(identity), Error.InvalidIdentity)
    S.SubnetIdentitiesV3.insert(state, netuid, identity)
    ctx.deposit_event(SubnetIdentitySet(netuid))
