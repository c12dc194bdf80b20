"""Late-bound references to the runtime's outer enums (RuntimeCall, RuntimeEvent).

Pallets declare types that contain them (Sudo's boxed call, System's EventRecord) before
the runtime exists; `runtime.construct` fills these in once, at construction.
"""
from __future__ import annotations

from primitives.scale import Codec, Lazy

_OUTER: dict[str, Codec] = {}


def bind(name: str, codec: Codec) -> None:
    _OUTER[name] = codec


def _resolve(name: str) -> Codec:
    if name not in _OUTER:
        raise RuntimeError(f"outer enum {name} used before the runtime was constructed")
    return _OUTER[name]


RuntimeCallRef = Lazy(lambda: _resolve("RuntimeCall"), "RuntimeCall")
RuntimeEventRef = Lazy(lambda: _resolve("RuntimeEvent"), "RuntimeEvent")
