"""Which extrinsics of a block failed, read from its `System.Events` with the node's metadata.

`agora load` counts a transaction that made it into a finalized block but whose call failed
(`System.ExtrinsicFailed`) apart from the finalized successes, with the error. A block of load
holds thousands of events, so they are not decoded into values: each type of the metadata's
registry (V14, as substrate-interface reads it) compiles to a fixed size or a skip function, and
only a failure's `DispatchError` is decoded, into a name such as `Balances.InsufficientBalance`.
"""
from __future__ import annotations

from typing import Any, Callable

from primitives.scale import decode_compact

Skip = Callable[[bytes, int], int]

_PRIMITIVE_SIZE = {"bool": 1, "u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "char": 4,
                   "u64": 8, "i64": 8, "u128": 16, "i128": 16, "u256": 32, "i256": 32}


class EventsError(ValueError):
    """The events do not decode with this metadata (another runtime, or not events at all)."""


def _compact(data: bytes, pos: int) -> tuple[int, int]:
    try:
        return decode_compact(data, pos)
    except (ValueError, IndexError) as exc:
        raise EventsError(f"bad compact at {pos}") from exc


class EventDecoder:
    """Built once from the metadata (`metadata["types"]["types"]` and `metadata["pallets"]`)."""

    def __init__(self, metadata: dict):
        self.types: dict[int, dict] = {t["id"]: t["type"] for t in metadata["types"]["types"]}
        self._skip: dict[int, int | Skip] = {}
        pallets = metadata["pallets"]
        self.pallet_names = {p["index"]: p["name"] for p in pallets}
        self.pallet_errors = {p["index"]: {v["index"]: v["name"] for v in self._variants(p["error"]["ty"])}
                              for p in pallets if p.get("error")}
        record = next(t for t in metadata["types"]["types"] if t["type"]["path"] == ["frame_system", "EventRecord"])
        fields = {f["name"]: f["type"] for f in record["type"]["def"]["composite"]["fields"]}
        self._topics = self.skipper(fields["topics"])
        outer = self.types[fields["event"]]["def"]["variant"]["variants"]
        system = next(p for p in pallets if p["name"] == "System")
        self._system_index = system["index"]
        failed = next(v for v in self._variants(system["event"]["ty"]) if v["name"] == "ExtrinsicFailed")
        self._failed_index = failed["index"]
        self._error_type = failed["fields"][0]["type"]
        # per outer variant (pallet): per event variant, its fields' skip
        self._events: dict[int, dict[int, int | Skip]] = {}
        for pallet in outer:
            (field,) = pallet["fields"]
            self._events[pallet["index"]] = {v["index"]: self._fields([f["type"] for f in v["fields"]])
                                             for v in self._variants(field["type"])}

    def _variants(self, type_id: int) -> list[dict]:
        return self.types[type_id]["def"]["variant"]["variants"]

    # -- skipping ---------------------------------------------------------------------------------
    def skipper(self, type_id: int) -> int | Skip:
        """A fixed size in bytes, or a function (data, pos) -> the position after one value."""
        known = self._skip.get(type_id)
        if known is None:
            self._skip[type_id] = lambda data, pos: self._call(type_id, data, pos)   # recursive types
            known = self._skip[type_id] = self._compile(self.types[type_id]["def"])
        return known

    def _call(self, type_id: int, data: bytes, pos: int) -> int:
        skip = self._skip[type_id]
        return pos + skip if isinstance(skip, int) else skip(data, pos)

    def _fields(self, type_ids: list[int]) -> int | Skip:
        parts = [self.skipper(t) for t in type_ids]
        if all(isinstance(p, int) for p in parts):
            return sum(parts)  # type: ignore[arg-type]

        def skip(data: bytes, pos: int) -> int:
            for part in parts:
                pos = pos + part if isinstance(part, int) else part(data, pos)
            return pos
        return skip

    def _compile(self, definition: dict) -> int | Skip:
        kind, body = next(iter(definition.items()))
        if kind == "primitive":
            if body == "str":
                def skip_str(data: bytes, pos: int) -> int:
                    n, pos = _compact(data, pos)
                    return pos + n
                return skip_str
            return _PRIMITIVE_SIZE[body]
        if kind == "compact":
            return lambda data, pos: _compact(data, pos)[1]
        if kind == "composite":
            return self._fields([f["type"] for f in body["fields"]])
        if kind == "tuple":
            return self._fields(list(body))
        if kind == "array":
            inner = self.skipper(body["type"])
            if isinstance(inner, int):
                return inner * body["len"]
            return self._fields([body["type"]] * body["len"])
        if kind == "sequence":
            inner = self.skipper(body["type"])

            def skip_seq(data: bytes, pos: int) -> int:
                n, pos = _compact(data, pos)
                if isinstance(inner, int):
                    return pos + n * inner
                for _ in range(n):
                    pos = inner(data, pos)
                return pos
            return skip_seq
        if kind == "variant":
            arms = {v["index"]: self._fields([f["type"] for f in v["fields"]]) for v in body["variants"]}

            def skip_variant(data: bytes, pos: int) -> int:
                try:
                    arm = arms[data[pos]]
                except (KeyError, IndexError):
                    raise EventsError(f"unknown variant at {pos}") from None
                return pos + 1 + arm if isinstance(arm, int) else arm(data, pos + 1)
            return skip_variant
        raise EventsError(f"type kind {kind} is not supported")

    # -- the events --------------------------------------------------------------------------------
    def failures(self, raw: bytes) -> dict[int, str]:
        """Extrinsic index -> its error, for each `System.ExtrinsicFailed` in encoded `System.Events`."""
        count, pos = _compact(raw, 0)
        out: dict[int, str] = {}
        for _ in range(count):
            if pos >= len(raw):
                raise EventsError("events end early")
            phase = raw[pos]
            index = int.from_bytes(raw[pos + 1:pos + 5], "little") if phase == 0 else None
            pos += 5 if phase == 0 else 1
            pallet, variant = raw[pos], raw[pos + 1] if pos + 1 < len(raw) else -1
            arms = self._events.get(pallet)
            if arms is None or variant not in arms:
                raise EventsError(f"unknown event {pallet}/{variant} at {pos}")
            if pallet == self._system_index and variant == self._failed_index and index is not None:
                out[index] = self.error_name(raw, pos + 2)
            arm = arms[variant]
            pos = pos + 2 + arm if isinstance(arm, int) else arm(raw, pos + 2)
            pos = pos + self._topics if isinstance(self._topics, int) else self._topics(raw, pos)
        if pos != len(raw):
            raise EventsError(f"{len(raw) - pos} bytes after the last event")
        return out

    def error_name(self, data: bytes, pos: int) -> str:
        """A `DispatchError` at `pos` as text: `Pallet.Error` for a module error, `Kind.Detail` or `Kind`."""
        variants = {v["index"]: v for v in self._variants(self._error_type)}
        arm = variants.get(data[pos])
        if arm is None:
            raise EventsError(f"unknown dispatch error {data[pos]}")
        name = arm["name"]
        if name == "Module":
            pallet, error = data[pos + 1], data[pos + 2]
            return f"{self.pallet_names.get(pallet, pallet)}.{self.pallet_errors.get(pallet, {}).get(error, error)}"
        if arm["fields"]:
            inner = self.types[arm["fields"][0]["type"]]["def"]
            if "variant" in inner:
                detail = {v["index"]: v["name"] for v in inner["variant"]["variants"]}.get(data[pos + 1])
                if detail is not None:
                    return f"{name}.{detail}"
        return name


def events_key() -> bytes:
    from primitives.hashing import storage_prefix

    return storage_prefix("System", "Events")


def metadata_v14(substrate: Any) -> dict:
    """The V14 metadata dict of a connected substrate-interface client."""
    if substrate.metadata is None:
        substrate.init_runtime()
    value = substrate.metadata.value
    return value[1]["V14"]
