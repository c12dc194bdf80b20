"""Exact emulation of the ``substrate-fixed`` arithmetic used by subtensor's epoch.

Everything here works on *bits*: a fixed-point number ``x`` of type ``IaFb`` is
represented by the Python ``int`` ``round(x * 2**b)`` exactly as the Rust crate
stores it.  Python ints are unbounded, so every saturation / overflow rule of the
crate is applied explicitly.

Rules (``encointer/substrate-fixed`` v0.6.0, ``src/arith.rs`` and
``src/macros_frac.rs``; ``primitives/safe-math`` in subtensor):

* ``a * b``  -> ``(a_bits * b_bits) >> FRAC``          (arithmetic shift == floor)
* ``a / b``  -> ``(a_bits << FRAC) / b_bits``          (integer division truncating toward 0)
* ``checked_*`` return ``None`` when the exact result does not fit the type,
  ``saturating_*`` clamp to ``MIN``/``MAX`` (sign of the exact result),
  ``safe_div`` (subtensor) is ``checked_div().unwrap_or_default()``: 0 on a zero
  divisor *and* on overflow.
* fixed -> narrower fixed drops fraction bits (floor); int -> fixed is exact;
  ``f32``/``f64`` -> fixed rounds to nearest, ties to even.
* ``to_num::<uN>()`` floors (then saturates for the ``saturating_`` variant);
  ``round()`` is nearest with ties away from zero.

This module is the canonical, readable definition; ``kernel.py`` and
``vectorized.py`` re-implement the same operations on int64 and are tested to be
bit-identical with it.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Optional, Sequence

import numpy as np

FRAC = 32
ONE = 1 << FRAC                      # I32F32 1.0
HALF = 1 << (FRAC - 1)               # I32F32 0.5
I32F32_MAX = (1 << 63) - 1
I32F32_MIN = -(1 << 63)
I64F64_MAX = (1 << 127) - 1
I64F64_MIN = -(1 << 127)
U16_MAX = 0xFFFF
U64_MAX = (1 << 64) - 1


# --------------------------------------------------------------------------- basics

def _clamp(v: int, lo: int, hi: int) -> int:
    return lo if v < lo else hi if v > hi else v


def from_int(n: int) -> int:
    """``I32F32::saturating_from_num(n)`` for an integer ``n``."""
    return _clamp(int(n) << FRAC, I32F32_MIN, I32F32_MAX)


def _round_half_even(fr: Fraction) -> int:
    return round(fr)  # Fraction.__round__ rounds half to even


def from_f64(x: float) -> int:
    """``I32F32::saturating_from_num(x: f64)``: nearest, ties to even."""
    return _clamp(_round_half_even(Fraction(float(x)) * ONE), I32F32_MIN, I32F32_MAX)


def from_f32(x: float) -> int:
    """``I32F32::saturating_from_num(x: f32)`` (Rust literals like ``0.1_f32``)."""
    return from_f64(float(np.float32(x)))


def to_float(bits: int) -> float:
    return bits / ONE


def checked_mul(a: int, b: int, frac: int = FRAC, lo: int = I32F32_MIN, hi: int = I32F32_MAX) -> Optional[int]:
    r = (a * b) >> frac
    return r if lo <= r <= hi else None


def mul(a: int, b: int) -> int:
    """``I32F32::saturating_mul``."""
    r = (a * b) >> FRAC
    return _clamp(r, I32F32_MIN, I32F32_MAX)


def _trunc_div(n: int, d: int) -> int:
    q = abs(n) // abs(d)
    return q if (n >= 0) == (d > 0) else -q


def checked_div(a: int, b: int, frac: int = FRAC, lo: int = I32F32_MIN, hi: int = I32F32_MAX) -> Optional[int]:
    if b == 0:
        return None
    r = _trunc_div(a << frac, b)
    return r if lo <= r <= hi else None


def safe_div(a: int, b: int) -> int:
    """subtensor ``SafeDiv::safe_div`` on I32F32: 0 on zero divisor or overflow."""
    r = checked_div(a, b)
    return 0 if r is None else r


def saturating_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("saturating_div by zero panics in substrate-fixed")
    r = _trunc_div(a << FRAC, b)
    return _clamp(r, I32F32_MIN, I32F32_MAX)


def add(a: int, b: int) -> int:
    """``saturating_add``."""
    return _clamp(a + b, I32F32_MIN, I32F32_MAX)


def sub(a: int, b: int) -> int:
    """``saturating_sub``."""
    return _clamp(a - b, I32F32_MIN, I32F32_MAX)


def to_u16(bits: int) -> int:
    """``saturating_to_num::<u16>()`` (floor, clamp)."""
    return _clamp(bits >> FRAC, 0, U16_MAX)


def to_u64(bits: int, frac: int = FRAC) -> int:
    """``saturating_to_num::<u64>()`` (floor, clamp)."""
    return _clamp(bits >> frac, 0, U64_MAX)


def round_bits(bits: int) -> int:
    """``round()``: nearest integer, ties away from zero (result in bits)."""
    if bits >= 0:
        return ((bits + HALF) >> FRAC) << FRAC
    return -(((-bits + HALF) >> FRAC) << FRAC)


def fixed_proportion_to_u16(x: int) -> int:
    """``fixed_proportion_to_u16`` (E/math.rs): ``floor(x * 65535)`` saturated to u16."""
    return to_u16(mul(x, U16_MAX << FRAC))


def u16_proportion_to_fixed(u: int) -> int:
    """``u16_proportion_to_fixed``: ``u / 65535`` in I32F32."""
    return safe_div(from_int(u), from_int(U16_MAX))


def u16_to_fixed(u: int) -> int:
    return from_int(u)


def fixed64_to_fixed32(bits64: int) -> int:
    """``I32F32::saturating_from_num(I64F64)``: drop 32 fraction bits (floor), saturate."""
    return _clamp(bits64 >> 32, I32F32_MIN, I32F32_MAX)


# --------------------------------------------------------------------------- hyperparameters

def kappa_fixed(kappa_u16: int) -> int:
    """``get_float_kappa``: ``kappa / 65535``."""
    return safe_div(from_int(kappa_u16), from_int(U16_MAX))


def bonds_penalty_fixed(bp_u16: int) -> int:
    """``get_float_bonds_penalty``: ``bonds_penalty / 65535``."""
    return safe_div(from_int(bp_u16), from_int(U16_MAX))


def ema_alpha_from_moving_average(bonds_moving_average: int) -> int:
    """``compute_ema_bonds_normal_sparse`` / ``compute_disabled_liquid_alpha``.

    ``alpha = 1 - I32F32(I64F64(bma) / I64F64(1_000_000))``: the I64F64 quotient is
    truncated, narrowed to I32F32 with floor, then ``ONE.saturating_sub``.
    """
    bma64 = _clamp(int(bonds_moving_average) << 64, I64F64_MIN, I64F64_MAX)
    q64 = _clamp(_trunc_div(bma64 << 64, 1_000_000 << 64), I64F64_MIN, I64F64_MAX)
    return sub(ONE, fixed64_to_fixed32(q64))


def alpha_values_fixed(alpha_low_u16: int, alpha_high_u16: int) -> tuple[int, int]:
    """``get_alpha_values_32``: (low/65535, high/65535)."""
    return u16_proportion_to_fixed(alpha_low_u16), u16_proportion_to_fixed(alpha_high_u16)


def alpha_values_to_u16(low_bits: int, high_bits: int) -> tuple[int, int]:
    """``set_alpha_values_32``: store ``floor(x * 65535)`` as u16."""
    return to_u16(mul(low_bits, U16_MAX << FRAC)), to_u16(mul(high_bits, U16_MAX << FRAC))


def steepness_fixed(steepness_i16: int) -> int:
    """``get_alpha_sigmoid_steepness``: ``I32F32::saturating_from_num(i16)``."""
    return from_int(steepness_i16)


def activity_cutoff_blocks(activity_cutoff_factor_milli: int, tempo: int) -> int:
    """``get_activity_cutoff_blocks``: ``max(1, factor * tempo / 1000)`` (u64 maths)."""
    return max(1, min(int(activity_cutoff_factor_milli) * int(tempo), U64_MAX) // 1000)


def tao_weight_fixed32(tao_weight_raw: int) -> int:
    """``get_tao_weight``: ``U96F32(TaoWeight) / U96F32(u64::MAX)`` -> U96F32 bits."""
    return (int(tao_weight_raw) << 64) // (U64_MAX << 32)


# --------------------------------------------------------------------------- transcendental

# ``consts::E`` (U2F126) of substrate-fixed v0.6.0, src/consts.rs.
_E_U2F126 = 0xADF8_5458_A2BB_4A9A_AFDC_5620_273D_3CF1
# ``transcendental::E = I9F23::from_bits(consts::E.to_bits() >> 103)``, widened to I32F32.
E_I32F32 = (_E_U2F126 >> 103) << (FRAC - 23)


def exp(x: int) -> Optional[int]:
    """``substrate_fixed::transcendental::exp::<I32F32, I32F32>`` (None == ``Err``)."""
    if x == 0:
        return ONE
    if x == ONE:
        return E_I32F32
    neg = x < 0
    if neg:
        x = -x
        if x > I32F32_MAX:
            return None
    result = x + ONE
    if result > I32F32_MAX:
        return None
    term = x
    for i in range(2, FRAC):
        term = checked_mul(term, x)
        if term is None:
            return None
        term = checked_div(term, i << FRAC)
        if term is None:
            return None
        result = result + term
        if result > I32F32_MAX:
            return None
    if neg:
        result = checked_div(ONE, result)
    return result


EXP_SAFE_MIN = from_int(-20)
EXP_SAFE_MAX = from_int(20)


def exp_safe(x: int) -> int:
    """``exp_safe`` (E/math.rs): clamp to [-20, 20], 0 / MAX on error."""
    xs = EXP_SAFE_MIN if x < EXP_SAFE_MIN else EXP_SAFE_MAX if x > EXP_SAFE_MAX else x
    r = exp(xs)
    if r is None:
        return 0 if xs <= 0 else I32F32_MAX
    return r


def sigmoid_safe(x: int, rho: int, kappa: int) -> int:
    """``sigmoid_safe`` (E/math.rs); unused by the current epoch, kept for the math tests."""
    offset = sub(x, kappa)
    neg_rho = mul(rho, -ONE)
    exp_input = mul(neg_rho, offset)
    denominator = add(exp_safe(exp_input), ONE)
    return safe_div(ONE, denominator)


def alpha_sigmoid(consensus: int, weight: int, bond: int, alpha_low: int, alpha_high: int,
                  steepness: int) -> int:
    """``Pallet::alpha_sigmoid`` (E/run_epoch.rs): liquid-alpha per (i, j)."""
    diff_buy = max(min(sub(weight, consensus), ONE), 0)
    diff_sell = max(min(sub(bond, weight), ONE), 0)
    combined = diff_buy if weight >= bond else diff_sell
    x = mul(saturating_div(steepness, from_int(-100)), sub(combined, HALF))
    sigmoid = saturating_div(ONE, add(ONE, exp_safe(x)))
    alpha = add(alpha_low, mul(sigmoid, sub(alpha_high, alpha_low)))
    return max(min(alpha, alpha_high), alpha_low)


# --------------------------------------------------------------------------- vectors

def vec_max_upscale_to_u16(vec: Sequence[int]) -> list[int]:
    """``vec_max_upscale_to_u16`` (E/math.rs)."""
    if len(vec) == 0:
        return []
    u16_max = from_int(U16_MAX)
    threshold = from_int(32768)
    m = max(vec)
    if m == 0:
        return [to_u16(mul(e, u16_max)) for e in vec]
    if m > threshold:
        f = safe_div(u16_max, m)
        return [to_u16(round_bits(mul(e, f))) for e in vec]
    return [to_u16(round_bits(safe_div(mul(e, u16_max), m))) for e in vec]


def vec_u16_max_upscale_to_u16(vec: Sequence[int]) -> list[int]:
    """``vec_u16_max_upscale_to_u16``: what ``set_weights`` stores for the submitted values."""
    return vec_max_upscale_to_u16([from_int(v) for v in vec])


def is_topk(vector: Sequence[int], k: int) -> list[bool]:
    n = len(vector)
    result = [True] * n
    if n < k:
        return result
    idxs = sorted(range(n), key=lambda i: vector[i])  # stable
    for i in idxs[: max(n - k, 0)]:
        result[i] = False
    return result


def is_topk_nonzero(vector: Sequence[int], k: int) -> list[bool]:
    """`is_topk`, and the entry non-zero."""
    return [top and v != 0 for v, top in zip(vector, is_topk(vector, k))]


def normalize(x: Sequence[int]) -> list[int]:
    s = sum(x)
    if s == 0:
        return list(x)
    return [safe_div(v, s) for v in x]


def weighted_median(stake: Sequence[int], score: Sequence[int], partition_idx: Sequence[int],
                    minority: int, partition_lo: int, partition_hi: int) -> int:
    """``weighted_median`` (E/math.rs): deterministic mid-pivot quickselect."""
    if len(stake) != len(score):
        return 0
    current = list(partition_idx)
    iteration_limit = len(partition_idx)
    iteration = 0
    while True:
        n = len(current)
        if n == 0:
            return 0
        if n == 1:
            return score[current[0]]
        pivot = score[current[n // 2]]
        lo_stake = hi_stake = 0
        lower: list[int] = []
        upper: list[int] = []
        for idx in current:
            s = score[idx]
            if s == pivot:
                continue
            if s < pivot:
                lo_stake = add(lo_stake, stake[idx])
                lower.append(idx)
            else:
                hi_stake = add(hi_stake, stake[idx])
                upper.append(idx)
        if minority < add(partition_lo, lo_stake) and lower:
            current = lower
            partition_hi = add(partition_lo, lo_stake)
        elif sub(partition_hi, hi_stake) <= minority and upper:
            current = upper
            partition_lo = sub(partition_hi, hi_stake)
        else:
            return pivot
        iteration += 1
        if iteration > iteration_limit:
            break
    return 0


# --------------------------------------------------------------------------- stake

def stake_weights(alpha_stake: Sequence[int], tao_stake: Sequence[int], tao_weight_raw: int,
                  stake_threshold: int, owner_uid: int) -> tuple[list[int], list[int]]:
    """Stake part of ``epoch_mechanism`` (``get_stake_weights_for_network`` + filter + normalise).

    ``total_i = I64F64(alpha_i) + I64F64(tao_i) * I64F64(tao_weight)`` (saturating),
    zeroed when ``floor(total_i) < stake_threshold`` unless ``i`` is the owner,
    normalised in I64F64 (``inplace_normalize_64``) and narrowed to I32F32.

    Returns ``(stake_i32f32_bits, raw_total_floor_u64)``.
    """
    tw96 = tao_weight_fixed32(tao_weight_raw)          # U96F32 bits
    tw64 = _clamp(tw96 << 32, I64F64_MIN, I64F64_MAX)  # I64F64::saturating_from_num(U96F32)
    totals: list[int] = []
    for a, t in zip(alpha_stake, tao_stake):
        a64 = min(int(a) << 64, I64F64_MAX)
        t64 = min(int(t) << 64, I64F64_MAX)
        prod = _clamp((t64 * tw64) >> 64, I64F64_MIN, I64F64_MAX)
        totals.append(_clamp(a64 + prod, I64F64_MIN, I64F64_MAX))
    raw = [to_u64(v, 64) for v in totals]
    filtered = [0 if (i != owner_uid and to_u64(v, 64) < stake_threshold) else v
                for i, v in enumerate(totals)]
    s = sum(filtered)
    if s != 0:
        if s > I64F64_MAX:
            raise OverflowError("sum of stake overflows I64F64 (subtensor would wrap/panic)")
        filtered = [_clamp(_trunc_div(v << 64, s), I64F64_MIN, I64F64_MAX) for v in filtered]
    return [fixed64_to_fixed32(v) for v in filtered], raw
