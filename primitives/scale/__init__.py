"""SCALE codec with type descriptors that also describe themselves to metadata.

Every on-chain type is a `Codec` instance declared once. A codec encodes and decodes
Python values and carries what `scale-info` needs (path, generic params, definition),
so metadata V14/V15 is generated from the same objects that encode state: the two
cannot drift apart.

Value conventions:
- integers are `int`, range-checked on encode; `Bool` is `bool`;
- `Bytes`/`FixedBytes` are `bytes`; `Str` is `str`;
- `Vec`/`Array` are lists (tuples accepted); `Tuple` is a tuple; `Option` is `None` or the value;
- `Struct` is its dataclass when declared with `cls`, else a dict;
- `Enum` is the variant's dataclass (when declared with `cls`), the variant name for a unit
  variant, or `(name, payload)` where payload is a single value (one unnamed field),
  a tuple (several unnamed fields) or a dict (named fields).
"""
from primitives.scale.codec import (  # noqa: F401
    U8, U16, U32, U64, U128, U256, I8, I16, I32, I64, I128, Array, Bool, Bytes, Codec, Compact, Field, FixedBytes,
    Option, ScaleError, Str, Tuple, Unit, Vec, decode_compact, encode_compact, tuple_of,
)
from primitives.scale.structs import (  # noqa: F401
    Encoded, Enum, Lazy, Result, Struct, Variant, dataclass_fields, struct_of,
)
