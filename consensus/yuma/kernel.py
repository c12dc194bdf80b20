"""numba twin of ``reference.py``: the production Yuma epoch on CSR arrays.

Same entry point (:func:`run_epoch`), bit-identical outputs.  Design notes:

* Fixed-point arithmetic is done on int64 only (I32F32 bits), splitting operands into
  16/32-bit limbs where a product or quotient would need 128 bits, so the code gives the
  same results compiled or interpreted (``NUMBA_DISABLE_JIT=1``; tested).  No fastmath.
  Floats appear only as *estimates* of quotients (``_div_int``, ``_div_frac*``): the result
  is either corrected with exact integer remainders or accepted only when a proven error
  bound keeps it away from an integer boundary; otherwise an exact integer path is used.
* Matrices are CSR triples ``(indptr, indices, values)``; every sparse step keeps the row
  order subtensor would have (it matters for the liquid-alpha merge and for the order of
  the stored bond rows).  Clipped weights / weights-for-bonds are recomputed on the fly
  instead of materialised when the bonds penalty is 0 or 1.
* The stake-weighted median returns exactly what subtensor's quickselect returns, computed
  by radix selection (see ``_weighted_median``); the reference runs the quickselect itself.
* ``_epoch`` orchestrates jitted stages from plain Python (one dispatch per stage keeps the
  cold compile shorter); large working arrays are reused between calls (``_scratch``).
* Single-threaded (no ``parallel=True``): one epoch uses one core.
"""
from __future__ import annotations

import threading

import numpy as np
from numba import njit

from . import fixed as _fx
from .prepare import prepare
from .types import EpochInputs, EpochOutputs, SparseRows

# Constants are numpy int64 (not Python ints) so that numba types them as int64 rather than
# integer literals: literal-typed arguments make numba compile extra specialisations.
Z = np.int64(0)
ONE = np.int64(1 << 32)
HALF = np.int64(1 << 31)
MAX = np.int64((1 << 63) - 1)
MIN = np.int64(-(1 << 63))
M16 = np.int64(0xFFFF)
M32 = np.int64(0xFFFFFFFF)
U16MAX_FX = np.int64(0xFFFF << 32)
E_BITS = np.int64(_fx.E_I32F32)
EXP_LO = np.int64(-(20 << 32))
EXP_HI = np.int64(20 << 32)
THRESH_32768 = np.int64(32768 << 32)


# ============================================================ fixed-point scalars (int64)

@njit(cache=True)
def _sadd(a, b):
    """saturating_add."""
    if b > 0 and a > MAX - b:
        return MAX
    if b < 0 and a < MIN - b:
        return MIN
    return a + b


@njit(cache=True)
def _ssub(a, b):
    """saturating_sub."""
    if b < 0 and a > MAX + b:
        return MAX
    if b > 0 and a < MIN + b:
        return MIN
    return a - b


@njit(cache=True)
def _mul_full(a, b):
    """I32F32 product ``floor(a*b / 2**32)``: (overflow, value)."""
    if a == 0 or b == 0:
        return False, Z
    neg = (a < 0) != (b < 0)
    if a == MIN or b == MIN:
        other = b if a == MIN else a
        if other == MIN:
            return True, Z
        mag = other if other > 0 else -other
        if mag > ONE or (mag == ONE and not neg):
            return True, Z
        if mag == ONE:
            return False, MIN
        v = (1 << 31) * mag  # exact (no fraction), below 2**63
        return False, (-v if neg else v)
    ua = a if a > 0 else -a
    ub = b if b > 0 else -b
    # |a|*|b| / 2**32 with 32/16-bit limbs: everything stays below 2**63
    ah = ua >> 32
    al = ua & M32
    bh = ub >> 32
    bl = ub & M32
    t1 = al * (bl >> 16)
    t0 = al * (bl & M16)
    q = (t1 + (t0 >> 16)) >> 16                     # floor(al*bl / 2**32)
    rem_nz = ((((t1 & M16) << 16) + t0) & M32) != 0  # (al*bl) mod 2**32 != 0
    if ah != 0 and bh != 0:
        hh = ah * bh
        if hh >= (1 << 31):
            return True, Z
        hh <<= 32
        if q > MAX - hh:
            return True, Z
        q += hh
    t = ah * bl
    if q > MAX - t:
        return True, Z
    q += t
    t = al * bh
    if q > MAX - t:
        return True, Z
    q += t
    if neg:
        return False, -q - (1 if rem_nz else 0)
    return False, q


@njit(cache=True)
def _mul_unit(a, b):
    """I32F32 product for 0 <= a, b <= 1.0: floor(a*b / 2**32) with 16-bit limbs of b
    (partial products stay below 2**49, so no overflow and no saturation)."""
    return (a * (b >> 16) + ((a * (b & M16)) >> 16)) >> 16


@njit(cache=True)
def _mul(a, b):
    """I32F32 saturating_mul."""
    if 0 <= a <= ONE and 0 <= b <= ONE:
        return _mul_unit(a, b)
    ovf, v = _mul_full(a, b)
    if ovf:
        return MIN if (a < 0) != (b < 0) else MAX
    return v


@njit(cache=True)
def _frac32(r, d):
    """floor(r * 2**32 / d) for 0 <= r < d < 2**63."""
    if d < (1 << 31):
        return (r << 32) // d
    if d < (1 << 47):
        r1 = r << 16
        q1 = r1 // d
        r1 -= q1 * d
        return (q1 << 16) + ((r1 << 16) // d)
    q = Z
    for _ in range(32):
        q <<= 1
        if r >= d - r:
            r = r - (d - r)
            q |= 1
        else:
            r = r + r
    return q


@njit(cache=True)
def _div_full(a, b):
    """I32F32 quotient truncated toward zero: (ok, value); not ok on b == 0 or overflow."""
    if b == 0:
        return False, Z
    if a == 0:
        return True, Z
    neg = (a < 0) != (b < 0)
    if b == MIN:  # |b| = 2**63: |q| = |a| / 2**31
        q = (1 << 32) if a == MIN else ((a if a > 0 else -a) >> 31)
        return True, (-q if neg else q)
    ub = b if b > 0 else -b
    if a == MIN:  # |a| = 2**63: |q| = 2**95 / |b|
        if ub <= ONE:
            if ub == ONE and neg:
                return True, MIN
            return False, Z
        q1 = MAX // ub
        r = MAX - q1 * ub + 1
        if r == ub:
            q1 += 1
            r = Z
        q = (q1 << 32) + _frac32(r, ub)
        return True, (-q if neg else q)
    ua = a if a > 0 else -a
    if ua < (1 << 31):
        q = (ua << 32) // ub
    else:
        q1 = ua // ub
        r = ua - q1 * ub
        if q1 >= (1 << 31):
            if neg and q1 == (1 << 31) and r == 0:
                return True, MIN
            return False, Z
        q = (q1 << 32) + _frac32(r, ub)
    return True, (-q if neg else q)


@njit(cache=True)
def _safe_div(a, b):
    """subtensor safe_div: 0 on zero divisor or overflow."""
    if a >= 0 and b > 0 and a < (1 << 31):
        return (a << 32) // b
    ok, v = _div_full(a, b)
    return v if ok else 0


@njit(cache=True)
def _sat_div(a, b):
    """saturating_div (b != 0)."""
    ok, v = _div_full(a, b)
    if ok:
        return v
    return MIN if (a < 0) != (b < 0) else MAX


@njit(cache=True)
def _p16(x):
    """fixed_proportion_to_u16: to_u16(saturating_mul(x, 65535)) == clamp(x * 65535 >> 32)."""
    if x <= 0:
        return Z
    if x >= (1 << 47):  # the product saturates (or exceeds 65535 anyway)
        return M16
    v = (x * M16) >> 32
    return v if v < M16 else M16


@njit(cache=True)
def _exp_term(t, xh, xl):
    """floor(t * x / 2**32) for 0 <= t < 2**58 and x = xh * 2**32 + xl <= 20 * 2**32.

    In the exp series for |x| <= 20 every term is below 2**58 and every product below 2**63,
    so substrate-fixed's checked_mul never fails there and plain limb products are exact."""
    th = t >> 32
    tl = t & M32
    return ((th * xh) << 32) + th * xl + tl * xh + ((tl * (xl >> 16) + ((tl * (xl & M16)) >> 16)) >> 16)


@njit(cache=True)
def _exp_safe(x):
    """exp_safe (E/math.rs) = transcendental::exp::<I32F32, I32F32> on x clamped to [-20, 20].

    The series ``term = term * x / i`` (i = 2..31; checked_div by an integer-valued fixed is
    floor division by i for term >= 0) is unrolled so every division is by a constant; a
    negative input gives 1 / exp(|x|) (checked_div); exp(1) is the crate's constant E.  No
    step can fail for |x| <= 20, so the Err branches of exp are unreachable here."""
    if x < EXP_LO:
        x = EXP_LO
    elif x > EXP_HI:
        x = EXP_HI
    if x == 0:
        return ONE
    if x == ONE:
        return E_BITS
    neg = x < 0
    if neg:
        x = -x
    xh = x >> 32
    xl = x & M32
    r = x + ONE
    t = x
    t = _exp_term(t, xh, xl) // 2
    r += t
    t = _exp_term(t, xh, xl) // 3
    r += t
    t = _exp_term(t, xh, xl) // 4
    r += t
    t = _exp_term(t, xh, xl) // 5
    r += t
    t = _exp_term(t, xh, xl) // 6
    r += t
    t = _exp_term(t, xh, xl) // 7
    r += t
    t = _exp_term(t, xh, xl) // 8
    r += t
    t = _exp_term(t, xh, xl) // 9
    r += t
    t = _exp_term(t, xh, xl) // 10
    r += t
    t = _exp_term(t, xh, xl) // 11
    r += t
    t = _exp_term(t, xh, xl) // 12
    r += t
    t = _exp_term(t, xh, xl) // 13
    r += t
    t = _exp_term(t, xh, xl) // 14
    r += t
    t = _exp_term(t, xh, xl) // 15
    r += t
    t = _exp_term(t, xh, xl) // 16
    r += t
    t = _exp_term(t, xh, xl) // 17
    r += t
    t = _exp_term(t, xh, xl) // 18
    r += t
    t = _exp_term(t, xh, xl) // 19
    r += t
    t = _exp_term(t, xh, xl) // 20
    r += t
    t = _exp_term(t, xh, xl) // 21
    r += t
    t = _exp_term(t, xh, xl) // 22
    r += t
    t = _exp_term(t, xh, xl) // 23
    r += t
    t = _exp_term(t, xh, xl) // 24
    r += t
    t = _exp_term(t, xh, xl) // 25
    r += t
    t = _exp_term(t, xh, xl) // 26
    r += t
    t = _exp_term(t, xh, xl) // 27
    r += t
    t = _exp_term(t, xh, xl) // 28
    r += t
    t = _exp_term(t, xh, xl) // 29
    r += t
    t = _exp_term(t, xh, xl) // 30
    r += t
    t = _exp_term(t, xh, xl) // 31
    r += t
    if neg:
        ok, r = _div_full(ONE, r)
    return r


@njit(cache=True)
def _liquid_alpha(c, w, b, lo, hi, steep_div):
    """alpha_sigmoid with ``steepness / -100`` precomputed."""
    if w >= b:
        d = _ssub(w, c)
    else:
        d = _ssub(b, w)
    if d > ONE:
        d = ONE
    if d < 0:
        d = Z
    x = _mul(steep_div, _ssub(d, HALF))
    sig = _sat_div(ONE, _sadd(ONE, _exp_safe(x)))
    a = _sadd(lo, _mul(sig, _ssub(hi, lo)))
    if a > hi:
        a = hi
    if a < lo:
        a = lo
    return a


# ============================================================ sparse helpers

@njit(cache=True)
def _div_frac(x, s, inv):
    """Exact ``safe_div(x, s)`` = floor(x * 2**32 / s) for 0 <= x <= s <= 2**47, s > 0.

    Two 16-bit quotient digits, each estimated with the float reciprocal ``inv = 1/s``
    and corrected with exact integer remainders (no hardware integer division).
    """
    if x >= s or s > (1 << 47) or x < 0:
        return ONE if x == s else _safe_div(x, s)
    r = x << 16
    q1 = np.int64(r * inv)
    r -= q1 * s
    while r < 0:
        q1 -= 1
        r += s
    while r >= s:
        q1 += 1
        r -= s
    r <<= 16
    q2 = np.int64(r * inv)
    r -= q2 * s
    while r < 0:
        q2 -= 1
        r += s
    while r >= s:
        q2 += 1
        r -= s
    return (q1 << 16) + q2


@njit(cache=True)
def _div_int(num, s, inv):
    """Exact ``num // s`` for 0 <= num < 2**62, s > 0, num / s <= 2**33; ``inv = 1.0 / s``.

    The float estimate x = num * inv has relative error < 3 * 2**-53, i.e. an absolute
    error < 2**-18 here; when x is at least 2**-14 away from an integer its floor is the
    exact quotient, otherwise fall back to the integer division."""
    x = num * inv
    if x < 8589934592.0:  # the error bound below needs a quotient <= 2**33
        q = np.int64(x)
        f = x - q
        if f > 6.103515625e-05 and f < 0.99993896484375:  # 2**-14 < frac(x) < 1 - 2**-14
            return q
    return num // s


@njit(cache=True)
def _div_frac_fast(v, s, inv32):
    """Exact ``safe_div(v, s)`` = floor(v * 2**32 / s) for 0 <= v <= s <= 2**47;
    ``inv32 = 2.0**32 / s``.

    v is exact in float64, so x = v * inv32 has relative error <= 2**-52 and, as the
    quotient is <= 2**32, absolute error <= 2**-20.  If frac(x) is more than 2**-17 from
    an integer, floor(x) is exact; otherwise use the exact two-digit routine."""
    if 0 <= v < s <= (1 << 47):
        x = v * inv32
        q = np.int64(x)
        f = x - q
        if f > 7.62939453125e-06 and f < 0.99999237060546875:  # 2**-17 < frac(x) < 1 - 2**-17
            return q
    return _div_frac(v, s, inv32 * 2.3283064365386963e-10)  # inv32 / 2**32 == 1 / s


@njit(cache=True)
def _sorted(a):
    """Sorted copy of an int64 array (bottom-up merge sort; numba's np.sort costs ~5 s to compile)."""
    n = len(a)
    src = a.copy()
    buf = np.empty(n, np.int64)
    w = 1
    while w < n:
        i = 0
        while i < n:
            mid = min(i + w, n)
            hi = min(i + 2 * w, n)
            lft = i
            r = mid
            k = i
            while lft < mid and r < hi:
                if src[r] < src[lft]:
                    buf[k] = src[r]
                    r += 1
                else:
                    buf[k] = src[lft]
                    lft += 1
                k += 1
            while lft < mid:
                buf[k] = src[lft]
                lft += 1
                k += 1
            while r < hi:
                buf[k] = src[r]
                r += 1
                k += 1
            i += 2 * w
        src, buf = buf, src
        w *= 2
    return src


@njit(cache=True)
def _normalize(x):
    """inplace_normalize (returns a copy)."""
    s = Z
    for v in x:
        s += v
    out = x.copy()
    if s != 0:
        for i in range(len(x)):
            out[i] = _safe_div(x[i], s)
    return out


@njit(cache=True)
def _wb_value(mode, v, th):
    """Weight-for-bonds value of a weight entry: mode 0 = W, 1 = W clipped at consensus.

    Returns -1 when the clipped entry is removed (``col_clip_sparse`` drops it)."""
    if mode == 1 and th < v:
        return th if th > 0 else np.int64(-1)
    return v


@njit(cache=True)
def _stake_fast(alpha, owner, threshold):
    """Stake part of the epoch when no root TAO contributes (total stake == alpha, an integer):
    filter by StakeThreshold (owner exempt), normalise in I64F64, narrow to I32F32.
    I64F64 -> I32F32 of (a << 64) * 2**64 / (sum << 64) is floor(a * 2**32 / sum).
    The caller guarantees sum(alpha) < 2**61, so this is exactly ``fixed.stake_weights``."""
    n = len(alpha)
    f = alpha.copy()
    total = Z
    for i in range(n):
        if i != owner and alpha[i] < threshold:
            f[i] = Z
        total += f[i]
    if total != 0:
        for i in range(n):
            f[i] = _safe_div(f[i], total)
    return f, alpha.copy()


# ============================================================ epoch stages

@njit(cache=True)
def _stage_activity_permits(n, stake, permit_stored, last_update, cutoff, current_block, owner,
                            max_validators):
    """Active / inactive masks, stored and new validator permits, normalised active stake."""
    m_lu = len(last_update)
    inactive = np.zeros(n, np.bool_)
    active = np.zeros(n, np.bool_)
    lu_row = np.zeros(n, np.int64)
    for i in range(n):
        if i < m_lu:
            lu_row[i] = last_update[i]
            ina = last_update[i] + cutoff < current_block
            inactive[i] = ina
            active[i] = not ina
        else:
            inactive[i] = m_lu > 0  # inplace_mask_vector: missing entry masks, empty mask does nothing
    m_p = len(permit_stored)
    forbid = np.ones(n, np.bool_)  # mask_rows_sparse: a missing permit entry masks the row
    for i in range(min(n, m_p)):
        forbid[i] = not (permit_stored[i] or i == owner)
    new_permit = np.zeros(n, np.bool_)
    for i in range(n):
        new_permit[i] = stake[i] != 0
    if n >= max_validators:
        # stable ascending sort by stake (ties: lower uid first) via unique keys stake*2**16 + uid
        keys = np.empty(n, np.int64)
        for i in range(n):
            keys[i] = (stake[i] << 16) + i
        keys = _sorted(keys)
        for t in range(n - max_validators):
            new_permit[keys[t] & M16] = False
    if 0 <= owner < n:
        new_permit[owner] = True
    A = stake.copy()
    for i in range(n):
        if (m_lu > 0 and inactive[i]) or (m_p > 0 and forbid[i]):
            A[i] = Z
    return active, lu_row, forbid, new_permit, _normalize(A)


@njit(cache=True)
def _stage_weights(n, w_ptr, w_idx, w_val, forbid, owner, lu_row, reg, commit_reveal, commit_block,
                   wi, wv):
    """get_weights_sparse + permit/diag/outdated/commit-reveal masks + row normalisation.

    ``wi`` (int32) / ``wv`` (int64) are scratch buffers of at least nnz(rows < n) entries.
    Returns CSR (wp, wi, wv) and, per row, whether it is sorted by uid."""
    n_rows = len(w_ptr) - 1
    wp = np.zeros(n + 1, np.int64)
    q = Z
    rows_sorted = np.ones(n, np.bool_)
    for i in range(n):
        if i < n_rows and not forbid[i]:
            start = q
            s = Z
            last = -1
            lu = lu_row[i]
            cb = commit_block[i]
            for p in range(w_ptr[i], w_ptr[i + 1]):
                j = w_idx[p]
                if j >= n:
                    continue
                if j == i and i != owner:
                    continue
                rj = reg[j]
                if lu <= rj:
                    continue
                if commit_reveal and cb < rj:
                    continue
                if j < last:
                    rows_sorted[i] = False
                last = j
                wi[q] = j
                wv[q] = w_val[p]
                s += w_val[p]
                q += 1
            if s > 0:
                # safe_div(w << 32, s << 32) == floor(w * 2**32 / s) for integer-valued w, s
                inv = 1.0 / s
                for t in range(start, q):
                    wv[t] = _div_int(wv[t] << 32, s, inv)
            else:
                for t in range(start, q):
                    wv[t] = wv[t] << 32
        wp[i + 1] = q
    return wp, wi[:q], wv[:q], rows_sorted


@njit(cache=True)
def _weighted_median(stake, score, m, minority, cnt, hist, cand):
    """Result of subtensor's ``weighted_median`` (E/math.rs) on partition 0..m, computed by
    radix selection instead of its mid-pivot quickselect.

    With exact integer stake sums the quickselect returns, for L(v) = stake of entries
    scoring strictly below v: the largest score v with L(v) <= minority, or the smallest
    score when minority < 0.  (Each round keeps the answer inside the partition: it goes
    lower only if minority < L(pivot), higher only if L(pivot) + stake(pivot) <= minority,
    and otherwise the pivot is that largest v.)  ``reference.py`` runs the literal
    quickselect and the tests check both agree.  Scores are in [0, 2**32]: radix selection
    (8-bit digits for long columns, 4-bit for short ones), each level scanning only the
    remaining candidates."""
    if minority < 0:
        lo = score[0]
        for k in range(1, m):
            if score[k] < lo:
                lo = score[k]
        return lo
    width = 8 if m >= 256 else 4
    shift = 32 - width
    mask = (1 << width) - 1
    nb0 = (1 << width) + 1  # top digit of a score <= 2**32 is 0 .. 2**width
    # level 0 over all entries
    for k in range(m):
        b = score[k] >> shift
        cnt[b] += 1
        hist[b] += stake[k]
    best, base = _radix_pick(cnt, hist, nb0, Z, minority)
    nc = 0
    for k in range(m):
        if (score[k] >> shift) == best:
            cand[nc] = k
            nc += 1
    # lower digits over the remaining candidates
    while nc > 1 and shift > 0:
        shift -= width
        for t in range(nc):
            k = cand[t]
            b = (score[k] >> shift) & mask
            cnt[b] += 1
            hist[b] += stake[k]
        best, base = _radix_pick(cnt, hist, mask + 1, base, minority)
        w = 0
        for t in range(nc):
            k = cand[t]
            if ((score[k] >> shift) & mask) == best:
                cand[w] = k
                w += 1
        nc = w
    return score[cand[0]]


@njit(cache=True)
def _radix_pick(cnt, hist, nb, base, minority):
    """Largest non-empty bucket whose stake-below (base + earlier buckets) is <= minority;
    clears the buckets.  Returns (bucket, its stake-below)."""
    cum = base
    best = -1
    nbase = base
    for b in range(nb):
        if cnt[b] > 0:
            if cum <= minority:
                best = b
                nbase = cum
            else:
                break
        cum += hist[b]
    for b in range(nb):
        cnt[b] = 0
        hist[b] = Z
    return best, nbase


@njit(cache=True)
def _stage_consensus(n, A, wp, wi, wv, kappa, rows_sorted):
    """weighted_median_col_sparse.

    Columns are gathered 64 at a time into a dense (64 x m) buffer; a row sorted by uid is
    read once overall (pointer per row), an unsorted row is rescanned for every block."""
    rows = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if A[i] > 0:
            rows[m] = i
            m += 1
    use = np.empty(m, np.int64)
    for k in range(m):
        use[k] = A[rows[k]]
    use = _normalize(use)
    stake_sum = Z
    for k in range(m):
        stake_sum += use[k]
    minority = _ssub(stake_sum, kappa)
    C = np.zeros(n, np.int64)
    if m == 0:
        return C
    BLK = 64
    buf = np.zeros(BLK * m, np.int64)
    ccount = np.zeros(BLK, np.int64)
    ptr = np.empty(m, np.int64)
    for k in range(m):
        ptr[k] = wp[rows[k]]
    cnt = np.zeros(257, np.int64)
    hist = np.zeros(257, np.int64)
    cand = np.empty(m, np.int64)
    for j0 in range(0, n, BLK):
        j1 = min(j0 + BLK, n)
        for k in range(m):
            i = rows[k]
            end = wp[i + 1]
            if rows_sorted[i]:
                p = ptr[k]
                while p < end and wi[p] < j1:
                    jj = wi[p] - j0
                    buf[jj * m + k] = wv[p]
                    ccount[jj] += 1
                    p += 1
                ptr[k] = p
            else:
                for p in range(wp[i], end):
                    j = wi[p]
                    if j0 <= j < j1:
                        jj = j - j0
                        buf[jj * m + k] = wv[p]
                        ccount[jj] += 1
        for jj in range(j1 - j0):
            if ccount[jj] > 0:  # an all-zero column has median 0
                col = buf[jj * m:(jj + 1) * m]
                C[j0 + jj] = _weighted_median(use, col, m, minority, cnt, hist, cand)
                col[:] = 0
                ccount[jj] = 0
    return C


@njit(cache=True)
def _stage_ranks(n, wp, wi, wv, C, A):
    """Validator trust (row sums of clipped W), ranks (clipped) and pre-ranks (unclipped)."""
    vtrust = np.zeros(n, np.int64)
    ranks = np.zeros(n, np.int64)
    preranks = np.zeros(n, np.int64)
    for i in range(n):
        a = A[i]
        vt = Z
        for p in range(wp[i], wp[i + 1]):
            j = wi[p]
            v = wv[p]
            preranks[j] = _sadd(preranks[j], _mul(a, v))
            th = C[j]
            if th < v:
                if th <= 0:
                    continue
                v = th
            vt += v
            ranks[j] = _sadd(ranks[j], _mul(a, v))
        vtrust[i] = vt
    return vtrust, ranks, preranks


@njit(cache=True)
def _stage_weights_for_bonds(n, wp, wi, wv, C, ratio, rows_sorted):
    """Materialise interpolate_sparse(W, col_clip_sparse(W, C), ratio) as CSR (original row order
    for ratio 0 / 1, sorted by uid otherwise)."""
    q = len(wi)
    bp = np.zeros(n + 1, np.int64)
    bi = np.empty(q, np.int32)
    bv = np.empty(q, np.int64)
    qb = Z
    if ratio == 0 or ratio == ONE:
        mode = 0 if ratio == 0 else 1
        for i in range(n):
            for p in range(wp[i], wp[i + 1]):
                j = wi[p]
                v = _wb_value(mode, wv[p], C[j])
                if v >= 0:
                    bi[qb] = j
                    bv[qb] = v
                    qb += 1
            bp[i + 1] = qb
        return bp, bi[:qb], bv[:qb]
    d1 = np.zeros(n, np.int64)
    d2 = np.zeros(n, np.int64)
    for i in range(n):
        if wp[i + 1] > wp[i]:
            for p in range(wp[i], wp[i + 1]):
                j = wi[p]
                d1[j] = wv[p]
                c = _wb_value(1, wv[p], C[j])
                d2[j] = c if c >= 0 else Z
            cols = np.empty(wp[i + 1] - wp[i], np.int64)
            for p in range(wp[i], wp[i + 1]):
                cols[p - wp[i]] = wi[p]
            if not rows_sorted[i]:
                cols = _sorted(cols)
            for t in range(len(cols)):
                j = cols[t]
                v = _sadd(d1[j], _mul(ratio, _ssub(d2[j], d1[j])))
                if v > 0:
                    bi[qb] = j
                    bv[qb] = v
                    qb += 1
                d1[j] = Z
                d2[j] = Z
        bp[i + 1] = qb
    return bp, bi[:qb], bv[:qb]


@njit(cache=True)
def _bond_fixed(b, yuma3):
    """Stored u16 bond -> I32F32: b / 65535 (Yuma3) or b as an integer (classic)."""
    return (b << 32) // M16 if yuma3 else b << 32


@njit(cache=True)
def _stage_load_bonds(n, b_ptr, b_idx, b_val, reg, last_tempo, yuma3):
    """get_bonds_sparse(_fixed_proportion) + scalar_vec_mask_sparse_matrix (uids >= n kept)."""
    n_rows = len(b_ptr) - 1
    rows = min(n, n_rows)
    cap = b_ptr[rows] if n_rows > 0 else Z
    op = np.zeros(n + 1, np.int64)
    oi = np.empty(cap, np.int64)
    ov = np.empty(cap, np.int64)
    q = Z
    for i in range(n):
        if i < rows:
            for p in range(b_ptr[i], b_ptr[i + 1]):
                j = b_idx[p]
                rj = reg[j] if j < n else Z
                if last_tempo <= rj:
                    continue
                oi[q] = j
                ov[q] = _bond_fixed(b_val[p], yuma3)
                q += 1
        op[i + 1] = q
    return op, oi[:q], ov[:q]


@njit(cache=True)
def _row_visible(ptr, idx, i):
    """Entries of row i that the peekable merge can see (uid above every earlier uid)."""
    vis = np.zeros(ptr[i + 1] - ptr[i], np.bool_)
    best = -1
    for t in range(ptr[i + 1] - ptr[i]):
        j = idx[ptr[i] + t]
        if j > best:
            vis[t] = True
            best = j
    return vis


@njit(cache=True)
def _stage_liquid_ema(n, bp, bi, bv, op, oi, ov, C, alpha_low, alpha_high, steep_div):
    """compute_liquid_alpha_values_sparse + mat_ema_alpha_sparse, alphas only where used."""
    ep = np.zeros(n + 1, np.int64)
    ei = np.empty(len(bi), np.int32)
    ev = np.empty(len(bi), np.int64)
    qe = Z
    wvis = np.zeros(n, np.int64)
    bvis = np.zeros(n, np.int64)
    bold = np.zeros(n, np.int64)
    for i in range(n):
        if bp[i + 1] > bp[i]:
            visw = _row_visible(bp, bi, i)
            for t in range(bp[i + 1] - bp[i]):
                if visw[t]:
                    wvis[bi[bp[i] + t]] = bv[bp[i] + t]
            visb = _row_visible(op, oi, i)
            for t in range(op[i + 1] - op[i]):
                j = oi[op[i] + t]
                if j < n:
                    bold[j] = ov[op[i] + t]
                    if visb[t]:
                        bvis[j] = ov[op[i] + t]
            for p in range(bp[i], bp[i + 1]):
                j = bi[p]
                a = _liquid_alpha(C[j], wvis[j], bvis[j], alpha_low, alpha_high, steep_div)
                dec = _mul(_ssub(ONE, a), bold[j])
                inc = _mul(a, bv[p])
                if inc < 0:
                    inc = Z
                v = _sadd(dec, inc)
                if v > ONE:
                    v = ONE
                if v > 0:
                    ei[qe] = j
                    ev[qe] = v
                    qe += 1
            for p in range(bp[i], bp[i + 1]):
                wvis[bi[p]] = Z
            for p in range(op[i], op[i + 1]):
                j = oi[p]
                if j < n:
                    bold[j] = Z
                    bvis[j] = Z
        ep[i + 1] = qe
    return ep, ei[:qe], ev[:qe]


@njit(cache=True)
def _stage_ema_union(n, wp, wi, wv, C, mode, wscale, wcol_sum, b_ptr, b_idx, b_val, reg, last_tempo,
                     yuma3, bcol_sum, alpha, A, do_ranks, ei, ev):
    """mat_ema_sparse(new, old, alpha) over the union of columns < n, keep > 0, sorted by uid.

    ``new`` is the weights-for-bonds row, built on the fly from W (``mode`` 0: W,
    1: clipped W), optionally multiplied by ``wscale[i]`` and column-normalised by
    ``wcol_sum`` (classic ΔB).  ``old`` is read straight from the stored u16 bonds
    (fixed conversion + registration mask), optionally column-normalised by the raw u16
    column sums ``bcol_sum`` (classic).  Rows are merged when both are sorted by uid,
    otherwise accumulated in a dense scratch row.  Also returns the column sums of the
    result and, when ``do_ranks`` (W given unmaterialised), validator trust, ranks and
    pre-ranks computed in the same pass."""
    beta = _ssub(ONE, alpha)
    # with 0 <= alpha <= 1 every operand below is in [0, 1]: exact unit products, plain sums
    unit = 0 <= alpha <= ONE
    acc = np.zeros(n, np.int64)
    seen = np.zeros(n, np.bool_)
    nb_i = np.empty(n + 1, np.int64)   # new row (filtered, transformed)
    nb_v = np.empty(n + 1, np.int64)
    n_rows_b = len(b_ptr) - 1
    rows_b = min(n, n_rows_b)
    max_b = Z
    for i in range(rows_b):
        max_b = max(max_b, b_ptr[i + 1] - b_ptr[i])
    ob_i = np.empty(max_b + 1, np.int64)  # old row (masked, converted)
    ob_v = np.empty(max_b + 1, np.int64)
    ep = np.zeros(n + 1, np.int64)  # ei (int32) / ev: scratch of >= nnz(new) + nnz(old) entries
    col_sum = np.zeros(n, np.int64)
    vtrust = np.zeros(n, np.int64)
    ranks = np.zeros(n, np.int64)
    preranks = np.zeros(n, np.int64)
    scale_w = len(wscale) > 0
    norm_w = len(wcol_sum) > 0
    norm_b = len(bcol_sum) > 0
    winv = np.zeros(n, np.float64)
    binv = np.zeros(n, np.float64)
    for j in range(n):
        if norm_w and wcol_sum[j] > 0:
            winv[j] = 4294967296.0 / wcol_sum[j]
        if norm_b and bcol_sum[j] > 0:
            binv[j] = 1.0 / bcol_sum[j]  # classic: raw u16 column sums
    q = Z
    for i in range(n):
        # ---- new row
        nn = 0
        sorted_new = True
        a = A[i]
        vt = Z
        for p in range(wp[i], wp[i + 1]):
            j = wi[p]
            raw = wv[p]
            th = C[j]
            clipped = raw
            if th < raw:
                clipped = th if th > 0 else np.int64(-1)
            if do_ranks:  # 0 <= a, raw <= 1: these sums stay below n (no saturation possible)
                pr = _mul_unit(a, raw)
                preranks[j] += pr
                if clipped >= 0:
                    vt += clipped
                    ranks[j] += pr if clipped == raw else _mul_unit(a, clipped)
            v = clipped if mode == 1 else raw
            if v < 0:
                continue
            if scale_w:
                v = _mul(v, wscale[i])
            if norm_w and wcol_sum[j] != 0:
                v = _div_frac_fast(v, wcol_sum[j], winv[j])
            if nn > 0 and j < nb_i[nn - 1]:
                sorted_new = False
            nb_i[nn] = j
            nb_v[nn] = v
            nn += 1
        vtrust[i] = vt
        # ---- old row
        no = 0
        sorted_old = True
        if i < rows_b:
            for p in range(b_ptr[i], b_ptr[i + 1]):
                j = b_idx[p]
                if j >= n or last_tempo <= reg[j]:
                    continue
                if norm_b and bcol_sum[j] != 0:
                    # safe_div(b << 32, S << 32) for integer-valued b and column sum S
                    v = _div_int(b_val[p] << 32, bcol_sum[j], binv[j])
                else:
                    v = _bond_fixed(b_val[p], yuma3)
                if no > 0 and j < ob_i[no - 1]:
                    sorted_old = False
                ob_i[no] = j
                ob_v[no] = v
                no += 1
        if nn + no == 0:
            ep[i + 1] = q
            continue
        if sorted_new and sorted_old:
            # ---- two-pointer merge (no duplicates within a row)
            nb_i[nn] = n
            ob_i[no] = n
            x = 0
            y = 0
            while x < nn or y < no:
                jx = nb_i[x]
                jy = ob_i[y]
                j = jx if jx < jy else jy
                v = Z
                if unit:
                    if jx == j:
                        v += _mul_unit(alpha, nb_v[x])
                        x += 1
                    if jy == j:
                        v += _mul_unit(beta, ob_v[y])
                        y += 1
                    if v > 0:
                        ei[q] = j
                        ev[q] = v
                        col_sum[j] += v
                        q += 1
                    continue
                if jx == j:
                    v = _sadd(v, _mul(alpha, nb_v[x]))
                    x += 1
                if jy == j:
                    v = _sadd(v, _mul(beta, ob_v[y]))
                    y += 1
                if v > 0:
                    ei[q] = j
                    ev[q] = v
                    col_sum[j] = _sadd(col_sum[j], v)
                    q += 1
        else:
            # ---- dense scratch row, then emit in uid order
            for t in range(nn):
                j = nb_i[t]
                acc[j] = _sadd(acc[j], _mul(alpha, nb_v[t]))
                seen[j] = True
            for t in range(no):
                j = ob_i[t]
                acc[j] = _sadd(acc[j], _mul(beta, ob_v[t]))
                seen[j] = True
            cols = np.empty(nn + no, np.int64)
            for t in range(nn):
                cols[t] = nb_i[t]
            for t in range(no):
                cols[nn + t] = ob_i[t]
            cols = _sorted(cols)
            for t in range(nn + no):
                j = cols[t]
                if not seen[j]:
                    continue  # second copy of a column present in both rows
                v = acc[j]
                if v > 0:
                    ei[q] = j
                    ev[q] = v
                    col_sum[j] = _sadd(col_sum[j], v)
                    q += 1
                acc[j] = Z
                seen[j] = False
        ep[i + 1] = q
    return ep, ei[:q], ev[:q], col_sum, vtrust, ranks, preranks


@njit(cache=True)
def _col_sums(ptr, idx, val, n):
    s = np.zeros(n, np.int64)
    for p in range(ptr[-1]):
        j = idx[p]
        if j < n:
            s[j] = _sadd(s[j], val[p])
    return s


@njit(cache=True)
def _stage_yuma3_dividends(n, ep, ei, ev, col_sum, incentive, A, new_permit):
    """tb_i = sum_j (b_ij / colsum_j) I_j, D = normalize(tb * A); u16 rows to store (p16(b))."""
    inv = np.zeros(n, np.float64)
    for j in range(n):
        if col_sum[j] > 0:
            inv[j] = 4294967296.0 / col_sum[j]
    d = np.zeros(n, np.int64)
    sp = np.zeros(n + 1, np.int64)
    si = np.empty(len(ei), np.uint16)
    sv = np.empty(len(ei), np.uint16)
    qs = Z
    for i in range(n):
        tb = Z
        keep = new_permit[i]
        for p in range(ep[i], ep[i + 1]):
            j = ei[p]
            v = ev[p]
            s = col_sum[j]
            en = _div_frac_fast(v, s, inv[j]) if s != 0 else v
            tb += _mul(en, incentive[j])  # en, I in [0, 1] when the EMA inputs are
            if keep:
                si[qs] = j
                sv[qs] = _p16(v)
                qs += 1
        ovf, x = _mul_full(tb, A[i])  # vec_mul: checked_mul().unwrap_or_default()
        d[i] = Z if ovf else x
        sp[i + 1] = qs
    return _normalize(d), sp, si[:qs], sv[:qs]


@njit(cache=True)
def _stage_classic_sums(n, wp, wi, wv, C, mode, A, b_ptr, b_idx, b_val, reg, last_tempo):
    """Column sums of the masked stored bonds (in u16 units: they are integer-valued) and of
    ΔB = W_b * S (I32F32), i.e. the divisors of classic Yuma's two column normalisations."""
    bsum = np.zeros(n, np.int64)
    rows_b = min(n, len(b_ptr) - 1)
    for i in range(rows_b):
        for p in range(b_ptr[i], b_ptr[i + 1]):
            j = b_idx[p]
            if j >= n or last_tempo <= reg[j]:
                continue
            bsum[j] += b_val[p]
    dsum = np.zeros(n, np.int64)
    for i in range(n):
        a = A[i]
        for p in range(wp[i], wp[i + 1]):
            j = wi[p]
            v = _wb_value(mode, wv[p], C[j])
            if v >= 0:
                dsum[j] = _sadd(dsum[j], _mul(v, a))
    return bsum, dsum


@njit(cache=True)
def _stage_classic_dividends(n, ep, ei, ev, col_sum, incentive, new_permit):
    """Classic: E <- E / colsum; D = normalize(E I); stored = p16(E / colmax(E))."""
    inv = np.zeros(n, np.float64)
    for j in range(n):
        if col_sum[j] > 0:
            inv[j] = 4294967296.0 / col_sum[j]
    en = np.empty(len(ev), np.int64)
    colmax = np.zeros(n, np.int64)
    d = np.zeros(n, np.int64)
    for i in range(n):
        acc = Z
        for p in range(ep[i], ep[i + 1]):
            j = ei[p]
            s = col_sum[j]
            v = _div_frac_fast(ev[p], s, inv[j]) if s != 0 else ev[p]
            en[p] = v
            if colmax[j] < v:
                colmax[j] = v
            acc = _sadd(acc, _mul(incentive[j], v))
        d[i] = acc
    for j in range(n):
        inv[j] = 4294967296.0 / colmax[j] if colmax[j] > 0 else 0.0
    sp = np.zeros(n + 1, np.int64)
    si = np.empty(len(ei), np.uint16)
    sv = np.empty(len(ei), np.uint16)
    qs = Z
    for i in range(n):
        if new_permit[i]:
            for p in range(ep[i], ep[i + 1]):
                j = ei[p]
                mx = colmax[j]
                v = _div_frac_fast(en[p], mx, inv[j]) if mx != 0 else en[p]
                si[qs] = j
                sv[qs] = _p16(v)
                qs += 1
        sp[i + 1] = qs
    return _normalize(d), sp, si[:qs], sv[:qs]


@njit(cache=True)
def _to_rao(x, rao):
    """I96F32(x) * I96F32(rao) -> u64 (floor, saturating)."""
    if x <= 0 or rao == 0:
        return Z
    ovf, v = _mul_full(x, rao)
    if ovf:
        return MAX  # unreachable for x <= 1 and rao < 2**63 (validated)
    return v


@njit(cache=True)
def _max_upscale_u16(x, out):
    """vec_max_upscale_to_u16."""
    n = len(x)
    if n == 0:
        return
    m = x[0]
    for i in range(n):
        if x[i] > m:
            m = x[i]
    for i in range(n):
        if m == 0:
            v = _mul(x[i], U16MAX_FX)
        else:
            if m > THRESH_32768:
                v = _mul(x[i], _safe_div(U16MAX_FX, m))
            else:
                v = _safe_div(_mul(x[i], U16MAX_FX), m)
            v = (v + HALF) if v >= 0 else (v - HALF)  # round(): ties away from zero
        v = v >> 32 if v >= 0 else -((-v) >> 32)
        out[i] = 0 if v < 0 else (M16 if v > M16 else v)


@njit(cache=True)
def _stage_emission_outputs(n, incentive, dividends, stake, A, rao_emission, C, vtrust, ranks,
                            preranks):
    """Emission split (I96F32 rao) and the u16 output vectors."""
    total = Z
    combined = np.empty(n, np.int64)
    for i in range(n):
        combined[i] = _sadd(incentive[i], dividends[i])
        total += combined[i]
    n_server = incentive.copy()
    n_validator = dividends.copy()
    if total != 0:
        for i in range(n):
            n_server[i] = _safe_div(incentive[i], total)
            n_validator[i] = _safe_div(dividends[i], total)
    n_combined = _normalize(combined)
    if total == 0:  # no / only self / outdated weights: emission follows (active) stake
        asum = Z
        for i in range(n):
            asum += A[i]
        base = stake if asum == 0 else A
        for i in range(n):
            n_validator[i] = base[i]
            n_combined[i] = base[i]
    em = np.zeros((3, n), np.uint64)
    out16 = np.zeros((7, n), np.uint16)
    for i in range(n):
        em[0, i] = _to_rao(n_server[i], rao_emission)
        em[1, i] = _to_rao(n_validator[i], rao_emission)
        em[2, i] = _to_rao(n_combined[i], rao_emission)
        out16[0, i] = _p16(stake[i])
        out16[1, i] = _p16(C[i])
        out16[2, i] = _p16(vtrust[i])
        out16[3, i] = _p16(incentive[i])
        out16[4, i] = _p16(dividends[i])
        out16[5, i] = _p16(_safe_div(ranks[i], preranks[i]))
    _max_upscale_u16(n_combined, out16[6])
    return em, out16


_EMPTY_I64 = np.zeros(0, np.int64)
_TLS = threading.local()


def _scratch(name: str, size: int, dtype) -> np.ndarray:
    """Per-thread scratch buffer that only grows: large epochs reuse their working memory
    instead of page-faulting ~400 MB of fresh allocations on every call."""
    pool = getattr(_TLS, "pool", None)
    if pool is None:
        pool = _TLS.pool = {}
    a = pool.get(name)
    if a is None or len(a) < size:
        a = np.empty(max(size, 1), dtype)
        pool[name] = a
    return a


def release_scratch() -> None:
    """Free this thread's scratch buffers (they are kept between calls for speed)."""
    _TLS.pool = {}


def _epoch(n, w_ptr, w_idx, w_val, b_ptr, b_idx, b_val, stake, permit_stored, last_update, reg,
           commit_block, current_block, cutoff, last_tempo, owner, max_validators, kappa,
           bonds_penalty, ema_alpha, yuma3, liquid_alpha, alpha_low, alpha_high, steep_div,
           commit_reveal, rao_emission):
    """Orchestration (plain Python calling the jitted stages, in subtensor's order)."""
    active, lu_row, forbid, new_permit, A = _stage_activity_permits(
        n, stake, permit_stored, last_update, cutoff, current_block, owner, max_validators)
    w_cap = int(w_ptr[min(n, len(w_ptr) - 1)]) if len(w_ptr) > 1 else 0
    b_cap = int(b_ptr[min(n, len(b_ptr) - 1)]) if len(b_ptr) > 1 else 0
    wp, wi, wv, rows_sorted = _stage_weights(n, w_ptr, w_idx, w_val, forbid, owner, lu_row, reg,
                                             commit_reveal, commit_block,
                                             _scratch("wi", w_cap, np.int32), _scratch("wv", w_cap, np.int64))
    C = _stage_consensus(n, A, wp, wi, wv, kappa, rows_sorted)
    # weights for bonds: W (penalty 0), clipped W (penalty 1) on the fly, else materialised
    if bonds_penalty == 0 or bonds_penalty == ONE:
        mode = 0 if bonds_penalty == 0 else 1
        materialised = False
        bp, bi, bv = wp, wi, wv
    else:
        mode = 0
        materialised = True
        bp, bi, bv = _stage_weights_for_bonds(n, wp, wi, wv, C, bonds_penalty, rows_sorted)
    la_path = yuma3 and liquid_alpha and bool(np.any(C != 0))
    fused_ranks = not materialised and not la_path
    if not fused_ranks:
        vtrust, ranks, preranks = _stage_ranks(n, wp, wi, wv, C, A)
    if yuma3:
        if la_path:
            if mode == 1:
                bp, bi, bv = _stage_weights_for_bonds(n, wp, wi, wv, C, bonds_penalty, rows_sorted)
            op, oi, ov = _stage_load_bonds(n, b_ptr, b_idx, b_val, reg, last_tempo, True)
            ep, ei, ev = _stage_liquid_ema(n, bp, bi, bv, op, oi, ov, C, alpha_low, alpha_high, steep_div)
            col_sum = _col_sums(ep, ei, ev, n)
        else:
            ep, ei, ev, col_sum, vt_, r_, pr_ = _stage_ema_union(
                n, bp, bi, bv, C, mode, _EMPTY_I64, _EMPTY_I64, b_ptr, b_idx, b_val, reg, last_tempo,
                True, _EMPTY_I64, ema_alpha, A, fused_ranks,
                _scratch("ei", w_cap + b_cap, np.int32), _scratch("ev", w_cap + b_cap, np.int64))
            if fused_ranks:
                vtrust, ranks, preranks = vt_, r_, pr_
        incentive = _normalize(ranks)
        dividends, sp, si, sv = _stage_yuma3_dividends(n, ep, ei, ev, col_sum, incentive, A, new_permit)
    else:
        bsum, dsum = _stage_classic_sums(n, bp, bi, bv, C, mode, A, b_ptr, b_idx, b_val, reg, last_tempo)
        ep, ei, ev, col_sum, vt_, r_, pr_ = _stage_ema_union(
            n, bp, bi, bv, C, mode, A, dsum, b_ptr, b_idx, b_val, reg, last_tempo, False, bsum, ema_alpha,
            A, fused_ranks, _scratch("ei", w_cap + b_cap, np.int32), _scratch("ev", w_cap + b_cap, np.int64))
        if fused_ranks:
            vtrust, ranks, preranks = vt_, r_, pr_
        incentive = _normalize(ranks)
        dividends, sp, si, sv = _stage_classic_dividends(n, ep, ei, ev, col_sum, incentive, new_permit)
    em, out16 = _stage_emission_outputs(n, incentive, dividends, stake, A, rao_emission, C, vtrust,
                                        ranks, preranks)
    return active, new_permit, out16, em, sp, si, sv


# ============================================================ entry point

def run_epoch(inputs: EpochInputs) -> EpochOutputs:
    """Run subtensor's production Yuma epoch (``epoch_mechanism``) for one subnet mechanism.

    ``inputs``: :class:`consensus.yuma.types.EpochInputs` — the stored vectors and
    hyperparameters the epoch reads (stake, Weights/Bonds rows, ValidatorPermit,
    LastUpdate, BlockAtRegistration, current block, rao emission, Kappa, BondsPenalty,
    BondsMovingAverage, MaxAllowedValidators, Yuma3On, LiquidAlphaOn, AlphaValues,
    AlphaSigmoidSteepness, ActivityCutoffFactorMilli, Tempo, LastMechansimStepBlock,
    StakeThreshold, owner uid, commit-reveal state).

    Returns :class:`consensus.yuma.types.EpochOutputs`: u16 vectors (Consensus,
    ValidatorTrust, Incentive, Dividends, StakeWeight, legacy Rank/Trust/PruningScores),
    u64 rao vectors (Emission, server and validator emission), bool vectors (Active,
    new ValidatorPermit) and the u16 Bonds rows to store — bit-identical to subtensor
    and to :func:`consensus.yuma.run_epoch_reference`.
    """
    pi = prepare(inputs, _stake_fast)
    p = pi.params
    if p["rao_emission"] >= (1 << 63):
        raise ValueError("rao_emission >= 2**63 is not supported")
    n = pi.n
    active, new_permit, out16, em, sp, si, sv = _epoch(
        n, pi.weights.indptr, pi.weights.indices, pi.weights.values,
        pi.bonds.indptr, pi.bonds.indices, pi.bonds.values,
        pi.stake, pi.validator_permit, pi.last_update, pi.block_at_registration, pi.commit_block,
        p["current_block"], p["activity_cutoff"], p["last_tempo"], p["owner"], p["max_validators"],
        p["kappa"], p["bonds_penalty"], p["ema_alpha"], p["yuma3"], p["liquid_alpha"],
        p["alpha_low"], p["alpha_high"], p["steep_div"], p["commit_reveal"], p["rao_emission"])
    return EpochOutputs(
        active=active, stake=pi.raw_stake, stake_weight=out16[0], validator_permit=new_permit,
        consensus=out16[1], validator_trust=out16[2], incentive=out16[3], dividends=out16[4],
        emission=em[2], server_emission=em[0], validator_emission=em[1],
        bonds=SparseRows(sp, si, sv), rank=out16[3].copy(), trust=out16[5], pruning_scores=out16[6],
    )
