"""pallet_sudo: a single key that may dispatch Root calls (dev and test chains only).

Index 12. As upstream, every call declares a fee (Pays::Yes) and waives it on success
(`Ok(Pays::No.into())`): the sudo key pays nothing, anyone else pays for the failed attempt,
and a key that cannot pay is refused by the pool.
"""
from __future__ import annotations

import dataclasses

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import PAYS_NO, DispatchError, Origin, PalletError, ensure
from runtime.frame.outer import RuntimeCallRef
from runtime.frame.pallet import CallWeight, Pallet
from runtime.pallets.balances import lookup
from primitives.scale import Option, Result, Unit
from primitives.types import AccountId, DispatchErrorType, MultiAddress, Weight

pallet = Pallet("Sudo", "pallet_sudo", docs=("A superuser key for development chains.",))

Key = pallet.value("Key", AccountId, docs="The `AccountId` of the sudo key.")

DispatchResult = Result(Unit, DispatchErrorType)


@pallet.event(0)
@dataclasses.dataclass(frozen=True)
class Sudid:
    """A sudo call just took place."""
    sudo_result: DispatchResult


@pallet.event(1)
@dataclasses.dataclass(frozen=True)
class KeyChanged:
    """The sudo key has been updated."""
    old: Option(AccountId)
    new: AccountId


@pallet.event(2)
@dataclasses.dataclass(frozen=True)
class KeyRemoved:
    """The key was permanently removed."""


@pallet.event(3)
@dataclasses.dataclass(frozen=True)
class SudoAsDone:
    """A [sudo_as](Pallet::sudo_as) call just took place."""
    sudo_result: DispatchResult


@pallet.errors
class Error(PalletError):
    RequireSudo = 0
    __docs__ = {"RequireSudo": "Sender must be the Sudo account."}


def _check(ctx: BlockContext, origin: Origin) -> None:
    ensure(origin.kind == "Signed" and origin.who is not None and origin.who == Key.get(ctx.state),
           Error.RequireSudo)


def _dispatch_as(ctx: BlockContext, call, origin: Origin):
    """Dispatch an inner call in its own transactional layer; returns a DispatchResult value."""
    mark = ctx.start_transaction()
    try:
        ctx.runtime.dispatch(ctx, call, origin)
    except DispatchError as err:
        ctx.rollback_transaction(mark)
        return ("Err", err.value)
    ctx.commit_transaction()
    return ("Ok", ())


@pallet.call(0, [("call", RuntimeCallRef, "Box<<T as Config>::RuntimeCall>")], weight=CallWeight(10_000_000))
def sudo(ctx: BlockContext, origin: Origin, call) -> str:
    """Authenticates the sudo key and dispatches a function call with `Root` origin."""
    _check(ctx, origin)
    ctx.deposit_event(Sudid(_dispatch_as(ctx, call, Origin.root())))
    return PAYS_NO


@pallet.call(1, [("call", RuntimeCallRef, "Box<<T as Config>::RuntimeCall>"), ("weight", Weight, "Weight")],
             weight=CallWeight(10_000_000))
def sudo_unchecked_weight(ctx: BlockContext, origin: Origin, call, weight) -> str:
    """As `sudo`, with a weight given by the caller."""
    _check(ctx, origin)
    ctx.deposit_event(Sudid(_dispatch_as(ctx, call, Origin.root())))
    return PAYS_NO


@pallet.call(2, [("new", MultiAddress, "AccountIdLookupOf<T>")], weight=CallWeight(10_000_000))
def set_key(ctx: BlockContext, origin: Origin, new) -> str:
    """Authenticates the current sudo key and sets the given AccountId as the new sudo key."""
    _check(ctx, origin)
    new_key = lookup(new)
    ctx.deposit_event(KeyChanged(Key.get(ctx.state), new_key))
    Key.put(ctx.state, new_key)
    return PAYS_NO


@pallet.call(3, [("who", MultiAddress, "AccountIdLookupOf<T>"), ("call", RuntimeCallRef, "Box<<T as Config>::RuntimeCall>")],
             weight=CallWeight(10_000_000))
def sudo_as(ctx: BlockContext, origin: Origin, who, call) -> str:
    """Authenticates the sudo key and dispatches a function call with `Signed` origin from a given account."""
    _check(ctx, origin)
    ctx.deposit_event(SudoAsDone(_dispatch_as(ctx, call, Origin.signed(lookup(who)))))
    return PAYS_NO


@pallet.call(4, weight=CallWeight(10_000_000))
def remove_key(ctx: BlockContext, origin: Origin) -> str:
    """Permanently removes the sudo key. This cannot be un-done."""
    _check(ctx, origin)
    Key.kill(ctx.state)
    ctx.deposit_event(KeyRemoved())
    return PAYS_NO


@pallet.genesis_builder
def build_genesis(ctx: BlockContext, config: dict) -> None:
    if config.get("key") is not None:
        Key.put(ctx.state, config["key"])
