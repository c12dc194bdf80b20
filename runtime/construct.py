"""The runtime: a literal table of pallets with permanent indices, and what follows from it.

From `PALLETS` come the RuntimeCall and RuntimeEvent enums, the dispatch table, the hook
order (table order) and the metadata. Retired indices stay reserved in comments.
"""
from __future__ import annotations

import functools
from typing import Any

from runtime.frame import outer
from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin
from runtime.frame.pallet import CallSpec, Pallet
from primitives.scale import Enum, Field, Variant
from runtime.pallets import (
    admin_utils, aura, balances, market, subtensor, sudo, swap, system, timestamp, transaction_payment,
)

PALLETS: tuple[tuple[int, Pallet], ...] = (
    (0, system.pallet),
    (2, timestamp.pallet),
    (3, aura.pallet),
    # 4: Grandpa (finality, reserved)
    (5, balances.pallet),
    (6, transaction_payment.pallet),
    (7, subtensor.pallet),
    (8, market.pallet),
    (12, sudo.pallet),
    (19, admin_utils.pallet),
    (28, swap.pallet),
)


class Runtime:
    """Everything derived from the pallet table."""

    def __init__(self, pallets: tuple[tuple[int, Pallet], ...]):
        self.pallets: list[Pallet] = []
        for index, pallet in pallets:
            pallet.bind(index)
            self.pallets.append(pallet)
        self.by_name = {p.name: p for p in self.pallets}
        self.call_enum = Enum(("agora_runtime", "RuntimeCall"), [
            Variant(p.name, p.index, (Field(None, p.call_enum, f"self::sp_api_hidden_includes_construct_runtime::hidden_include::dispatch::CallableCallFor<{p.name}, Runtime>"),))
            for p in self.pallets if p.calls])
        self.event_enum = Enum(("agora_runtime", "RuntimeEvent"), [
            Variant(p.name, p.index, (Field(None, p.event_enum, f"{p.module_path}::Event<Runtime>"),))
            for p in self.pallets if p.event_enum.variants])
        self.error_enum = Enum(("agora_runtime", "RuntimeError"), [
            Variant(p.name, p.index, (Field(None, p.error_codec(), f"{p.module_path}::Error<Runtime>"),))
            for p in self.pallets if p.error_enum is not None])
        outer.bind("RuntimeCall", self.call_enum)
        outer.bind("RuntimeEvent", self.event_enum)

    def call_spec(self, call: tuple) -> CallSpec:
        pallet_name, call_name, _args = split_call(call)
        return self.by_name[pallet_name].calls[call_name]

    def dispatch(self, ctx: BlockContext, call: tuple, origin: Origin) -> Any:
        """Run a decoded call `(pallet, (name, args))`; raises DispatchError on failure.
        Returns what the call returns: `PAYS_NO` when it waives its declared fee (post-dispatch info)."""
        pallet_name, call_name, args = split_call(call)
        spec = self.by_name[pallet_name].calls[call_name]
        return spec.fn(ctx, origin, **args)

    def hooks(self, name: str):
        return [getattr(p, name) for p in self.pallets if getattr(p, name) is not None]


def split_call(call: tuple) -> tuple[str, str, dict]:
    """A decoded RuntimeCall as (pallet, call, arguments). A call without arguments decodes as
    `(pallet, name)` (a field-less variant is its bare name), one with arguments as `(pallet, (name, args))`."""
    pallet_name, inner = call
    if isinstance(inner, str):
        return pallet_name, inner, {}
    call_name, args = inner
    return pallet_name, call_name, args or {}


@functools.cache
def get_runtime() -> Runtime:
    return Runtime(PALLETS)
