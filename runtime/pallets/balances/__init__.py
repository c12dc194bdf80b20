"""pallet_balances: free/reserved balances in System.Account, transfers, existential deposit.

Index 5. Every movement of value in the runtime goes through the functions here
(`transfer`, `withdraw`, `deposit`, `reserve`, `unreserve`, `repatriate_reserved`, `mint`,
`burn`), so `TotalIssuance` equals the sum of all balances at all times.
"""
from __future__ import annotations

import dataclasses

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import (
    ArithmeticError_, CannotLookup, Origin, PalletError, TokenError, ensure, ensure_root, ensure_signed,
)
from runtime.frame.pallet import CallWeight, Pallet
from runtime.frame.storage import Typed
from runtime.pallets import system
from primitives.hashing import Hasher
from primitives.scale import U32, U128, Bool, Compact, Enum, Field, FixedBytes, Struct, Variant, Vec
from primitives.types import AccountId, AccountInfo, MultiAddress

pallet = Pallet("Balances", "pallet_balances", docs=("Account balances, transfers and reserves.",))

EXISTENTIAL_DEPOSIT = pallet.constant(
    "ExistentialDeposit", U128, 500,
    "The minimum amount required to keep an account open. MUST BE GREATER THAN ZERO!")
pallet.constant("MaxLocks", U32, 50, "The maximum number of locks that should exist on an account.")
pallet.constant("MaxReserves", U32, 50, "The maximum number of named reserves that can exist on an account.")
pallet.constant("MaxFreezes", U32, 0, "The maximum number of individual freeze locks that can exist on an account.")

def _owned_u128(value):
    return value if type(value) is int and 0 <= value < 1 << 128 else None


# an int kept as is within a block (every fee changes it): see storage `Typed`
TotalIssuance = pallet.value("TotalIssuance", U128, default=0, docs="The total units issued in the system.",
                             typed=Typed(lambda value: value, _owned_u128))
InactiveIssuance = pallet.value("InactiveIssuance", U128, default=0, docs="The total units of outstanding deactivated balance in the system.")

# Locks, named reserves, holds and freezes: FRAME's storage and types, so wallets and Sidecar read
# them as on any FRAME chain. Nothing on this chain places one yet, so every entry is empty and
# `AccountData.frozen` stays 0; the pallets that reserve use the anonymous reserve in AccountData.
Reasons = Enum("pallet_balances::types::Reasons", [Variant("Fee", 0), Variant("Misc", 1), Variant("All", 2)])
BalanceLock = Struct("pallet_balances::types::BalanceLock", [
    Field("id", FixedBytes(8), "LockIdentifier"), Field("amount", U128, "Balance"), Field("reasons", Reasons, "Reasons"),
], params=(("Balance", U128),))
ReserveData = Struct("pallet_balances::types::ReserveData", [
    Field("id", FixedBytes(8), "ReserveIdentifier"), Field("amount", U128, "Balance"),
], params=(("ReserveIdentifier", FixedBytes(8)), ("Balance", U128)))
# The runtime's hold and freeze reasons: no pallet here declares one, so both enums are empty.
RuntimeHoldReason = Enum(("agora_runtime", "RuntimeHoldReason"), [])
RuntimeFreezeReason = Enum(("agora_runtime", "RuntimeFreezeReason"), [])


def _id_amount(reason: Enum) -> Struct:
    return Struct("frame_support::traits::tokens::misc::IdAmount", [
        Field("id", reason, "Id"), Field("amount", U128, "Balance")], params=(("Id", reason), ("Balance", U128)))


def _bounded(path: str, item: Struct) -> Struct:
    return Struct(path, [Field(None, Vec(item), "Vec<T>")], params=(("T", item), ("S", None)))


Locks = pallet.map("Locks", [(Hasher.BLAKE2_128_CONCAT, AccountId)],
                   _bounded("bounded_collections::weak_bounded_vec::WeakBoundedVec", BalanceLock), default=[],
                   docs="Any liquidity locks on some account balances.")
Reserves = pallet.map("Reserves", [(Hasher.BLAKE2_128_CONCAT, AccountId)],
                      _bounded("bounded_collections::bounded_vec::BoundedVec", ReserveData), default=[],
                      docs="Named reserves on some account balances.")
Holds = pallet.map("Holds", [(Hasher.BLAKE2_128_CONCAT, AccountId)],
                   _bounded("bounded_collections::bounded_vec::BoundedVec", _id_amount(RuntimeHoldReason)), default=[],
                   docs="Holds on account balances.")
Freezes = pallet.map("Freezes", [(Hasher.BLAKE2_128_CONCAT, AccountId)],
                     _bounded("bounded_collections::bounded_vec::BoundedVec", _id_amount(RuntimeFreezeReason)),
                     default=[], docs="Freeze locks on account balances.")


@pallet.event(0)
@dataclasses.dataclass(frozen=True)
class Endowed:
    """An account was created with some free balance."""
    account: AccountId
    free_balance: U128


@pallet.event(1)
@dataclasses.dataclass(frozen=True)
class DustLost:
    """An account was removed whose balance was non-zero but below ExistentialDeposit, resulting in an outright loss."""
    account: AccountId
    amount: U128


@pallet.event(2)
@dataclasses.dataclass(frozen=True)
class Transfer:
    """Transfer succeeded."""
    from_: AccountId
    to: AccountId
    amount: U128


@pallet.event(3)
@dataclasses.dataclass(frozen=True)
class BalanceSet:
    """A balance was set by root."""
    who: AccountId
    free: U128


@pallet.event(4)
@dataclasses.dataclass(frozen=True)
class Reserved:
    """Some balance was reserved (moved from free to reserved)."""
    who: AccountId
    amount: U128


@pallet.event(5)
@dataclasses.dataclass(frozen=True)
class Unreserved:
    """Some balance was unreserved (moved from reserved to free)."""
    who: AccountId
    amount: U128


@pallet.event(7)
@dataclasses.dataclass(frozen=True)
class Deposit:
    """Some amount was deposited (e.g. for transaction fees)."""
    who: AccountId
    amount: U128


@pallet.event(8)
@dataclasses.dataclass(frozen=True)
class Withdraw:
    """Some amount was withdrawn from the account (e.g. for transaction fees)."""
    who: AccountId
    amount: U128


@pallet.event(10)
@dataclasses.dataclass(frozen=True)
class Minted:
    """Some amount was minted into an account."""
    who: AccountId
    amount: U128


@pallet.event(11)
@dataclasses.dataclass(frozen=True)
class Burned:
    """Some amount was burned from an account."""
    who: AccountId
    amount: U128


@pallet.errors
class Error(PalletError):
    VestingBalance = 0
    LiquidityRestrictions = 1
    InsufficientBalance = 2
    ExistentialDeposit = 3
    Expendability = 4
    ExistingVestingSchedule = 5
    DeadAccount = 6
    TooManyReserves = 7
    TooManyHolds = 8
    TooManyFreezes = 9
    IssuanceDeactivated = 10
    DeltaZero = 11

    __docs__ = {
        "InsufficientBalance": "Balance too low to send value.",
        "ExistentialDeposit": "Value too low to create account due to existential deposit.",
        "Expendability": "Transfer/payment would kill account.",
        "DeadAccount": "Beneficiary account must pre-exist.",
    }


def lookup(address) -> bytes:
    """MultiAddress -> AccountId (only `Id` and `Address32` resolve on this chain)."""
    kind, value = address
    if kind in ("Id", "Address32"):
        return value
    raise CannotLookup()


# --- Balance primitives (used by every pallet that moves value) ---------------------------
def free_balance(ctx: BlockContext, who: bytes) -> int:
    return system.get_account(ctx, who).data.free


def reserved_balance(ctx: BlockContext, who: bytes) -> int:
    return system.get_account(ctx, who).data.reserved


def _credit(ctx: BlockContext, who: bytes, amount: int) -> None:
    """Add to free balance, creating the account (needs >= ED)."""
    info = system.get_account(ctx, who)
    new_free = info.data.free + amount
    if info.providers == 0:
        ensure(new_free + info.data.reserved >= EXISTENTIAL_DEPOSIT, Error.ExistentialDeposit)
        info.providers = 1
        ctx.deposit_event(system.NewAccount(who))
        ctx.deposit_event(Endowed(who, new_free))
    info.data.free = new_free
    system.put_account(ctx, who, info)


def _debit(ctx: BlockContext, who: bytes, amount: int, keep_alive: bool, info: AccountInfo | None = None) -> int:
    """Take from free balance; reaps the account if it falls below ED. Returns dust burned.
    `info`: `who`'s account as just read, when the caller has it."""
    if info is None:
        info = system.get_account(ctx, who)
    dust = _take_free(info, amount, keep_alive)
    system.put_account(ctx, who, info)
    if dust:
        TotalIssuance.mutate(ctx.state, lambda t: t - dust)
        ctx.deposit_event(DustLost(who, dust))
    return dust


def _take_free(info: AccountInfo, amount: int, keep_alive: bool) -> int:
    """Lower `info`'s free balance by `amount` (in place); returns the dust left below ED, if reaped."""
    ensure(info.data.free >= amount, Error.InsufficientBalance)
    new_free = info.data.free - amount
    dust = 0
    if new_free + info.data.reserved < EXISTENTIAL_DEPOSIT:
        ensure(not keep_alive, Error.Expendability)
        ensure(info.consumers == 0 or new_free + info.data.reserved > 0, Error.Expendability)
        dust = new_free
        new_free = 0
        if info.data.reserved == 0:
            info.providers = 0
            info.nonce = 0
    info.data.free = new_free
    return dust


def transfer(ctx: BlockContext, source: bytes, dest: bytes, amount: int, *, keep_alive: bool) -> None:
    if amount == 0 or source == dest:
        ctx.deposit_event(Transfer(source, dest, amount))
        return
    info = system.get_account(ctx, source)
    if info.data.free < amount:
        # fungible::Mutate::transfer: `can_withdraw` answers BalanceLow, which FRAME reports as a token error
        raise TokenError("FundsUnavailable")
    _debit(ctx, source, amount, keep_alive, info)
    _credit(ctx, dest, amount)
    ctx.deposit_event(Transfer(source, dest, amount))


def withdraw(ctx: BlockContext, who: bytes, amount: int, *, keep_alive: bool = True) -> None:
    """Remove `amount` from circulation out of `who` (fees, burns)."""
    _debit(ctx, who, amount, keep_alive)
    TotalIssuance.mutate(ctx.state, lambda t: t - amount)
    ctx.deposit_event(Withdraw(who, amount))


def withdraw_fee(ctx: BlockContext, who: bytes, info: AccountInfo, fee: int) -> None:
    """`withdraw(who, fee, keep_alive=True)` on an account the caller already holds and writes back
    (the executive, which read it for the nonce check): the fee is burned."""
    _take_free(info, fee, keep_alive=True)
    TotalIssuance.mutate(ctx.state, lambda t: t - fee)
    ctx.deposit_event(Withdraw(who, fee))


def refund_fee(ctx: BlockContext, who: bytes, amount: int) -> bool:
    """Give back `amount` of a fee `withdraw_fee` burned (post-dispatch Pays::No). As FRAME's
    fungible adapter, nothing goes to an account the call reaped; returns whether it was refunded."""
    info = system.get_account(ctx, who)
    if info.providers == 0:
        return False
    info.data.free += amount
    system.put_account(ctx, who, info)
    TotalIssuance.mutate(ctx.state, lambda t: t + amount)
    ctx.deposit_event(Deposit(who, amount))
    return True


def mint(ctx: BlockContext, who: bytes, amount: int) -> None:
    """Create `amount` new units in `who` (emission, genesis)."""
    if amount == 0:
        return
    _credit(ctx, who, amount)
    TotalIssuance.mutate(ctx.state, lambda t: t + amount)
    ctx.deposit_event(Minted(who, amount))


def burn(ctx: BlockContext, who: bytes, amount: int, *, keep_alive: bool = True) -> None:
    _debit(ctx, who, amount, keep_alive)
    TotalIssuance.mutate(ctx.state, lambda t: t - amount)
    ctx.deposit_event(Burned(who, amount))


def reserve(ctx: BlockContext, who: bytes, amount: int) -> None:
    info = system.get_account(ctx, who)
    ensure(info.data.free >= amount, Error.InsufficientBalance)
    info.data.free -= amount
    info.data.reserved += amount
    system.put_account(ctx, who, info)
    ctx.deposit_event(Reserved(who, amount))


def unreserve(ctx: BlockContext, who: bytes, amount: int) -> int:
    """Move up to `amount` back to free; returns what could not be unreserved."""
    info = system.get_account(ctx, who)
    actual = min(amount, info.data.reserved)
    if actual:
        info.data.reserved -= actual
        info.data.free += actual
        system.put_account(ctx, who, info)
        ctx.deposit_event(Unreserved(who, actual))
    return amount - actual


def repatriate_reserved(ctx: BlockContext, slashed: bytes, beneficiary: bytes, amount: int) -> int:
    """Move up to `amount` of `slashed`'s reserve to `beneficiary`'s free balance; returns the shortfall."""
    info = system.get_account(ctx, slashed)
    actual = min(amount, info.data.reserved)
    if actual == 0:
        return amount
    info.data.reserved -= actual
    system.put_account(ctx, slashed, info)
    _credit(ctx, beneficiary, actual)
    ctx.deposit_event(Transfer(slashed, beneficiary, actual))
    return amount - actual


# --- Calls --------------------------------------------------------------------------------
TRANSFER_WEIGHT = CallWeight(300_000_000, 3_593)


@pallet.call(0, [("dest", MultiAddress, "AccountIdLookupOf<T>"), ("value", Compact(U128), "T::Balance")],
             weight=TRANSFER_WEIGHT)
def transfer_allow_death(ctx: BlockContext, origin: Origin, dest, value: int) -> None:
    """Transfer some liquid free balance to another account; the sender may be reaped."""
    source = ensure_signed(origin)
    transfer(ctx, source, lookup(dest), value, keep_alive=False)


@pallet.call(2, [("source", MultiAddress, "AccountIdLookupOf<T>"), ("dest", MultiAddress, "AccountIdLookupOf<T>"),
                 ("value", Compact(U128), "T::Balance")], weight=TRANSFER_WEIGHT)
def force_transfer(ctx: BlockContext, origin: Origin, source, dest, value: int) -> None:
    """Exactly as `transfer_allow_death`, except the origin must be root and the source account may be specified."""
    ensure_root(origin)
    transfer(ctx, lookup(source), lookup(dest), value, keep_alive=False)


@pallet.call(3, [("dest", MultiAddress, "AccountIdLookupOf<T>"), ("value", Compact(U128), "T::Balance")],
             weight=TRANSFER_WEIGHT)
def transfer_keep_alive(ctx: BlockContext, origin: Origin, dest, value: int) -> None:
    """Same as `transfer_allow_death`, but fails if the transfer would kill the sender."""
    source = ensure_signed(origin)
    transfer(ctx, source, lookup(dest), value, keep_alive=True)


@pallet.call(4, [("dest", MultiAddress, "AccountIdLookupOf<T>"), ("keep_alive", Bool, "bool")],
             weight=TRANSFER_WEIGHT)
def transfer_all(ctx: BlockContext, origin: Origin, dest, keep_alive: bool) -> None:
    """Transfer the entire transferable balance from the caller account."""
    source = ensure_signed(origin)
    free = free_balance(ctx, source)
    amount = free - EXISTENTIAL_DEPOSIT if keep_alive else free
    transfer(ctx, source, lookup(dest), max(amount, 0), keep_alive=keep_alive)


@pallet.call(8, [("who", MultiAddress, "AccountIdLookupOf<T>"), ("new_free", Compact(U128), "T::Balance")],
             weight=CallWeight(100_000_000))
def force_set_balance(ctx: BlockContext, origin: Origin, who, new_free: int) -> None:
    """Set the free balance of an account (Root only)."""
    ensure_root(origin)
    account = lookup(who)
    old = free_balance(ctx, account)
    if new_free > old:
        _credit(ctx, account, new_free - old)
        TotalIssuance.mutate(ctx.state, lambda t: t + new_free - old)
    elif new_free < old:
        _debit(ctx, account, old - new_free, keep_alive=False)
        TotalIssuance.mutate(ctx.state, lambda t: t - (old - new_free))
    ctx.deposit_event(BalanceSet(account, new_free))


@pallet.genesis_builder
def build_genesis(ctx: BlockContext, config: dict) -> None:
    """`config["balances"]`: list of (account_id bytes, amount)."""
    total = 0
    for who, amount in config.get("balances", []):
        if amount < EXISTENTIAL_DEPOSIT:
            raise ValueError("genesis balance below existential deposit")
        info = system.get_account(ctx, who)
        if info.providers:
            raise ValueError(f"duplicate genesis balance for 0x{who.hex()}")
        info.providers = 1
        info.data.free = amount
        system.put_account(ctx, who, info)
        total += amount
    if total.bit_length() > 128:
        raise ArithmeticError_("Overflow")
    TotalIssuance.put(ctx.state, total)
