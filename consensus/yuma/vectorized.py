"""Vectorised numpy version of the same integer-exact epoch (the benchmark baseline).

Dense ``(n, n)`` int64 matrices of I32F32 bits plus presence masks stand in for
subtensor's sparse rows; every fixed-point operation is an exact array operation
(limb-split products, chunked quotients; the rare element outside the fast paths
falls back to ``fixed.py``).  The stake-weighted median uses the closed form the
quickselect is equivalent to (see ``kernel._weighted_median``) on column sorts.
Outputs are bit-identical to ``reference.run_epoch`` and ``kernel.run_epoch``.
"""
from __future__ import annotations

import numpy as np

from . import fixed as fx
from .prepare import prepare
from .types import EpochInputs, EpochOutputs, SparseRows

ONE = fx.ONE
MAXV = fx.I32F32_MAX
MINV = fx.I32F32_MIN
M32 = np.uint64(0xFFFFFFFF)
S32 = np.uint64(32)


# ============================================================ exact array arithmetic

def _fallback(fn, a, b, mask, out):
    idx = np.nonzero(mask)
    if idx[0].size:
        out[idx] = [fn(int(x), int(y)) for x, y in zip(a[idx], b[idx])]


def vmul(a, b):
    """I32F32 saturating_mul on arrays (broadcasting)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int64), np.asarray(b, np.int64))
    ua = np.where(a < 0, (~a.astype(np.uint64)) + np.uint64(1), a.astype(np.uint64))
    ub = np.where(b < 0, (~b.astype(np.uint64)) + np.uint64(1), b.astype(np.uint64))
    big = (ua.astype(np.float64) * ub.astype(np.float64)) >= 2.0 ** 93  # quotient may not fit
    ah, al = ua >> S32, ua & M32
    bh, bl = ub >> S32, ub & M32
    low = al * bl
    with np.errstate(over="ignore"):
        q = ((ah * bh) << S32) + ah * bl + al * bh + (low >> S32)
    rem = (low & M32) != 0
    neg = (a < 0) != (b < 0)
    out = np.where(neg, -(q.astype(np.int64)) - rem.astype(np.int64), q.astype(np.int64))
    _fallback(fx.mul, a, b, big, out)
    return out


def vdiv(a, b):
    """subtensor safe_div on I32F32 arrays: trunc(a * 2**32 / b), 0 on /0 or overflow."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int64), np.asarray(b, np.int64))
    out = np.zeros(a.shape, np.int64)
    pos = (a >= 0) & (b > 0)
    small = pos & (a < (1 << 31))
    bs = np.where(small, b, 1)
    out[small] = ((a << 32) // bs)[small]
    mid = pos & ~small & (b < (1 << 47))
    bm = np.where(mid, b, 1)
    am = np.where(mid, a, 0)
    q1 = am // bm
    mid &= q1 < (1 << 31)
    r = am - q1 * bm
    r1 = r << 16
    d1 = r1 // bm
    r2 = (r1 - d1 * bm) << 16
    d2 = r2 // bm
    out[mid] = ((q1 << 32) + (d1 << 16) + d2)[mid]
    rest = ~(small | mid) & (b != 0) & (a != 0)
    _fallback(fx.safe_div, a, b, rest, out)
    return out


def vadd(a, b):
    """saturating_add."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int64), np.asarray(b, np.int64))
    with np.errstate(over="ignore"):
        s = a + b
    ovf = ((a ^ s) & (b ^ s)) < 0
    return np.where(ovf, np.where(a >= 0, MAXV, MINV), s)


def vsub(a, b):
    """saturating_sub."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int64), np.asarray(b, np.int64))
    with np.errstate(over="ignore"):
        s = a - b
    ovf = ((a ^ b) & (a ^ s)) < 0
    return np.where(ovf, np.where(a >= 0, MAXV, MINV), s)


def vsum(x, axis=None):
    """``iter().sum()`` of non-negative I32F32 values (exact, far from overflow)."""
    return np.sum(x, axis=axis, dtype=np.int64)


def vnormalize(x):
    s = int(vsum(x))
    return x.copy() if s == 0 else vdiv(x, s)


def vp16(x):
    """fixed_proportion_to_u16."""
    return np.clip(vmul(x, 0xFFFF << 32) >> 32, 0, 0xFFFF).astype(np.uint16)


def vexp_safe(x):
    """exp_safe on arrays: the substrate-fixed series, clamped to [-20, 20] (never fails there)."""
    x = np.clip(np.asarray(x, np.int64), fx.EXP_SAFE_MIN, fx.EXP_SAFE_MAX)
    neg = x < 0
    ax = np.abs(x)
    result = ax + ONE
    term = ax.copy()
    for i in range(2, 32):
        term = vmul(term, ax) // i
        result = result + term
    result = np.where(neg, vdiv(np.full_like(result, ONE), result), result)
    result = np.where(x == ONE, fx.E_I32F32, result)  # exp's special case (before negation)
    return np.where(x == 0, ONE, result)


def vliquid_alpha(c, w, b, lo, hi, steep_div):
    d = np.where(w >= b, vsub(w, c), vsub(b, w))
    d = np.clip(d, 0, ONE)
    x = vmul(steep_div, vsub(d, fx.HALF))
    denom = vadd(ONE, vexp_safe(x))
    sig = vdiv(np.full_like(denom, ONE), denom)  # saturating_div with a denominator >= 1
    a = vadd(lo, vmul(sig, vsub(hi, lo)))
    return np.maximum(np.minimum(a, hi), lo)


def _csr_rows(sr: SparseRows, n: int):
    """(row, col, value, position-in-row-order) of the entries of rows < n."""
    nr = min(sr.n_rows, n)
    end = int(sr.indptr[nr]) if sr.n_rows > 0 else 0
    rows = np.repeat(np.arange(nr, dtype=np.int64), np.diff(sr.indptr[:nr + 1]))
    return rows, sr.indices[:end], sr.values[:end]


def _visible(rows, cols):
    """Entries a row-wise peekable merge can see: uid above every earlier uid of its row."""
    if rows.size == 0:
        return np.zeros(0, bool)
    key = rows * (1 << 20) + cols
    prev = np.maximum.accumulate(key)
    prev = np.concatenate(([-1], prev[:-1]))
    prev = np.where(np.concatenate(([True], rows[1:] != rows[:-1])), -1, prev - rows * (1 << 20))
    return cols > prev


# ============================================================ epoch

def run_epoch(inputs: EpochInputs) -> EpochOutputs:
    """Vectorised numpy Yuma epoch: same signature and outputs as ``consensus.yuma.run_epoch``."""
    pi = prepare(inputs)
    p = pi.params
    n = pi.n
    stake = pi.stake.copy()
    reg = pi.block_at_registration
    owner = p["owner"]
    ar = np.arange(n)

    # --- activity, permits, active stake
    lu = pi.last_update
    m_lu = len(lu)
    lu_row = np.zeros(n, np.int64)
    lu_row[:min(n, m_lu)] = lu[:n]
    ina_known = lu_row + p["activity_cutoff"] < p["current_block"]
    inactive = np.where(ar < m_lu, ina_known, m_lu > 0)
    active = (ar < m_lu) & ~ina_known
    vp = pi.validator_permit
    m_p = len(vp)
    permit_old = np.zeros(n, bool)
    permit_old[:min(n, m_p)] = vp[:n]
    forbid = ~(permit_old | ((ar == owner) & (ar < m_p)))
    new_permit = stake != 0
    k = p["max_validators"]
    if n >= k:
        order = np.argsort(stake, kind="stable")
        new_permit[order[:n - k]] = False
    if 0 <= owner < n:
        new_permit[owner] = True
    A = stake.copy()
    A[(inactive & (m_lu > 0)) | (forbid & (m_p > 0))] = 0
    A = vnormalize(A)

    # --- weights (row order kept in wr/wc/wv for the liquid-alpha merge)
    wr, wc, wraw = _csr_rows(pi.weights, n)
    keep = wc < n
    wr, wc, wraw = wr[keep], wc[keep], wraw[keep]
    keep = ~forbid[wr] & ((wc != wr) | (wr == owner)) & ~(lu_row[wr] <= reg[wc])
    if p["commit_reveal"]:
        keep &= ~(pi.commit_block[wr] < reg[wc])
    wr, wc, wraw = wr[keep], wc[keep], wraw[keep]
    row_sum = np.bincount(wr, weights=wraw, minlength=n).astype(np.int64)
    s_e = row_sum[wr]
    wval = np.where(s_e > 0, (wraw << 32) // np.maximum(s_e, 1), wraw << 32)
    W = np.zeros((n, n), np.int64)
    Wp = np.zeros((n, n), bool)
    W[wr, wc] = wval
    Wp[wr, wc] = True

    # --- consensus: per column, the largest score v with L(v) <= minority (else the minimum)
    act = np.nonzero(A > 0)[0]
    C = np.zeros(n, np.int64)
    if act.size and n:
        use = vnormalize(A[act])
        minority = fx.sub(int(vsum(use)), p["kappa"])
        sub_w = W[act]
        order = np.argsort(sub_w, axis=0, kind="stable")
        vals = np.take_along_axis(sub_w, order, axis=0)
        if minority < 0:
            C = vals[0].copy()
        else:
            st = use[order]
            excl = np.cumsum(st, axis=0) - st
            cnt = (excl <= minority).sum(axis=0)
            C = vals[cnt - 1, np.arange(n)]

    # --- clipping, validator trust, ranks, incentive
    over = Wp & (W > C[None, :])
    Wc = np.where(over, C[None, :], W)
    Wcp = Wp & ~(over & (C[None, :] <= 0))
    Wc = np.where(Wcp, Wc, 0)
    vtrust = vsum(Wc, axis=1)
    ranks = vsum(vmul(A[:, None], Wc), axis=0)
    preranks = vsum(vmul(A[:, None], W), axis=0)
    incentive = vnormalize(ranks)

    # --- weights for bonds
    bp = p["bonds_penalty"]
    if bp == 0:
        Wb, Wbp = W, Wp
    elif bp == ONE:
        Wb, Wbp = Wc, Wcp
    else:
        Wb = vadd(W, vmul(bp, vsub(Wc, W)))
        Wbp = Wb > 0
        Wb = np.where(Wbp, Wb, 0)

    # --- stored bonds -> fixed, registration mask (uids >= n kept for the merge)
    br, bc, braw = _csr_rows(pi.bonds, n)
    breg = np.where(bc < n, reg[np.minimum(bc, max(n - 1, 0))] if n else 0, 0)
    keep = ~(p["last_tempo"] <= breg)
    br, bc, braw = br[keep], bc[keep], braw[keep]
    bfix = (braw << 32) // 0xFFFF if p["yuma3"] else braw << 32
    inn = bc < n
    B = np.zeros((n, n), np.int64)
    Bp = np.zeros((n, n), bool)
    B[br[inn], bc[inn]] = bfix[inn]
    Bp[br[inn], bc[inn]] = True

    alpha = p["ema_alpha"]
    beta = fx.sub(ONE, alpha)
    la_order = None
    if p["yuma3"]:
        if p["liquid_alpha"] and np.any(C != 0):
            # Wb entries in subtensor's row order
            if bp == 0 or bp == ONE:
                ent_r, ent_c = wr, wc
                sel = Wbp[ent_r, ent_c]
                ent_r, ent_c = ent_r[sel], ent_c[sel]
            else:
                ent_r, ent_c = np.nonzero(Wbp)
            ent_v = Wb[ent_r, ent_c]
            Wvis = np.zeros((n, n), np.int64)
            vis = _visible(ent_r, ent_c)
            Wvis[ent_r[vis], ent_c[vis]] = ent_v[vis]
            Bvis = np.zeros((n, n), np.int64)
            vis = _visible(br, bc) & inn
            Bvis[br[vis], bc[vis]] = bfix[vis]
            a = vliquid_alpha(C[ent_c], Wvis[ent_r, ent_c], Bvis[ent_r, ent_c], p["alpha_low"],
                              p["alpha_high"], p["steep_div"])
            dec = vmul(vsub(ONE, a), B[ent_r, ent_c])
            inc = np.maximum(vmul(a, ent_v), 0)
            ev = np.minimum(vadd(dec, inc), ONE)
            kept = ev > 0
            E = np.zeros((n, n), np.int64)
            E[ent_r[kept], ent_c[kept]] = ev[kept]
            la_order = (ent_r[kept], ent_c[kept])
        else:
            E = vadd(vmul(alpha, Wb), vmul(beta, B))
            E = np.where(E > 0, E, 0)
        col_sum = vsum(E, axis=0)
        En = np.where(E > 0, vdiv(E, col_sum[None, :]), 0)
        En = np.where((E > 0) & (col_sum[None, :] == 0), E, En)
        tb = vsum(vmul(En, incentive[None, :]), axis=1)
        d = vmul(tb, A)  # vec_mul: checked_mul().unwrap_or_default()
        for i in np.nonzero(np.abs(tb.astype(np.float64) * A.astype(np.float64)) >= 2.0 ** 93)[0]:
            r = fx.checked_mul(int(tb[i]), int(A[i]))
            d[i] = 0 if r is None else r
        dividends = vnormalize(d)
        stored = E
    else:
        # stored classic bonds are integer-valued: safe_div(b << 32, S << 32) == (b << 32) // S
        bsum = vsum(B >> 32, axis=0)
        Bn = np.where(Bp & (bsum[None, :] != 0), B // np.maximum(bsum, 1)[None, :], B)
        dB = np.where(Wbp, vmul(Wb, A[:, None]), 0)
        dsum = vsum(dB, axis=0)
        dBn = np.where(Wbp & (dsum[None, :] != 0), vdiv(dB, dsum[None, :]), dB)
        E = vadd(vmul(alpha, dBn), vmul(beta, Bn))
        E = np.where(E > 0, E, 0)
        esum = vsum(E, axis=0)
        En = np.where((E > 0) & (esum[None, :] != 0), vdiv(E, esum[None, :]), E)
        dividends = vnormalize(vsum(vmul(incentive[None, :], En), axis=1))
        cmax = En.max(axis=0) if n else np.zeros(0, np.int64)
        stored = np.where((En > 0) & (cmax[None, :] != 0), vdiv(En, cmax[None, :]), En)

    # --- emission
    combined = vadd(incentive, dividends)
    total = int(vsum(combined))
    if total != 0:
        n_server = vdiv(incentive, total)
        n_validator = vdiv(dividends, total)
    else:
        n_server, n_validator = incentive.copy(), dividends.copy()
    n_combined = vnormalize(combined)
    if total == 0:
        base = stake if int(vsum(A)) == 0 else A
        n_validator, n_combined = base.copy(), base.copy()

    def to_rao(x):
        return np.array([min(max((int(v) * p["rao_emission"]) >> 32, 0), fx.U64_MAX) for v in x],
                        dtype=np.uint64)

    # --- bonds rows to store
    if la_order is not None:
        er, ec = la_order
    else:
        er, ec = np.nonzero(E > 0)
    sel = new_permit[er]
    er, ec = er[sel], ec[sel]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(er, minlength=n), out=indptr[1:])
    bonds = SparseRows(indptr, ec.astype(np.uint16), vp16(stored[er, ec]))

    return EpochOutputs(
        active=active, stake=pi.raw_stake, stake_weight=vp16(stake), validator_permit=new_permit,
        consensus=vp16(C), validator_trust=vp16(vtrust), incentive=vp16(incentive),
        dividends=vp16(dividends), emission=to_rao(n_combined), server_emission=to_rao(n_server),
        validator_emission=to_rao(n_validator), bonds=bonds, rank=vp16(incentive),
        trust=vp16(vdiv(ranks, preranks)),
        pruning_scores=np.array(fx.vec_max_upscale_to_u16([int(v) for v in n_combined]), dtype=np.uint16),
    )
