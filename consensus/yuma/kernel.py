"""numba twin of ``reference.py``: the production Yuma epoch on CSR arrays.

Same entry point (:func:`run_epoch`), bit-identical outputs.  All fixed-point
arithmetic is done on int64 only (I32F32 bits), splitting operands into 16/32-bit
limbs where a product or quotient would need 128 bits, so the code gives the same
results compiled or run as plain Python with ``NUMBA_DISABLE_JIT=1``.  No fastmath,
no floats anywhere.

Matrices are CSR triples ``(indptr, indices, values)``; every sparse step keeps the
row order subtensor would have (it matters for the liquid-alpha merge and for the
order of the stored bond rows).
"""
from __future__ import annotations

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
        if mag > ONE:
            return True, Z
        v = (1 << 31) * mag  # exact, no fraction
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
def _mul(a, b):
    """I32F32 saturating_mul."""
    if a >= 0 and b >= 0 and a <= ONE and b <= ONE:
        if a == ONE:
            return b
        if b == ONE:
            return a
        return (a * (b >> 16) + ((a * (b & M16)) >> 16)) >> 16
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
    """fixed_proportion_to_u16."""
    v = _mul(x, U16MAX_FX) >> 32
    if v < 0:
        return Z
    if v > M16:
        return M16
    return v


@njit(cache=True)
def _exp(x):
    """transcendental::exp::<I32F32, I32F32>: (ok, value)."""
    if x == 0:
        return True, ONE
    if x == ONE:
        return True, E_BITS
    neg = x < 0
    if neg:
        if x == MIN:
            return False, Z
        x = -x
    if x > MAX - ONE:
        return False, Z
    result = x + ONE
    term = x
    for i in range(2, 32):
        if term == 0:  # every further term is 0 * x / i == 0: the sum cannot change
            break
        ovf, term = _mul_full(term, x)
        if ovf:
            return False, Z
        term = term // i  # checked_div(term, I32F32(i)) for term >= 0
        if result > MAX - term:
            return False, Z
        result += term
    if neg:
        return _div_full(ONE, result)
    return True, result


@njit(cache=True)
def _exp_safe(x):
    if x < EXP_LO:
        x = EXP_LO
    elif x > EXP_HI:
        x = EXP_HI
    ok, r = _exp(x)
    if not ok:
        return Z if x <= 0 else MAX
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
    s = Z
    for v in x:
        s += v
    out = x.copy()
    if s != 0:
        for i in range(len(x)):
            out[i] = _safe_div(x[i], s)
    return out


@njit(cache=True)
def _col_normalize(indptr, idx, val, n):
    """inplace_col_normalize_sparse (returns a new value array)."""
    col = np.zeros(n, np.int64)
    nnz = indptr[-1]
    for p in range(nnz):
        j = idx[p]
        if j < n:
            col[j] = _sadd(col[j], val[p])
    out = val.copy()
    for p in range(nnz):
        j = idx[p]
        if j < n and col[j] != 0:
            out[p] = _safe_div(val[p], col[j])
    return out


@njit(cache=True)
def _mat_ema_union(n, a_ptr, a_idx, a_val, alpha, b_ptr, b_idx, b_val, beta):
    """mat_ema_sparse: acc = alpha*new + beta*old over the union of columns < n, keep > 0, sorted."""
    acc = np.zeros(n, np.int64)
    seen = np.zeros(n, np.bool_)
    touched = np.empty(n, np.int64)
    cap = a_ptr[-1] + b_ptr[-1]
    optr = np.zeros(n + 1, np.int64)
    oidx = np.empty(cap, np.int64)
    oval = np.empty(cap, np.int64)
    q = Z
    for i in range(n):
        nt = 0
        for p in range(a_ptr[i], a_ptr[i + 1]):
            j = a_idx[p]
            if j < n:
                acc[j] = _sadd(acc[j], _mul(alpha, a_val[p]))
                if not seen[j]:
                    seen[j] = True
                    touched[nt] = j
                    nt += 1
        for p in range(b_ptr[i], b_ptr[i + 1]):
            j = b_idx[p]
            if j < n:
                acc[j] = _sadd(acc[j], _mul(beta, b_val[p]))
                if not seen[j]:
                    seen[j] = True
                    touched[nt] = j
                    nt += 1
        if nt > 0:
            cols = _sorted(touched[:nt])
            for t in range(nt):
                j = cols[t]
                if acc[j] > 0:
                    oidx[q] = j
                    oval[q] = acc[j]
                    q += 1
                acc[j] = 0
                seen[j] = False
        optr[i + 1] = q
    return optr, oidx[:q], oval[:q]


@njit(cache=True)
def _weighted_median(stake, score, m, stake_sum, minority, cur, lower, upper):
    """weighted_median over partition 0..m (mid pivot, deterministic)."""
    for k in range(m):
        cur[k] = k
    ncur = m
    lo = Z
    hi = stake_sum
    it = Z
    while True:
        if ncur == 0:
            return Z
        if ncur == 1:
            return score[cur[0]]
        pivot = score[cur[ncur // 2]]
        lo_st = Z
        hi_st = Z
        nl = 0
        nu = 0
        for t in range(ncur):
            k = cur[t]
            s = score[k]
            if s == pivot:
                continue
            if s < pivot:
                lo_st = _sadd(lo_st, stake[k])
                lower[nl] = k
                nl += 1
            else:
                hi_st = _sadd(hi_st, stake[k])
                upper[nu] = k
                nu += 1
        if minority < _sadd(lo, lo_st) and nl > 0:
            for t in range(nl):
                cur[t] = lower[t]
            ncur = nl
            hi = _sadd(lo, lo_st)
        elif _ssub(hi, hi_st) <= minority and nu > 0:
            for t in range(nu):
                cur[t] = upper[t]
            ncur = nu
            lo = _ssub(hi, hi_st)
        else:
            return pivot
        it += 1
        if it > m:
            break
    return Z


@njit(cache=True)
def _consensus(n, A, wp, wi, wv, kappa):
    """weighted_median_col_sparse."""
    rows = np.empty(n, np.int64)
    m = Z
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
    # column-major copy of the weights of positive-stake rows
    cnt = np.zeros(n + 1, np.int64)
    for k in range(m):
        i = rows[k]
        for p in range(wp[i], wp[i + 1]):
            cnt[wi[p] + 1] += 1
    for j in range(n):
        cnt[j + 1] += cnt[j]
    fill = cnt[:-1].copy()
    ck = np.empty(cnt[n], np.int64)
    cv = np.empty(cnt[n], np.int64)
    for k in range(m):
        i = rows[k]
        for p in range(wp[i], wp[i + 1]):
            j = wi[p]
            ck[fill[j]] = k
            cv[fill[j]] = wv[p]
            fill[j] += 1
    C = np.zeros(n, np.int64)
    score = np.zeros(m, np.int64)
    cur = np.empty(m, np.int64)
    lower = np.empty(m, np.int64)
    upper = np.empty(m, np.int64)
    for j in range(n):
        a, b = cnt[j], cnt[j + 1]
        if a == b:
            continue  # all scores 0: the median is 0
        for t in range(a, b):
            score[ck[t]] = cv[t]
        C[j] = _weighted_median(use, score, m, stake_sum, minority, cur, lower, upper)
        for t in range(a, b):
            score[ck[t]] = 0
    return C


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
def _stage_weights(n, w_ptr, w_idx, w_val, forbid, owner, lu_row, reg, commit_reveal, commit_block):
    """get_weights_sparse + permit/diag/outdated/commit-reveal masks + row normalisation."""
    n_rows = len(w_ptr) - 1
    cap = w_ptr[min(n, n_rows)] if n_rows > 0 else Z
    wp = np.zeros(n + 1, np.int64)
    wi = np.empty(cap, np.int64)
    wv = np.empty(cap, np.int64)
    q = Z
    for i in range(n):
        if i < n_rows and not forbid[i]:
            start = q
            s = Z
            for p in range(w_ptr[i], w_ptr[i + 1]):
                j = w_idx[p]
                if j >= n:
                    continue
                if j == i and i != owner:
                    continue
                if lu_row[i] <= reg[j]:
                    continue
                if commit_reveal and commit_block[i] < reg[j]:
                    continue
                wi[q] = j
                wv[q] = w_val[p]
                s += w_val[p]
                q += 1
            for t in range(start, q):
                # safe_div(w << 32, s << 32) == floor(w * 2**32 / s) for integer-valued w, s
                wv[t] = (wv[t] << 32) // s if s > 0 else wv[t] << 32
        wp[i + 1] = q
    return wp, wi[:q], wv[:q]


@njit(cache=True)
def _stage_clip(n, wp, wi, wv, C, A):
    """col_clip_sparse, validator trust, ranks (clipped) and pre-ranks (unclipped)."""
    q = len(wi)
    cp = np.zeros(n + 1, np.int64)
    ci = np.empty(q, np.int64)
    cv = np.empty(q, np.int64)
    qc = Z
    for i in range(n):
        for p in range(wp[i], wp[i + 1]):
            j = wi[p]
            th = C[j]
            if th < wv[p]:
                if th > 0:
                    ci[qc] = j
                    cv[qc] = th
                    qc += 1
            else:
                ci[qc] = j
                cv[qc] = wv[p]
                qc += 1
        cp[i + 1] = qc
    vtrust = np.zeros(n, np.int64)
    ranks = np.zeros(n, np.int64)
    preranks = np.zeros(n, np.int64)
    for i in range(n):
        a = A[i]
        for p in range(cp[i], cp[i + 1]):
            vtrust[i] += cv[p]
            ranks[ci[p]] = _sadd(ranks[ci[p]], _mul(a, cv[p]))
        for p in range(wp[i], wp[i + 1]):
            preranks[wi[p]] = _sadd(preranks[wi[p]], _mul(a, wv[p]))
    return cp, ci[:qc], cv[:qc], vtrust, ranks, preranks


@njit(cache=True)
def _stage_interpolate(n, wp, wi, wv, cp, ci, cv, ratio):
    """interpolate_sparse(W, W_clipped, ratio) for 0 < ratio < 1 (dense per row, sorted)."""
    q = len(wi)
    bp = np.zeros(n + 1, np.int64)
    bi = np.empty(q, np.int64)
    bv = np.empty(q, np.int64)
    d1 = np.zeros(n, np.int64)
    d2 = np.zeros(n, np.int64)
    qb = Z
    for i in range(n):
        if wp[i + 1] > wp[i]:  # clipped entries are a subset of the row's weight entries
            for p in range(wp[i], wp[i + 1]):
                d1[wi[p]] = wv[p]
            for p in range(cp[i], cp[i + 1]):
                d2[ci[p]] = cv[p]
            cols = _sorted(wi[wp[i]:wp[i + 1]])
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
                ov[q] = (b_val[p] << 32) // M16 if yuma3 else b_val[p] << 32
                q += 1
        op[i + 1] = q
    return op, oi[:q], ov[:q]


@njit(cache=True)
def _stage_liquid_ema(n, bp, bi, bv, op, oi, ov, C, alpha_low, alpha_high, steep_div):
    """compute_liquid_alpha_values_sparse + mat_ema_alpha_sparse, alphas only where used."""
    ep = np.zeros(n + 1, np.int64)
    ei = np.empty(len(bi), np.int64)
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
def _stage_yuma3_dividends(n, ep, ei, ev, incentive, A):
    """Column-normalise EMA bonds, tb_i = sum_j b_ij I_j, D = normalize(tb * A)."""
    en = _col_normalize(ep, ei, ev, n)
    d = np.zeros(n, np.int64)
    for i in range(n):
        tb = Z
        for p in range(ep[i], ep[i + 1]):
            tb += _mul(en[p], incentive[ei[p]])
        ovf, v = _mul_full(tb, A[i])  # vec_mul: checked_mul().unwrap_or_default()
        d[i] = Z if ovf else v
    return _normalize(d)


@njit(cache=True)
def _stage_classic(n, bp, bi, bv, op, oi, ov, A, incentive, ema_alpha):
    """Classic Yuma bonds: column-normalised EMA of W*S, dividends, column max-upscale for storage."""
    ov = _col_normalize(op, oi, ov, n)
    dv = np.empty(len(bv), np.int64)
    for i in range(n):
        for p in range(bp[i], bp[i + 1]):
            dv[p] = _mul(bv[p], A[i])
    dv = _col_normalize(bp, bi, dv, n)
    ep, ei, ev = _mat_ema_union(n, bp, bi, dv, ema_alpha, op, oi, ov, _ssub(ONE, ema_alpha))
    ev = _col_normalize(ep, ei, ev, n)
    d = np.zeros(n, np.int64)
    for i in range(n):
        acc = Z
        for p in range(ep[i], ep[i + 1]):
            acc = _sadd(acc, _mul(incentive[ei[p]], ev[p]))
        d[i] = acc
    colmax = np.zeros(n, np.int64)
    for p in range(len(ev)):
        if colmax[ei[p]] < ev[p]:
            colmax[ei[p]] = ev[p]
    stored = ev.copy()
    for p in range(len(ev)):
        if colmax[ei[p]] != 0:
            stored[p] = _safe_div(ev[p], colmax[ei[p]])
    return ep, ei, stored, _normalize(d)


@njit(cache=True)
def _stage_emission(n, incentive, dividends, stake, A, rao_emission):
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
    for i in range(n):
        em[0, i] = _to_rao(n_server[i], rao_emission)
        em[1, i] = _to_rao(n_validator[i], rao_emission)
        em[2, i] = _to_rao(n_combined[i], rao_emission)
    return em, n_combined


@njit(cache=True)
def _stage_outputs(n, stake, C, vtrust, incentive, dividends, ranks, preranks, n_combined,
                   new_permit, ep, ei, stored):
    out16 = np.zeros((7, n), np.uint16)
    for i in range(n):
        out16[0, i] = _p16(stake[i])
        out16[1, i] = _p16(C[i])
        out16[2, i] = _p16(vtrust[i])
        out16[3, i] = _p16(incentive[i])
        out16[4, i] = _p16(dividends[i])
        out16[5, i] = _p16(_safe_div(ranks[i], preranks[i]))
    _max_upscale_u16(n_combined, out16[6])
    sp = np.zeros(n + 1, np.int64)
    si = np.empty(len(ei), np.uint16)
    sv = np.empty(len(ei), np.uint16)
    qs = Z
    for i in range(n):
        if new_permit[i]:
            for p in range(ep[i], ep[i + 1]):
                si[qs] = ei[p]
                sv[qs] = _p16(stored[p])
                qs += 1
        sp[i + 1] = qs
    return out16, sp, si[:qs], sv[:qs]


def _epoch(n, w_ptr, w_idx, w_val, b_ptr, b_idx, b_val, stake, permit_stored, last_update, reg,
           commit_block, current_block, cutoff, last_tempo, owner, max_validators, kappa,
           bonds_penalty, ema_alpha, yuma3, liquid_alpha, alpha_low, alpha_high, steep_div,
           commit_reveal, rao_emission):
    active, lu_row, forbid, new_permit, A = _stage_activity_permits(
        n, stake, permit_stored, last_update, cutoff, current_block, owner, max_validators)
    wp, wi, wv = _stage_weights(n, w_ptr, w_idx, w_val, forbid, owner, lu_row, reg, commit_reveal,
                                commit_block)
    C = _consensus(n, A, wp, wi, wv, kappa)
    cp, ci, cv, vtrust, ranks, preranks = _stage_clip(n, wp, wi, wv, C, A)
    incentive = _normalize(ranks)
    if bonds_penalty == 0:
        bp, bi, bv = wp, wi, wv
    elif bonds_penalty == ONE:
        bp, bi, bv = cp, ci, cv
    else:
        bp, bi, bv = _stage_interpolate(n, wp, wi, wv, cp, ci, cv, bonds_penalty)
    op, oi, ov = _stage_load_bonds(n, b_ptr, b_idx, b_val, reg, last_tempo, yuma3)
    if yuma3:
        if liquid_alpha and bool(np.any(C != 0)):
            ep, ei, ev = _stage_liquid_ema(n, bp, bi, bv, op, oi, ov, C, alpha_low, alpha_high, steep_div)
        else:
            ep, ei, ev = _mat_ema_union(n, bp, bi, bv, ema_alpha, op, oi, ov, _ssub(ONE, ema_alpha))
        dividends = _stage_yuma3_dividends(n, ep, ei, ev, incentive, A)
        stored = ev
    else:
        ep, ei, stored, dividends = _stage_classic(n, bp, bi, bv, op, oi, ov, A, incentive, ema_alpha)
    em, n_combined = _stage_emission(n, incentive, dividends, stake, A, rao_emission)
    out16, sp, si, sv = _stage_outputs(n, stake, C, vtrust, incentive, dividends, ranks, preranks,
                                       n_combined, new_permit, ep, ei, stored)
    return active, new_permit, out16, em, sp, si, sv


@njit(cache=True)
def _to_rao(x, rao):
    """I96F32(x) * I96F32(rao) -> u64 (floor, saturating)."""
    if x <= 0 or rao == 0:
        return Z
    ovf, v = _mul_full(x, rao)
    if ovf:
        return -1  # only reachable for x > 1 with rao near 2**63; callers validate rao < 2**63
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
    pi = prepare(inputs)
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
