"""Compiled encoders and decoders for SCALE composites (struct, enum variant, tuple, vec, option).

A composite codec is compiled once, on first use, into a plain function generated for its
field layout: runs of fixed-width fields (u8..u128, i8..i128, bool, [u8; N], and newtypes of
these such as AccountId) are packed and unpacked with one precompiled `struct.Struct`, and the
other fields call their own compiled functions directly, so encoding or decoding a value does no
per-field dispatch. The generated code only takes values of exactly the expected Python types;
anything else (a subclass, a dict for a dataclass struct, an out-of-range int, a bytearray)
falls back to the codec's reference implementation (`_encode_ref`/`_decode_ref`), which
accepts and rejects exactly what it always did. The bytes are the same either way:
tests/primitives/test_scale_fast.py checks them against an independent encoder.
"""
from __future__ import annotations

import struct
from typing import Any, Callable, Sequence

from primitives.scale.base import ScaleError, decode_compact, encode_compact

_U64 = (1 << 64) - 1

Atom = tuple  # (kind, struct format, check template); see `fixed_atom`


def _fixed_runs(codecs: Sequence[Any]) -> list:
    """Group fields: [("fixed", [(i, atom), ...]) | ("var", i)] in field order."""
    runs: list = []
    for i, codec in enumerate(codecs):
        atom = codec.fixed_atom()
        if atom is None:
            runs.append(("var", i))
        elif runs and runs[-1][0] == "fixed":
            runs[-1][1].append((i, atom))
        else:
            runs.append(("fixed", [(i, atom)]))
    return runs


def _enc_lines(runs: list, ns: dict, indent: str) -> tuple[list[str], list[str]]:
    """(type checks, encode statements) for fields held in locals v0..vN."""
    checks, body = [], []
    for r, (kind, run) in enumerate(runs):
        if kind == "var":
            ns[f"e{run}"] = ns["_codecs"][run].encoder()
            body.append(f"{indent}e{run}(v{run}, out)")
            continue
        fmt, args = "<", []
        for i, (akind, afmt, size) in run:
            fmt += afmt
            if akind == "int":
                checks.append(f"type(v{i}) is int")
                args.append(f"v{i}")
            elif akind == "wide":  # 128-bit: (low u64, high u64 or i64); struct rejects out-of-range halves
                checks.append(f"type(v{i}) is int")
                args.append(f"v{i} & {_U64}, v{i} >> 64")
            elif akind == "bool":
                checks.append(f"type(v{i}) is bool")
                args.append(f"v{i}")
            else:  # bytes of a fixed length: "Ns" would pad or truncate, so the length is checked
                checks.append(f"type(v{i}) is bytes and len(v{i}) == {size}")
                args.append(f"v{i}")
        ns[f"P{r}"] = struct.Struct(fmt).pack
        body.append(f"{indent}out += P{r}({', '.join(args)})")
    return checks, body


def _dec_lines(runs: list, ns: dict, indent: str) -> list[str]:
    """Statements decoding fields into locals v0..vN from `data` at `pos`."""
    body = []
    for r, (kind, run) in enumerate(runs):
        if kind == "var":
            ns[f"d{run}"] = ns["_codecs"][run].decoder()
            body.append(f"{indent}v{run}, pos = d{run}(data, pos)")
            continue
        fmt, targets, post = "<", [], []
        for i, (akind, afmt, size) in run:
            fmt += afmt
            if akind == "wide":
                targets += [f"v{i}", f"h{i}"]
                post.append(f"{indent}v{i} |= h{i} << 64")
            elif akind == "bool":
                targets.append(f"v{i}")
                post.append(f"{indent}if v{i} > 1:\n{indent}    raise ScaleError(f'bool: invalid byte {{v{i}}}')")
                post.append(f"{indent}v{i} = v{i} == 1")
            else:
                targets.append(f"v{i}")
        packer = struct.Struct(fmt)
        ns[f"U{r}"] = packer.unpack_from
        body.append(f"{indent}{', '.join(targets)}, = U{r}(data, pos)")
        body.append(f"{indent}pos += {packer.size}")
        body.extend(post)
    return body


def _namespace(codecs: Sequence[Any], ref_enc: Callable, name: str) -> dict:
    return {"_codecs": list(codecs), "ref": ref_enc, "ScaleError": ScaleError, "struct_error": struct.error,
            "NAME": name}


def _exec(src: str, ns: dict, fn: str) -> Callable:
    exec(compile(src, f"<scale {ns['NAME']}>", "exec"), ns)  # noqa: S102 - generated from codec layouts only
    return ns[fn]


def fields_encoder(codecs: Sequence[Any], getter: str, ref_enc: Callable, name: str, *,
                   cls: type | None = None, keys: Sequence[str] = (), attrs: Sequence[str] = (),
                   prefix: int | None = None) -> Callable[[Any, bytearray], None]:
    """An encoder for a list of fields read from `value` by `getter`: "attr" (exactly `cls`),
    "dict" (exactly a dict with `keys`), "seq" (a tuple or list of len(codecs)), or "one" (the
    value is the single field). `prefix`: a variant index byte written first. Anything the
    generated code does not take goes to `ref_enc(value, out)`."""
    ns = _namespace(codecs, ref_enc, name)
    ns["CLS"] = cls
    n = len(codecs)
    runs = _fixed_runs(codecs)
    checks, body = _enc_lines(runs, ns, "        ")
    names = ", ".join(f"v{i}" for i in range(n))
    src = ["def enc(value, out):"]
    if getter == "attr":
        src.append("    if type(value) is not CLS:\n        return ref(value, out)")
        src += [f"    v{i} = value.{a}" for i, a in enumerate(attrs)]
    elif getter == "dict":
        src.append("    if type(value) is not dict:\n        return ref(value, out)")
        src.append("    try:")
        src += [f"        v{i} = value[{k!r}]" for i, k in enumerate(keys)]
        src.append("    except KeyError:\n        return ref(value, out)")
    elif getter == "seq":
        src.append(f"    if (type(value) is not tuple and type(value) is not list) or len(value) != {n}:")
        src.append("        return ref(value, out)")
        if n:
            src.append(f"    {names}, = value")
    else:
        src.append("    v0 = value")
    if checks:
        src.append(f"    if not ({' and '.join(checks)}):\n        return ref(value, out)")
    src.append("    start = len(out)")
    src.append("    try:")
    if prefix is not None:
        src.append(f"        out.append({prefix})")
    src += body or ["        pass"]
    src.append("    except struct_error:\n        del out[start:]\n        return ref(value, out)")
    return _exec("\n".join(src) + "\n", ns, "enc")


def fields_decoder(codecs: Sequence[Any], build: str, name: str, *, cls: type | None = None,
                   keys: Sequence[str] = (), variant: str = "") -> Callable[[bytes, int], tuple[Any, int]]:
    """A decoder for a list of fields, building the value as `build`: "cls" (cls(*fields)),
    "dict" ({key: field}), "tuple", "one" (the single field), and for enum variants "name"
    (the variant name), "name_one" ((name, field)), "name_tuple", "name_dict"."""
    ns = _namespace(codecs, None, name)
    ns["CLS"] = cls
    n = len(codecs)
    body = _dec_lines(_fixed_runs(codecs), ns, "        ")
    args = ", ".join(f"v{i}" for i in range(n))
    dict_expr = "{" + ", ".join(f"{k!r}: v{i}" for i, k in enumerate(keys)) + "}"
    value = {"cls": f"CLS({args})", "dict": dict_expr, "tuple": f"({args}{',' if n == 1 else ''})", "one": "v0",
             "name": repr(variant), "name_one": f"({variant!r}, v0)",
             "name_tuple": f"({variant!r}, ({args}{',' if n == 1 else ''}))",
             "name_dict": f"({variant!r}, {dict_expr})"}[build]
    src = ["def dec(data, pos):", "    try:"]
    src += body or ["        pass"]
    src.append("    except struct_error:\n        raise ScaleError(f'{NAME}: input too short') from None")
    src.append(f"    return {value}, pos")
    return _exec("\n".join(src) + "\n", ns, "dec")


# -- sequences and options -----------------------------------------------------------------------

def _decode_items(inner_dec: Callable, n: int, data: bytes, pos: int) -> tuple[list, int]:
    """`n` items of one type in a row (a vec's after its length, an array's)."""
    items = []
    append = items.append
    for _ in range(n):
        item, pos = inner_dec(data, pos)
        append(item)
    return items, pos


def vec_functions(vec: Any, ref_enc: Callable) -> tuple[Callable, Callable]:
    inner = vec.inner
    atom = inner.fixed_atom()
    name = vec.type_name
    zero_sized = vec.zero_sized_inner
    if atom is not None and atom[0] == "int":
        fmt, size = atom[1], atom[2]
        int_only = {int}.issuperset
        pack, unpack_from = struct.pack, struct.unpack_from

        def enc(value, out):
            kind = type(value)
            if (kind is list or kind is tuple) and int_only(map(type, value)):
                n = len(value)
                try:
                    packed = pack(f"<{n}{fmt}", *value)
                except struct.error:
                    return ref_enc(value, out)
                out += encode_compact(n)
                out += packed
                return
            ref_enc(value, out)

        def dec(data, pos):
            n, pos = decode_compact(data, pos)
            if n > len(data) - pos:
                raise ScaleError(f"{name}: length {n} exceeds input")
            try:
                items = list(unpack_from(f"<{n}{fmt}", data, pos))
            except struct.error:
                raise ScaleError(f"{name}: input too short") from None
            return items, pos + n * size
        return enc, dec

    inner_enc, inner_dec = inner.encoder(), inner.decoder()

    def enc(value, out):
        kind = type(value)
        if kind is not list and kind is not tuple:
            return ref_enc(value, out)
        out += encode_compact(len(value))
        for item in value:
            inner_enc(item, out)

    def dec(data, pos):
        n, pos = decode_compact(data, pos)
        if n > len(data) - pos and not zero_sized:
            raise ScaleError(f"{name}: length {n} exceeds input")
        return _decode_items(inner_dec, n, data, pos)
    return enc, dec


def array_functions(array: Any, ref_enc: Callable) -> tuple[Callable, Callable]:
    inner_enc, inner_dec = array.inner.encoder(), array.inner.decoder()
    length = array.length

    def enc(value, out):
        kind = type(value)
        if (kind is not list and kind is not tuple) or len(value) != length:
            return ref_enc(value, out)
        for item in value:
            inner_enc(item, out)

    def dec(data, pos):
        return _decode_items(inner_dec, length, data, pos)
    return enc, dec


def option_functions(option: Any) -> tuple[Callable, Callable]:
    inner_enc, inner_dec = option.inner.encoder(), option.inner.decoder()
    name = option.type_name

    def enc(value, out):
        if value is None:
            out.append(0)
        else:
            out.append(1)
            inner_enc(value, out)

    def dec(data, pos):
        tag = data[pos]
        if tag == 0:
            return None, pos + 1
        if tag == 1:
            return inner_dec(data, pos + 1)
        raise ScaleError(f"{name}: invalid tag {tag}")
    return enc, dec


# -- enums -------------------------------------------------------------------------------------------

def prefixed(index: int, inner_enc: Callable) -> Callable:
    """`(name, payload)` of a variant with one unnamed field: the index, then the payload."""
    def enc(payload, out):
        out.append(index)
        inner_enc(payload, out)
    return enc


def enum_functions(name: str, by_type: dict, unit_index: dict, one: dict, by_index: dict,
                   ref_enc: Callable) -> tuple[Callable, Callable]:
    """Dispatch on the value's type (a variant's dataclass), a unit variant's name, or a
    `(name, payload)` pair of a one-field variant; decode through a table by index. The tables
    are the enum's own dicts, so variants added later are seen."""
    get_type, get_unit, get_one, get_index = by_type.get, unit_index.get, one.get, by_index.get

    def enc(value, out):
        fn = get_type(type(value))
        if fn is not None:
            return fn(value, out)
        kind = type(value)
        if kind is str:
            index = get_unit(value)
            if index is not None:
                out.append(index)
                return
        elif kind is tuple and len(value) == 2 and type(value[0]) is str:
            fn = get_one(value[0])
            if fn is not None:
                return fn(value[1], out)
        ref_enc(value, out)

    def dec(data, pos):
        fn = get_index(data[pos])
        if fn is None:
            raise ScaleError(f"{name}: unknown variant index {data[pos]}")
        return fn(data, pos + 1)
    return enc, dec
