"""``consensus.yuma.fixed`` against an independent arbitrary-precision model of substrate-fixed
(``fixed_model.py``: Fractions, the crate's rounding and saturation rules) over random operands.

The kernel, the reference and the numpy twin all build on ``fixed.py``, so a wrong rule there
would not show as a difference between them; here it shows as a difference from the model.
Deadlines are off: the model's exact ``exp`` loop costs milliseconds, more on a loaded machine.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from consensus.yuma import fixed as fx

from . import fixed_model as m
from .fixed_model import I32F32, I64F64, U96F32

I32_MIN, I32_MAX = fx.I32F32_MIN, fx.I32F32_MAX
ONE = 1 << 32
EDGES = [0, 1, -1, 2, ONE - 1, ONE, ONE + 1, -ONE, ONE // 2, 3 * ONE // 2, I32_MAX, I32_MIN, I32_MAX - 1,
         I32_MIN + 1, 1 << 47, -(1 << 47), (1 << 31) - 1, 1 << 31, 65535 << 32, 32768 << 32]

# I32F32 bits: edges, values near 1 (where the epoch lives), moderate and anywhere in range
i32f32 = st.one_of(st.sampled_from(EDGES), st.integers(-4 * ONE, 4 * ONE), st.integers(-(1 << 48), 1 << 48),
                   st.integers(I32_MIN, I32_MAX))
proportion = st.one_of(st.sampled_from([0, 1, ONE // 2, ONE - 1, ONE]), st.integers(0, ONE))
u16 = st.integers(0, 0xFFFF)
u64 = st.one_of(st.sampled_from([0, 1, 999_999, 1_000_000, 1_000_001, m.U64_MAX]), st.integers(0, m.U64_MAX))
SETTINGS = settings(max_examples=400, deadline=None)


def v32(bits: int) -> Fraction:
    return I32F32.value(bits)


def b32(value: Fraction | None) -> int | None:
    return None if value is None else I32F32.bits(value)


@SETTINGS
@given(i32f32, i32f32)
def test_mul_div_add_sub(a, b):
    x, y = v32(a), v32(b)
    assert fx.mul(a, b) == b32(I32F32.saturating_mul(x, y))
    assert fx.checked_mul(a, b) == b32(I32F32.checked_mul(x, y))
    assert fx.checked_div(a, b) == b32(I32F32.checked_div(x, y))
    assert fx.safe_div(a, b) == b32(I32F32.safe_div(x, y))
    if b:
        assert fx.saturating_div(a, b) == b32(I32F32.saturating_div(x, y))
    assert fx.add(a, b) == b32(I32F32.saturating_add(x, y))
    assert fx.sub(a, b) == b32(I32F32.saturating_sub(x, y))


@SETTINGS
@given(st.one_of(i32f32, st.integers(-(1 << 20), 1 << 20).map(lambda k: k * ONE + ONE // 2)))   # and exact halves
@example(5 << 31)
@example(-(5 << 31))
def test_to_num_and_round(a):
    x = v32(a)
    assert fx.to_u16(a) == m.saturating_to_num(x, 0, m.U16_MAX)
    assert fx.to_u64(a) == m.saturating_to_num(x, 0, m.U64_MAX)
    if I32F32.fits(I32F32.round(x)):
        assert fx.round_bits(a) == b32(I32F32.round(x))
    assert fx.fixed_proportion_to_u16(a) == m.fixed_proportion_to_u16(x)


@SETTINGS
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.floats(-3.0, 3.0),
                 st.integers(-(1 << 40), 1 << 40).map(lambda k: k / 2**33)))   # exact ties at half an ulp
@example(2.0**-33)
@example(3 * 2.0**-33)
@example(-(2.0**-33))
def test_from_float(x):
    assert fx.from_f64(x) == b32(I32F32.saturating_from_num(x))
    if abs(x) < 3e38:       # within f32's range
        assert fx.from_f32(x) == b32(I32F32.saturating_from_num(float(np.float32(x))))


@SETTINGS
@given(st.integers(-(1 << 70), 1 << 70), st.integers(I64F64.bits(I64F64.min), I64F64.bits(I64F64.max)))
def test_from_int_and_narrowing(n, bits64):
    assert fx.from_int(n) == b32(I32F32.saturating_from_num(n))
    assert fx.fixed64_to_fixed32(bits64) == b32(I32F32.saturating_from_num(I64F64.value(bits64)))


@SETTINGS
@given(u16, u16, st.integers(-32768, 32767), u64)
def test_hyperparameter_conversions(lo, hi, steepness, bma):
    assert fx.u16_proportion_to_fixed(lo) == b32(m.u16_proportion_to_fixed(lo))
    assert fx.kappa_fixed(lo) == b32(m.u16_proportion_to_fixed(lo))          # get_float_kappa
    assert fx.bonds_penalty_fixed(hi) == b32(m.u16_proportion_to_fixed(hi))
    assert fx.alpha_values_fixed(lo, hi) == (b32(m.u16_proportion_to_fixed(lo)), b32(m.u16_proportion_to_fixed(hi)))
    low, high = m.u16_proportion_to_fixed(lo), m.u16_proportion_to_fixed(hi)
    assert fx.alpha_values_to_u16(b32(low), b32(high)) == (m.fixed_proportion_to_u16(low),
                                                          m.fixed_proportion_to_u16(high))
    assert fx.steepness_fixed(steepness) == b32(I32F32.saturating_from_num(steepness))
    assert fx.ema_alpha_from_moving_average(bma) == b32(m.ema_alpha(bma))


@SETTINGS
@given(u64)
def test_tao_weight_is_u96f32(raw):
    assert fx.tao_weight_fixed32(raw) == U96F32.bits(m.tao_weight(raw))


def test_exp_constant_and_known_values():
    # E: the crate's I9F23 constant widened, e to 23 fraction bits
    assert fx.E_I32F32 == b32(m.E_I9F23) and abs(float(m.E_I9F23) - math.e) < 2**-23
    assert fx.exp(0) == ONE and fx.exp(ONE) == fx.E_I32F32       # the crate's two shortcuts
    for x in (-20, -5, -1, 2, 5, 20):
        got = fx.exp(fx.from_int(x))
        assert got == b32(m.exp(Fraction(x)))
        # the crate sums the series up to x**31 / 31!, each term floored: near that partial sum
        # (which is e**x to 1e-6 for |x| <= 5, but 0.8 % short of it at 20)
        partial = sum(Fraction(abs(x) ** k, math.factorial(k)) for k in range(32))
        expected = partial if x >= 0 else 1 / partial
        assert abs(got / ONE - float(expected)) <= 64 * 2**-32 * max(1.0, float(expected))
        if abs(x) <= 5:
            assert math.isclose(got / ONE, math.exp(x), rel_tol=1e-6, abs_tol=2**-31)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.integers(-25 * ONE, 25 * ONE), st.integers(-ONE, ONE), st.sampled_from(EDGES)))
def test_exp_and_exp_safe(a):
    x = v32(a)
    assert fx.exp_safe(a) == b32(m.exp_safe(x))
    if abs(a) <= 22 * ONE:   # beyond that the crate's series overflows (Err) in both
        assert fx.exp(a) == b32(m.exp(x))


@settings(max_examples=150, deadline=None)
@given(proportion, proportion, proportion, u16, u16, st.integers(-32768, 32767))
def test_alpha_sigmoid(c, w, b, lo16, hi16, steepness):
    lo16, hi16 = min(lo16, hi16), max(lo16, hi16)
    low, high = m.u16_proportion_to_fixed(lo16), m.u16_proportion_to_fixed(hi16)
    got = fx.alpha_sigmoid(c, w, b, b32(low), b32(high), fx.from_int(steepness))
    assert got == b32(m.alpha_sigmoid(v32(c), v32(w), v32(b), low, high, Fraction(steepness)))


def test_alpha_sigmoid_by_hand():
    # w == b == c: combined difference 0, x = (1000 / -100) * (0 - 0.5) = 5, so alpha is
    # 0.7 + 0.2 / (1 + e^5) = 0.70133857... for the default (0.7, 0.9) and steepness 1000
    lo, hi = fx.alpha_values_fixed(45_875, 58_982)
    got = fx.alpha_sigmoid(ONE // 2, ONE // 2, ONE // 2, lo, hi, fx.from_int(1000))
    assert abs(got / ONE - (45_875 / 65_535 + (58_982 - 45_875) / 65_535 / (1 + math.exp(5)))) < 1e-8


@settings(max_examples=150, deadline=None)
@given(i32f32, i32f32, i32f32)
def test_sigmoid_safe(x, rho, kappa):
    assert fx.sigmoid_safe(x, rho, kappa) == b32(m.sigmoid_safe(v32(x), v32(rho), v32(kappa)))


@SETTINGS
@given(st.lists(st.one_of(proportion, st.integers(0, 40_000 * ONE), st.sampled_from([0, 32768 << 32, 32769 << 32])),
                max_size=12))
def test_vector_helpers(bits):
    assert fx.vec_max_upscale_to_u16(bits) == m.vec_max_upscale_to_u16([v32(b) for b in bits])
    if sum(bits) <= I32_MAX:
        assert fx.normalize(bits) == [b32(v) for v in m.normalize([v32(b) for b in bits])]


stake = st.one_of(st.sampled_from([0, 1, 10**9, 1 << 62, m.U64_MAX]), st.integers(0, 10**15), st.integers(0, m.U64_MAX))


@SETTINGS
@given(st.lists(st.tuples(stake, stake), min_size=1, max_size=8), u64, st.integers(0, 10**12),
       st.integers(-1, 8))
def test_stake_weights(pairs, tao_weight, threshold, owner):
    alpha, tao = [a for a, _ in pairs], [t for _, t in pairs]
    try:
        model = m.stake_weights(alpha, tao, tao_weight, threshold, owner)
    except OverflowError:
        # the filtered stake sums beyond I64F64 (subtensor's `iter().sum()` would wrap or panic):
        # fixed.py refuses it too
        try:
            fx.stake_weights(alpha, tao, tao_weight, threshold, owner)
        except OverflowError:
            return
        raise AssertionError("fixed.stake_weights accepted a stake sum beyond I64F64")
    stake_bits, raw = fx.stake_weights(alpha, tao, tao_weight, threshold, owner)
    assert raw == model[1]
    assert stake_bits == [b32(v) for v in model[0]]
