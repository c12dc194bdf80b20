"""Origins, dispatch errors and the `ensure` helper.

Three failure kinds, as FRAME's executive has them:
- `DispatchError`: the call failed; its writes are rolled back, the fee is kept, `ExtrinsicFailed`.
- `InvalidTransaction` (runtime.extrinsic): bad signature/nonce/payment; never enters a block.
- `InvalidBlock` (runtime.executive): the block itself is bad; import fails.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Any, NoReturn


class DispatchError(Exception):
    """A failed dispatch. `value` is the `sp_runtime::DispatchError` value to put in events."""

    def __init__(self, value: Any, message: str = ""):
        super().__init__(message or str(value))
        self.value = value


class BadOrigin(DispatchError):
    def __init__(self, message: str = "BadOrigin"):
        super().__init__("BadOrigin", message)


class CannotLookup(DispatchError):
    def __init__(self) -> None:
        super().__init__("CannotLookup", "CannotLookup")


class TokenError(DispatchError):
    def __init__(self, kind: str):
        super().__init__(("Token", kind), f"Token::{kind}")


class ArithmeticError_(DispatchError):
    def __init__(self, kind: str = "Overflow"):
        super().__init__(("Arithmetic", kind), f"Arithmetic::{kind}")


class ModuleError(DispatchError):
    def __init__(self, pallet_index: int, error_index: int, pallet: str, name: str):
        super().__init__(("Module", {"index": pallet_index, "error": bytes([error_index, 0, 0, 0])}),
                         f"{pallet}::{name}")
        self.pallet = pallet
        self.name = name


class PalletError(enum.IntEnum):
    """Base of every pallet's `Error` enum: values are metadata indices, append-only.

    Variant docs come from the class attribute `__docs__` (name -> text). The owning
    pallet binds `pallet_name`/`pallet_index` when the runtime is constructed.
    """

    def error(self) -> ModuleError:
        cls = type(self)
        return ModuleError(cls._pallet_index, int(self), cls._pallet_name, self.name)  # type: ignore[attr-defined]


def fail(error: PalletError) -> NoReturn:
    raise error.error()


def ensure(condition: object, error: PalletError | DispatchError) -> None:
    if not condition:
        raise error.error() if isinstance(error, PalletError) else error


@dataclasses.dataclass(frozen=True)
class Origin:
    """Who dispatches a call: a signed account, Root (sudo) or None (inherents/unsigned)."""

    kind: str
    who: bytes | None = None

    @staticmethod
    def signed(who: bytes) -> "Origin":
        return Origin("Signed", who)

    @staticmethod
    def root() -> "Origin":
        return ROOT

    @staticmethod
    def none() -> "Origin":
        return NONE


ROOT = Origin("Root")
NONE = Origin("None")


def ensure_signed(origin: Origin) -> bytes:
    if origin.kind != "Signed" or origin.who is None:
        raise BadOrigin()
    return origin.who


def ensure_root(origin: Origin) -> None:
    if origin.kind != "Root":
        raise BadOrigin()


def ensure_none(origin: Origin) -> None:
    if origin.kind != "None":
        raise BadOrigin()


class InvalidBlock(Exception):
    """The block cannot be imported (bad root, bad inherent, invalid extrinsic...)."""


# What a call may return (its post-dispatch info): the fee it declared is refunded, as a FRAME
# call returning `Ok(Pays::No.into())` (sudo for the sudo key). The tip is kept.
PAYS_NO = "Pays::No"


# --- failure policy on consensus paths ---------------------------------------------------------
# A pallet bug raises one of these the same way on every node (same code, same state), so it may
# become a deterministic outcome: a failed call, a skipped epoch, a rescheduled task. Anything
# else (MemoryError, OSError, RecursionError, a LevelDB or numba error) is this node's
# environment, not the chain's: it must abort the block being built or imported, never turn into
# a state the other nodes do not compute.
DETERMINISTIC_ERRORS: tuple[type[Exception], ...] = (
    DispatchError, ArithmeticError, LookupError, ValueError, TypeError, AttributeError, AssertionError)
_ENVIRONMENT_PACKAGES = frozenset({"plyvel", "numba", "llvmlite"})


def is_environment_fault(exc: BaseException) -> bool:
    """True unless `exc` is a deterministic error raised by our own code (see above).
    Errors of the storage engine or the JIT count as environment even when they subclass
    ValueError or TypeError (numba's NumbaValueError, for one)."""
    if not isinstance(exc, DETERMINISTIC_ERRORS):
        return True
    return type(exc).__module__.partition(".")[0] in _ENVIRONMENT_PACKAGES
