"""An arbitrary-precision model of the substrate-fixed arithmetic subtensor's epoch uses.

Written from the crate's semantics (encointer/substrate-fixed v0.6.0: ``src/arith.rs`` mul/div,
``src/transcendental.rs`` exp; subtensor ``primitives/safe-math`` safe_div and
``pallets/subtensor/src/epoch/math.rs``), not from ``consensus.yuma.fixed``: a value is the
``Fraction`` it stands for, every operation is done exactly and then put back on its type's grid
with the rounding the crate uses, and saturation / overflow is decided on the exact result.
Comparing the two over random operands catches a wrong shift, sign or bound in ``fixed.py``.

- ``a * b``: the exact product rounded toward minus infinity (``(a * (b << int)) >> bits``, an
  arithmetic shift); ``a / b``: the exact quotient truncated toward zero (integer division).
- ``checked_*``: None when the rounded result is not representable (or the divisor is 0);
  ``saturating_*``: clamped to the type's MIN / MAX; ``saturating_div`` by 0 panics.
- ``from_num(float)``: nearest, ties to even; ``from_num(fixed)`` to fewer fraction bits:
  floor; ``to_num::<uN>()``: floor; ``round()``: nearest, ties away from zero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Sequence


@dataclass(frozen=True)
class FixedType:
    name: str
    int_bits: int
    frac_bits: int
    signed: bool

    @property
    def ulp(self) -> Fraction:
        return Fraction(1, 1 << self.frac_bits)

    @property
    def min(self) -> Fraction:
        return -Fraction(1 << (self.int_bits - 1)) if self.signed else Fraction(0)

    @property
    def max(self) -> Fraction:
        top = self.int_bits - 1 if self.signed else self.int_bits
        return Fraction(1 << top) - self.ulp

    def fits(self, v: Fraction) -> bool:
        return self.min <= v <= self.max

    def clamp(self, v: Fraction) -> Fraction:
        return min(max(v, self.min), self.max)

    def floor(self, v: Fraction) -> Fraction:
        return Fraction(math.floor(v * (1 << self.frac_bits)), 1 << self.frac_bits)

    def trunc(self, v: Fraction) -> Fraction:
        return Fraction(math.trunc(v * (1 << self.frac_bits)), 1 << self.frac_bits)

    def nearest_even(self, v: Fraction) -> Fraction:
        return Fraction(round(v * (1 << self.frac_bits)), 1 << self.frac_bits)  # Fraction rounds half to even

    # the bits the crate stores, for comparing with fixed.py
    def bits(self, v: Fraction) -> int:
        scaled = v * (1 << self.frac_bits)
        assert scaled.denominator == 1, f"{v} is not on the {self.name} grid"
        return int(scaled)

    def value(self, bits: int) -> Fraction:
        return Fraction(bits, 1 << self.frac_bits)

    # --- operations -------------------------------------------------------------------------
    def checked_mul(self, a: Fraction, b: Fraction) -> Optional[Fraction]:
        r = self.floor(a * b)
        return r if self.fits(r) else None

    def saturating_mul(self, a: Fraction, b: Fraction) -> Fraction:
        return self.clamp(self.floor(a * b))

    def checked_div(self, a: Fraction, b: Fraction) -> Optional[Fraction]:
        if b == 0:
            return None
        r = self.trunc(a / b)
        return r if self.fits(r) else None

    def saturating_div(self, a: Fraction, b: Fraction) -> Fraction:
        if b == 0:
            raise ZeroDivisionError("substrate-fixed panics")
        return self.clamp(self.trunc(a / b))

    def safe_div(self, a: Fraction, b: Fraction) -> Fraction:
        """subtensor's SafeDiv: ``checked_div(..).unwrap_or_default()``."""
        r = self.checked_div(a, b)
        return Fraction(0) if r is None else r

    def saturating_add(self, a: Fraction, b: Fraction) -> Fraction:
        return self.clamp(a + b)

    def saturating_sub(self, a: Fraction, b: Fraction) -> Fraction:
        return self.clamp(a - b)

    def checked_add(self, a: Fraction, b: Fraction) -> Optional[Fraction]:
        return a + b if self.fits(a + b) else None

    def saturating_from_num(self, x) -> Fraction:
        """From an int, a float (nearest, ties to even) or another fixed value (floor)."""
        if isinstance(x, float):
            return self.clamp(self.nearest_even(Fraction(x)))
        return self.clamp(self.floor(Fraction(x)))

    def round(self, v: Fraction) -> Fraction:
        """``round()``: nearest integer, ties away from zero."""
        n = math.floor(abs(v) + Fraction(1, 2))
        return Fraction(n if v >= 0 else -n)


I32F32 = FixedType("I32F32", 32, 32, True)
I64F64 = FixedType("I64F64", 64, 64, True)
I96F32 = FixedType("I96F32", 96, 32, True)
U96F32 = FixedType("U96F32", 96, 32, False)
U64F64 = FixedType("U64F64", 64, 64, False)
I9F23 = FixedType("I9F23", 9, 23, True)


def saturating_to_num(v: Fraction, lo: int, hi: int) -> int:
    """``saturating_to_num::<uN>()``: floor, clamped."""
    return min(max(math.floor(v), lo), hi)


U16_MAX = 0xFFFF
U64_MAX = (1 << 64) - 1


# --- transcendental: exp as substrate_fixed::transcendental::exp::<I32F32, I32F32> -----------------
def _e_by_series(terms: int = 60) -> Fraction:
    total, term = Fraction(0), Fraction(1)
    for k in range(terms):
        total += term
        term /= k + 1
    return total


# ``E`` is the crate's I9F23 constant: e with 23 fraction bits (``consts::E >> 103``, a floor); 60 terms
# of the series are exact far beyond that.
E_I9F23 = I9F23.floor(_e_by_series())


def exp(x: Fraction) -> Optional[Fraction]:
    """The crate's Taylor loop, with I32F32 checked ops: ``None`` is its ``Err(())``."""
    t = I32F32
    if x == 0:
        return Fraction(1)
    if x == 1:
        return E_I9F23
    neg = x < 0
    if neg:
        x = -x
        if not t.fits(x):          # checked_neg of MIN
            return None
    result = t.checked_add(x, Fraction(1))
    if result is None:
        return None
    term = x
    for i in range(2, t.frac_bits):
        term = t.checked_mul(term, x)
        if term is None:
            return None
        term = t.checked_div(term, Fraction(i))
        if term is None:
            return None
        result = t.checked_add(result, term)
        if result is None:
            return None
    if neg:
        return t.checked_div(Fraction(1), result)
    return result


def exp_safe(x: Fraction) -> Fraction:
    """math.rs ``exp_safe``: input clamped to [-20, 20]; on Err 0 (non-positive input) or MAX."""
    safe = min(max(x, Fraction(-20)), Fraction(20))
    r = exp(safe)
    if r is None:
        return Fraction(0) if safe <= 0 else I32F32.max
    return r


def sigmoid_safe(x: Fraction, rho: Fraction, kappa: Fraction) -> Fraction:
    t = I32F32
    offset = t.saturating_sub(x, kappa)
    neg_rho = t.saturating_mul(rho, Fraction(-1))
    exp_input = t.saturating_mul(neg_rho, offset)
    return t.safe_div(Fraction(1), t.saturating_add(exp_safe(exp_input), Fraction(1)))


def alpha_sigmoid(consensus: Fraction, weight: Fraction, bond: Fraction, low: Fraction, high: Fraction,
                  steepness: Fraction) -> Fraction:
    """run_epoch.rs ``alpha_sigmoid``."""
    t = I32F32
    zero, one = Fraction(0), Fraction(1)
    diff_buy = min(max(t.saturating_sub(weight, consensus), zero), one)
    diff_sell = min(max(t.saturating_sub(bond, weight), zero), one)
    combined = diff_buy if weight >= bond else diff_sell
    x = t.saturating_mul(t.saturating_div(steepness, Fraction(-100)), t.saturating_sub(combined, Fraction(1, 2)))
    sigmoid = t.saturating_div(one, t.saturating_add(one, exp_safe(x)))
    alpha = t.saturating_add(low, t.saturating_mul(sigmoid, t.saturating_sub(high, low)))
    return min(max(alpha, low), high)


# --- math.rs helpers ----------------------------------------------------------------------------
def u16_proportion_to_fixed(u: int) -> Fraction:
    return I32F32.safe_div(Fraction(u), Fraction(U16_MAX))


def fixed_proportion_to_u16(x: Fraction) -> int:
    return saturating_to_num(I32F32.saturating_mul(x, Fraction(U16_MAX)), 0, U16_MAX)


def vec_max_upscale_to_u16(vec: Sequence[Fraction]) -> list[int]:
    t = I32F32
    u16_max = Fraction(U16_MAX)
    if not vec:
        return []
    top = max(vec)
    if top == 0:
        return [saturating_to_num(t.saturating_mul(e, u16_max), 0, U16_MAX) for e in vec]
    if top > 32768:
        factor = t.safe_div(u16_max, top)
        return [saturating_to_num(t.round(t.saturating_mul(e, factor)), 0, U16_MAX) for e in vec]
    return [saturating_to_num(t.round(t.safe_div(t.saturating_mul(e, u16_max), top)), 0, U16_MAX) for e in vec]


def normalize(x: Sequence[Fraction]) -> list[Fraction]:
    s = sum(x, Fraction(0))
    return list(x) if s == 0 else [I32F32.safe_div(v, s) for v in x]


def ema_alpha(bonds_moving_average: int) -> Fraction:
    """``compute_disabled_liquid_alpha``: 1 - I32F32(I64F64(bma) / I64F64(1_000_000))."""
    q = I64F64.saturating_div(I64F64.saturating_from_num(bonds_moving_average), Fraction(1_000_000))
    return I32F32.saturating_sub(Fraction(1), I32F32.saturating_from_num(q))


def tao_weight(raw: int) -> Fraction:
    """stake_utils.rs ``get_tao_weight``: U96F32(TaoWeight).safe_div(U96F32(u64::MAX))."""
    return U96F32.safe_div(Fraction(raw), Fraction(U64_MAX))


def stake_weights(alpha: Sequence[int], tao: Sequence[int], tao_weight_raw: int, threshold: int,
                  owner: int) -> tuple[list[Fraction], list[int]]:
    """``get_stake_weights_for_network`` + the epoch's threshold filter, ``inplace_normalize_64`` and
    ``vec_fixed64_to_fixed32``; also the floor of each total (what StakeWeight is built from)."""
    t = I64F64
    w = t.saturating_from_num(tao_weight(tao_weight_raw))
    totals = [t.saturating_add(t.saturating_from_num(a), t.saturating_mul(t.saturating_from_num(b), w))
              for a, b in zip(alpha, tao)]
    raw = [saturating_to_num(v, 0, U64_MAX) for v in totals]
    filtered = [Fraction(0) if (uid != owner and saturating_to_num(v, 0, U64_MAX) < threshold) else v
                for uid, v in enumerate(totals)]
    s = sum(filtered, Fraction(0))
    if s > t.max:
        raise OverflowError("the stake sum overflows I64F64 (subtensor's `iter().sum()` would wrap or panic)")
    if s != 0:
        filtered = [t.safe_div(v, s) for v in filtered]
    return [I32F32.saturating_from_num(v) for v in filtered], raw


def is_topk_nonzero(vector: Sequence[Fraction], k: int) -> list[bool]:
    n = len(vector)
    result = [v != 0 for v in vector]
    if n < k:
        return result
    for idx in sorted(range(n), key=lambda i: vector[i])[:max(n - k, 0)]:   # stable ascending
        result[idx] = False
    return result
