"""substrate-fixed types as Python ints: a value is its raw `bits`, the real number is bits / 2**FRAC.

Only what the economics needs, with substrate-fixed's rounding (every value here is
non-negative unless the name says otherwise):

- `U64F64` / `I64F64`: 64 fractional bits (share pool, prices, swap). `I96F32` / `U96F32`: 32.
- `from_int(n)` is exact; products truncate (`(a*b) >> FRAC`), quotients truncate (`(a << FRAC) // b`);
  `to_int` floors. Saturation is at the type's width (u64 amounts never exceed it in practice, but
  the bounds are kept so a result always fits its storage codec).

The SCALE codecs keep substrate-fixed's metadata shape, a struct with one field `bits`
(`substrate_fixed::FixedU128<U64>` etc.), so clients decode them as they do on subtensor.
"""
from __future__ import annotations

import dataclasses

from primitives.scale import I128, U128, Codec, Struct
from primitives.types import scale_struct

F64 = 64           # U64F64 / I64F64
F32 = 32           # I96F32 / U96F32 / I32F32
ONE64 = 1 << F64
ONE32 = 1 << F32
U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1
I128_MAX = (1 << 127) - 1




def fixed_codec(path: str, bits: Codec, docs: tuple[str, ...] = ()) -> Struct:
    """substrate-fixed's metadata shape: a struct `path` with the one field `bits` (dict values)."""
    return scale_struct(path, values="dict", docs=docs)(dataclasses.make_dataclass("Fixed", [("bits", bits)]))


U64F64 = fixed_codec("substrate_fixed::FixedU128", U128)
I64F64 = fixed_codec("substrate_fixed::FixedI128", I128)
I96F32 = fixed_codec("substrate_fixed::FixedI128", I128)
U96F32 = fixed_codec("substrate_fixed::FixedU128", U128)


def fixed(bits: int) -> dict:
    """The storage value of a fixed-point number."""
    return {"bits": bits}


def bits_of(value) -> int:
    """Raw bits of a decoded fixed value (a `{"bits": n}` dict) or of a plain int."""
    return value["bits"] if isinstance(value, dict) else int(value)


def from_int(n: int, frac: int = F64) -> int:
    return n << frac


def to_int(bits: int, frac: int = F64) -> int:
    """Floor to an integer, saturating at 0 and u64::MAX (`saturating_to_num::<u64>`)."""
    if bits <= 0:
        return 0
    return min(bits >> frac, U64_MAX)


def mul(a: int, b: int, frac: int = F64) -> int:
    return (a * b) >> frac


def div(a: int, b: int, frac: int = F64) -> int:
    """`safe_div`: 0 when the divisor is 0 (truncating toward zero for non-negative values)."""
    if b == 0:
        return 0
    return (a << frac) // b


def ratio(num: int, den: int, frac: int = F64) -> int:
    """num/den of two integers as fixed bits (`from_num(num).safe_div(from_num(den))`)."""
    return 0 if den == 0 else (num << frac) // den


def mul_int(amount: int, bits: int, frac: int = F64) -> int:
    """floor(amount * x) for an integer amount and a fixed x: `from_num(amount) * x` then to u64."""
    return to_int(amount * bits, frac)


def convert(bits: int, from_frac: int, to_frac: int) -> int:
    """Change the number of fractional bits (narrowing truncates, as substrate-fixed does)."""
    if to_frac >= from_frac:
        return bits << (to_frac - from_frac)
    return bits >> (from_frac - to_frac)


def from_decimal_str(text: str, frac: int) -> int:
    """`from_num(f64)` of a decimal literal: its f64's exact value rounded to `frac` bits (ties to even)."""
    from fractions import Fraction

    scaled = Fraction(float(text)) * (1 << frac)
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    return floor + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2) else 0)


def isqrt_fixed(bits: int, frac: int = F64) -> int:
    """sqrt of a fixed value, floored to the last bit: sqrt(bits / 2^f) * 2^f = isqrt(bits << f)."""
    from math import isqrt

    return isqrt(bits << frac) if bits > 0 else 0
