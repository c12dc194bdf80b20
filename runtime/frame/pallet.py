"""A pallet declared once: Config, Calls, Storage, Events, Errors, Hooks, Genesis.

The declarations here are the single source for dispatch and for metadata: a call's
argument codecs decode extrinsics and describe the call enum; an event dataclass is
both what the code deposits and a metadata variant.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

from runtime.frame.dispatch import PalletError
from runtime.frame.storage import _NO_DEFAULT, StorageMap, StorageValue, Typed
from primitives.hashing import Hasher
from primitives.scale import Codec, Enum, Field, Variant, dataclass_fields
from primitives.types import DispatchClass, Weight  # noqa: F401  (re-exported for pallets)


@dataclasses.dataclass(frozen=True)
class CallWeight:
    ref_time: int
    proof_size: int = 0


@dataclasses.dataclass
class CallSpec:
    pallet: "Pallet"
    name: str
    index: int
    args: tuple[Field, ...]
    fn: Callable[..., Any]
    weight: CallWeight | Callable[..., CallWeight]
    dispatch_class: str = "Normal"
    pays_fee: bool = True
    docs: tuple[str, ...] = ()

    def weight_of(self, args: dict) -> CallWeight:
        return self.weight(**args) if callable(self.weight) else self.weight


@dataclasses.dataclass(frozen=True)
class Constant:
    name: str
    codec: Codec
    value: Any
    docs: tuple[str, ...] = ()


class Pallet:
    """Collects a pallet's declarations; `runtime.construct` binds its index."""

    def __init__(self, name: str, module_path: str, docs: Sequence[str] = ()):
        self.name = name
        self.module_path = module_path  # e.g. "pallet_balances": metadata type paths start with it
        self.docs = tuple(docs)
        self.index: int = -1
        self.storage: list[StorageValue | StorageMap] = []
        self.calls: dict[str, CallSpec] = {}
        self.constants: list[Constant] = []
        self.error_enum: type[PalletError] | None = None
        self.on_initialize: Callable | None = None
        self.on_finalize: Callable | None = None
        self.genesis: Callable | None = None
        self.validate_signed: Callable | None = None
        self.call_enum = Enum((module_path, "pallet", "Call"), [],
                              docs=("Contains a variant per dispatchable extrinsic that this pallet has.",))
        self.event_enum = Enum((module_path, "pallet", "Event"), [],
                               docs=("The `Event` enum of this pallet",))
        self._error_codec: Enum | None = None

    # -- storage ------------------------------------------------------------------------
    def _add_storage(self, item):
        if any(existing.name == item.name for existing in self.storage):
            raise ValueError(f"{self.name}: storage item {item.name} declared twice")
        self.storage.append(item)
        return item

    def value(self, name: str, codec: Codec, *, default: Any = _NO_DEFAULT, docs: str = "",
              typed: Typed | None = None) -> StorageValue:
        return self._add_storage(StorageValue(self.name, name, codec, default=default, docs=_docs(docs), typed=typed))

    def map(self, name: str, keys: Sequence[tuple[Hasher, Codec]], codec: Codec, *,
            default: Any = _NO_DEFAULT, docs: str = "", typed: Typed | None = None) -> StorageMap:
        return self._add_storage(StorageMap(self.name, name, keys, codec, default=default, docs=_docs(docs),
                                            typed=typed))

    # -- calls --------------------------------------------------------------------------
    def call(self, index: int, args: Sequence[tuple[str, Codec, str]] = (), *,
             weight: CallWeight | Callable[..., CallWeight] = CallWeight(10_000_000),
             dispatch_class: str = "Normal", pays_fee: bool = True) -> Callable:
        """Declare `fn(ctx, origin, **args)` as dispatchable call `index` (permanent)."""

        def register(fn: Callable) -> Callable:
            fields = tuple(Field(n, c, t) for n, c, t in args)
            spec = CallSpec(self, fn.__name__, index, fields, fn, weight, dispatch_class, pays_fee,
                            _docs(fn.__doc__ or ""))
            if fn.__name__ in self.calls or any(c.index == index for c in self.calls.values()):
                raise ValueError(f"{self.name}: duplicate call {fn.__name__}/{index}")
            self.calls[fn.__name__] = spec
            self.call_enum.add_variant(Variant(fn.__name__, index, fields, docs=spec.docs))
            return fn

        return register

    # -- events -------------------------------------------------------------------------
    def event(self, index: int, *, tuple_variant: bool = False, **field_codecs: Codec) -> Callable[[type], type]:
        """Declare a dataclass as event variant `index`; field codecs by attribute name. A `tuple_variant`
        has unnamed fields in metadata (as Rust's `Variant(A, B)`), so clients see its attributes by position."""

        def register(cls: type) -> type:
            fields = dataclass_fields(cls, field_codecs)
            if tuple_variant:
                fields = [dataclasses.replace(f, name=None, attr=f.attribute) for f in fields]
            variant = Variant(cls.__name__, index, tuple(fields), cls=cls, docs=_docs(cls.__doc__ or ""))
            self.event_enum.add_variant(variant)
            cls.pallet = self  # type: ignore[attr-defined]
            return cls

        return register

    # -- errors, constants, hooks, genesis ----------------------------------------------
    def errors(self, cls: type[PalletError]) -> type[PalletError]:
        self.error_enum = cls
        cls._pallet_name = self.name  # type: ignore[attr-defined]
        return cls

    def error_codec(self) -> Enum | None:
        if self.error_enum is None:
            return None
        if self._error_codec is None:
            self._error_codec = self._build_error_codec()
        return self._error_codec

    def _build_error_codec(self) -> Enum:
        assert self.error_enum is not None
        docs = getattr(self.error_enum, "__docs__", {})
        return Enum((self.module_path, "pallet", "Error"),
                    [Variant(e.name, int(e), docs=_docs(docs.get(e.name, ""))) for e in self.error_enum],
                    docs=("The `Error` enum of this pallet.",))

    def constant(self, name: str, codec: Codec, value: Any, docs: str = "") -> Any:
        self.constants.append(Constant(name, codec, value, _docs(docs)))
        return value

    def hook_on_initialize(self, fn: Callable) -> Callable:
        self.on_initialize = fn
        return fn

    def hook_on_finalize(self, fn: Callable) -> Callable:
        self.on_finalize = fn
        return fn

    def transaction_validator(self, fn: Callable) -> Callable:
        """Declare `fn(ctx, who, call_name, args)`: the pallet's own validity rules for its signed calls
        (a FRAME transaction extension without payload), run by the pool and again in the block;
        raises TransactionValidityError."""
        self.validate_signed = fn
        return fn

    def genesis_builder(self, fn: Callable) -> Callable:
        self.genesis = fn
        return fn

    def bind(self, index: int) -> None:
        self.index = index
        if self.error_enum is not None:
            self.error_enum._pallet_index = index  # type: ignore[attr-defined]


def _docs(text: str) -> tuple[str, ...]:
    lines = [line.strip() for line in text.strip().splitlines()]
    return tuple(lines) if any(lines) else ()
