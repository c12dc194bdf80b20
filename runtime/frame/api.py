"""Runtime API declarations: what metadata V15 lists and what `state_call` executes.

A method with an `impl` is served generically: its SCALE input is decoded argument by argument
with the declared codecs, `impl(state, *args)` runs against the block's state, and the result is
encoded with the declared output codec, as a Wasm runtime's exported `<Api>_<method>` would.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from runtime.frame.state import StateReader
from primitives.scale import Codec, ScaleError

Impl = Callable[..., Any]
Handler = Callable[[StateReader, bytes], bytes]


@dataclasses.dataclass(frozen=True)
class ApiMethod:
    name: str
    inputs: tuple[tuple[str, Codec], ...]
    output: Codec
    docs: tuple[str, ...] = ()
    impl: Impl | None = None


@dataclasses.dataclass(frozen=True)
class RuntimeApi:
    name: str
    methods: tuple[ApiMethod, ...]
    docs: tuple[str, ...] = ()


def decode_arguments(method: ApiMethod, data: bytes) -> list[Any]:
    """The arguments of `method`, each decoded in turn; every byte of `data` must be used."""
    args, pos = [], 0
    for arg_name, codec in method.inputs:
        try:
            value, pos = codec.decode_prefix(data, pos)
        except ScaleError as exc:
            raise ScaleError(f"argument `{arg_name}`: {exc}") from None
        args.append(value)
    if pos != len(data):
        raise ScaleError(f"{len(data) - pos} bytes left after the last argument")
    return args


def handler_for(method: ApiMethod) -> Handler:
    impl, output = method.impl, method.output

    def handle(state: StateReader, data: bytes) -> bytes:
        return output.encode(impl(state, *decode_arguments(method, data)))

    return handle


def handlers(apis: tuple[RuntimeApi, ...]) -> dict[str, Handler]:
    """`{"<Api>_<method>": fn(state, input) -> output}` for every method that has an `impl`."""
    return {f"{api.name}_{m.name}": handler_for(m) for api in apis for m in api.methods if m.impl is not None}
