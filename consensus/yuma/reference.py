"""Readable reference implementation of subtensor's production Yuma epoch.

One function per step, called in order by :func:`run_epoch` (like consensus-specs'
``process_epoch``).  It mirrors ``Pallet::epoch_mechanism`` in
``pallets/subtensor/src/epoch/run_epoch.rs`` (opentensor/subtensor 14bc6f9f9) and the
sparse helpers of ``epoch/math.rs`` it calls, on exact fixed-point *bits*
(``fixed.py``).  Matrices are lists of rows; a row is a list of ``(uid, bits)`` in
the order subtensor would hold it.  Speed is not a goal here: this is the
definition the numba kernel and the numpy version are tested against.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import fixed as fx
from .fixed import ONE, add, mul, safe_div, sub
from .prepare import prepare
from .types import EpochInputs, EpochOutputs, OUTPUT_DTYPES, SparseRows

Row = list[tuple[int, int]]
Matrix = list[Row]


# ============================================================== sparse matrix helpers (math.rs)

def _sum(xs) -> int:
    # ``x.iter().sum()``: exact integer add (values are far from the I32F32 range)
    return sum(xs)


def normalize(x: Sequence[int]) -> list[int]:
    """``inplace_normalize``: divide by the sum unless the sum is 0."""
    s = _sum(x)
    if s == 0:
        return list(x)
    return [safe_div(v, s) for v in x]


def mask_vector(mask: Sequence[bool], v: list[int]) -> list[int]:
    """``inplace_mask_vector``: an empty mask does nothing, a missing entry masks."""
    if len(mask) == 0:
        return v
    return [0 if (mask[i] if i < len(mask) else True) else x for i, x in enumerate(v)]


def row_normalize(m: Matrix) -> Matrix:
    """``inplace_row_normalize_sparse``."""
    out = []
    for row in m:
        s = _sum(v for _, v in row)
        out.append([(j, safe_div(v, s)) for j, v in row] if s > 0 else list(row))
    return out


def col_normalize(m: Matrix, n: int) -> Matrix:
    """``inplace_col_normalize_sparse`` (columns >= n are neither summed nor scaled)."""
    col_sum = [0] * n
    for row in m:
        for j, v in row:
            if j < n:
                col_sum[j] = add(col_sum[j], v)
    return [[(j, safe_div(v, col_sum[j])) if j < n and col_sum[j] != 0 else (j, v) for j, v in row]
            for row in m]


def col_max_upscale(m: Matrix, n: int) -> Matrix:
    """``inplace_col_max_upscale_sparse``."""
    col_max = [0] * n
    for row in m:
        for j, v in row:
            if j < n and col_max[j] < v:
                col_max[j] = v
    return [[(j, safe_div(v, col_max[j])) if j < n and col_max[j] != 0 else (j, v) for j, v in row]
            for row in m]


def row_sums(m: Matrix) -> list[int]:
    """``row_sum_sparse``."""
    return [_sum(v for _, v in row) for row in m]


def matmul(m: Matrix, vector: Sequence[int], n: int) -> list[int]:
    """``matmul_sparse``: ``r_j = sum_i vector_i * m_ij``."""
    r = [0] * n
    for i, row in enumerate(m):
        s = vector[i] if i < len(vector) else 0
        for j, v in row:
            if j < n:
                r[j] = add(r[j], mul(s, v))
    return r


def matmul_transpose(m: Matrix, vector: Sequence[int]) -> list[int]:
    """``matmul_transpose_sparse``: ``r_i = sum_j vector_j * m_ij``."""
    out = []
    for row in m:
        acc = 0
        for j, v in row:
            acc = add(acc, mul(vector[j] if j < len(vector) else 0, v))
        out.append(acc)
    return out


def densify(row: Row, n: int) -> list[int]:
    d = [0] * n
    for j, v in row:
        if j < n:
            d[j] = v
    return d


def merged_lookup(row: Row, n: int) -> list[int]:
    """What the peekable merge of ``compute_liquid_alpha_values_sparse`` sees at each column.

    The merge walks ``j = 0..n`` with a pointer that only skips entries whose uid is
    ``< j``; an entry is found only if every entry before it in the row has a smaller
    uid (rows are normally sorted, ``set_weights`` does not sort them).
    """
    out = [0] * n
    p = 0
    for j in range(n):
        while p < len(row) and row[p][0] < j:
            p += 1
        if p < len(row) and row[p][0] == j:
            out[j] = row[p][1]
    return out


# ================================================================== epoch steps

def compute_activity(last_update: Sequence[int], cutoff: int, current_block: int, n: int):
    """``inactive_i = LastUpdate_i + activity_cutoff < current_block``; ``Active`` output."""
    inactive = [min(lu + cutoff, fx.U64_MAX) < current_block for lu in last_update]
    active_out = [(not inactive[i]) if i < len(inactive) else False for i in range(n)]
    return inactive, active_out


def compute_stake(inputs: EpochInputs, owner: int) -> tuple[list[int], list[int]]:
    """``get_stake_weights_for_network`` + StakeThreshold filter (owner exempt) + I64F64
    normalisation narrowed to I32F32.  Returns (stake bits, floor of total stake)."""
    alpha = [int(v) for v in inputs.alpha_stake]
    tao = [0] * len(alpha) if inputs.tao_stake is None else [int(v) for v in inputs.tao_stake]
    return fx.stake_weights(alpha, tao, int(inputs.tao_weight), int(inputs.stake_threshold), owner)


def compute_validator_permits(stake: Sequence[int], stored_permits: Sequence[bool], owner: int,
                              max_validators: int):
    """Old permits (storage, owner forced) and ``is_topk_nonzero`` new permits (owner forced)."""
    old = [bool(p) for p in stored_permits]
    if 0 <= owner < len(old):
        old[owner] = True
    new = fx.is_topk_nonzero(stake, max_validators)
    if 0 <= owner < len(new):
        new[owner] = True
    forbids = [not p for p in old]
    return old, new, forbids


def compute_active_stake(stake: Sequence[int], inactive: Sequence[bool], forbids: Sequence[bool]) -> list[int]:
    """Mask inactive and non-permitted stake, then normalise."""
    a = mask_vector(inactive, list(stake))
    a = mask_vector(forbids, a)
    return normalize(a)


def compute_weights(stored: SparseRows, n: int, forbids: Sequence[bool], owner: int,
                    last_update: Sequence[int], reg: Sequence[int], commit_reveal: bool,
                    commit_block: Sequence[int]) -> Matrix:
    """``get_weights_sparse`` + permit / diagonal / outdated / commit-reveal masks + row normalise."""
    w: Matrix = []
    for i in range(n):
        row = stored.row(i) if i < stored.n_rows else []
        w.append([(j, fx.from_int(v)) for j, v in row if j < n])
    # mask_rows_sparse(validator_forbids): a missing mask entry masks the row
    w = [[] if (forbids[i] if i < len(forbids) else True) else row for i, row in enumerate(w)]
    # remove self-weight, except the subnet owner's
    w = [[(j, v) for j, v in row if j != i or (i == owner and j == owner)] for i, row in enumerate(w)]
    # weights set before the destination (re)registered
    w = [[(j, v) for j, v in row if not ((last_update[i] if i < len(last_update) else 0) <= reg[j])]
         for i, row in enumerate(w)]
    if commit_reveal:
        w = [[(j, v) for j, v in row if not (commit_block[i] < reg[j])] for i, row in enumerate(w)]
    return row_normalize(w)


def compute_consensus(active_stake: Sequence[int], weights: Matrix, n: int, kappa: int) -> list[int]:
    """``weighted_median_col_sparse``: stake-weighted median per column with majority kappa."""
    use_stake = normalize([s for s in active_stake if s > 0])
    stake_sum = _sum(use_stake)
    minority = sub(stake_sum, kappa)
    m = len(use_stake)
    use_score = [[0] * m for _ in range(n)]
    k = 0
    for s, row in zip(active_stake, weights):
        if s > 0:
            for j, v in row:
                if j < n:
                    use_score[j][k] = v
            k += 1
    idx = list(range(m))
    return [fx.weighted_median(use_stake, col, idx, minority, 0, stake_sum) for col in use_score]


def compute_clipped_weights(weights: Matrix, consensus: Sequence[int]) -> Matrix:
    """``col_clip_sparse``: clip at consensus; entries clipped to a 0 consensus are removed."""
    out = []
    for row in weights:
        r = []
        for j, v in row:
            th = consensus[j] if j < len(consensus) else 0
            if th < v:
                if th > 0:
                    r.append((j, th))
            else:
                r.append((j, v))
        out.append(r)
    return out


def compute_validator_trust(clipped: Matrix) -> list[int]:
    return row_sums(clipped)


def compute_ranks(clipped: Matrix, active_stake: Sequence[int], n: int) -> tuple[list[int], list[int]]:
    """Ranks ``r_j = sum_i w_ij s_i`` (unnormalised) and incentive ``= normalize(r)``."""
    ranks = matmul(clipped, active_stake, n)
    return ranks, normalize(ranks)


def compute_weights_for_bonds(weights: Matrix, clipped: Matrix, n: int, bonds_penalty: int) -> Matrix:
    """``interpolate_sparse(W, W_clipped, bonds_penalty)``."""
    if bonds_penalty == 0:
        return [list(r) for r in weights]
    if bonds_penalty == ONE:
        return [list(r) for r in clipped]
    out = []
    for r1, r2 in zip(weights, clipped):
        d1, d2 = densify(r1, n), densify(r2, n)
        row = []
        for j in range(n):
            v = add(d1[j], mul(bonds_penalty, sub(d2[j], d1[j])))
            if v > 0:
                row.append((j, v))
        out.append(row)
    return out


def load_bonds(stored: SparseRows, n: int, yuma3: bool, last_tempo: int, reg: Sequence[int]) -> Matrix:
    """``get_bonds_sparse`` (Yuma3: ``get_bonds_sparse_fixed_proportion``) + registration mask."""
    b: Matrix = []
    for i in range(n):
        row = stored.row(i) if i < stored.n_rows else []
        if yuma3:
            b.append([(j, fx.safe_div(fx.from_int(v), fx.from_int(fx.U16_MAX))) for j, v in row])
        else:
            b.append([(j, fx.from_int(v)) for j, v in row])
    # scalar_vec_mask_sparse_matrix: drop bonds to uids registered since the last epoch
    return [[(j, v) for j, v in row if not (last_tempo <= (reg[j] if j < len(reg) else 0))] for row in b]


def mat_ema(new: Matrix, old: Matrix, alpha: int) -> Matrix:
    """``mat_ema_sparse``: ``alpha*new + (1-alpha)*old`` on the union of entries, keep > 0."""
    n = len(new)
    one_minus = sub(ONE, alpha)
    out = []
    for i, nrow in enumerate(new):
        acc = [0] * n
        for j, v in nrow:
            if j < n:
                acc[j] = add(acc[j], mul(alpha, v))
        for j, v in (old[i] if i < len(old) else []):
            if j < n:
                acc[j] = add(acc[j], mul(one_minus, v))
        out.append([(j, v) for j, v in enumerate(acc) if v > 0])
    return out


def compute_liquid_alphas(weights: Matrix, bonds: Matrix, consensus: Sequence[int], p: dict) -> list[list[int]]:
    """``compute_liquid_alpha_values_sparse``: dense per-(i, j) alpha matrix."""
    n = len(consensus)
    alphas = []
    for wrow, brow in zip(weights, bonds):
        wv, bv = merged_lookup(wrow, n), merged_lookup(brow, n)
        alphas.append([liquid_alpha(consensus[j], wv[j], bv[j], p) for j in range(n)])
    return alphas


def liquid_alpha(c: int, w: int, b: int, p: dict) -> int:
    """``alpha_sigmoid`` with the per-subnet ``steepness / -100`` hoisted."""
    lo, hi = p["alpha_low"], p["alpha_high"]
    diff_buy = max(min(sub(w, c), ONE), 0)
    diff_sell = max(min(sub(b, w), ONE), 0)
    combined = diff_buy if w >= b else diff_sell
    x = mul(p["steep_div"], sub(combined, fx.HALF))
    sigmoid = fx.saturating_div(ONE, add(ONE, fx.exp_safe(x)))
    a = add(lo, mul(sigmoid, sub(hi, lo)))
    return max(min(a, hi), lo)


def mat_ema_alpha(new: Matrix, old: Matrix, alphas: list[list[int]]) -> Matrix:
    """``mat_ema_alpha_sparse``: only entries of ``new`` are emitted (absent weights drop the bond)."""
    out = []
    for nrow, orow, arow in zip(new, old, alphas):
        decayed = [0] * len(arow)
        for j, v in orow:
            if j < len(arow):
                decayed[j] = mul(sub(ONE, arow[j]), v)
        r = []
        for j, v in nrow:
            if j < len(arow):
                inc = max(mul(arow[j], v), 0)
                val = min(add(decayed[j], inc), ONE)
                if val > 0:
                    r.append((j, val))
        out.append(r)
    return out


def compute_ema_bonds(weights_for_bonds: Matrix, bonds: Matrix, active_stake: Sequence[int],
                      consensus: Sequence[int], n: int, p: dict) -> Matrix:
    """Bond EMA for both variants (un-normalised for Yuma3, column-normalised for classic Yuma)."""
    if p["yuma3"]:
        if p["liquid_alpha"] and any(c != 0 for c in consensus):
            return mat_ema_alpha(weights_for_bonds, bonds, compute_liquid_alphas(weights_for_bonds, bonds, consensus, p))
        return mat_ema(weights_for_bonds, bonds, p["ema_alpha"])
    bonds = col_normalize(bonds, n)
    delta = [[(j, mul(v, active_stake[i])) for j, v in row] for i, row in enumerate(weights_for_bonds)]
    delta = col_normalize(delta, n)
    return col_normalize(mat_ema(delta, bonds, p["ema_alpha"]), n)


def compute_dividends(ema_bonds: Matrix, incentive: Sequence[int], active_stake: Sequence[int], n: int,
                      yuma3: bool) -> list[int]:
    if yuma3:
        norm = col_normalize(ema_bonds, n)
        per_validator = [_sum(mul(v, incentive[j]) for j, v in row if j < len(incentive)) for row in norm]
        d = []
        for t, a in zip(per_validator, active_stake):
            r = fx.checked_mul(t, a)  # vec_mul: checked_mul().unwrap_or_default()
            d.append(0 if r is None else r)
        return normalize(d)
    return normalize(matmul_transpose(ema_bonds, incentive))


def bonds_for_storage(ema_bonds: Matrix, n: int, yuma3: bool) -> Matrix:
    """Yuma3 stores ``floor(b*65535)``; classic stores column max-upscaled bonds."""
    return ema_bonds if yuma3 else col_max_upscale(ema_bonds, n)


def compute_emission(incentive: Sequence[int], dividends: Sequence[int], stake: Sequence[int],
                     active_stake: Sequence[int], rao_emission: int):
    """Normalised server / validator / combined emission and their rao amounts (I96F32)."""
    combined = [add(i, d) for i, d in zip(incentive, dividends)]
    total = _sum(combined)
    if total != 0:
        n_server = [safe_div(v, total) for v in incentive]
        n_validator = [safe_div(v, total) for v in dividends]
    else:
        n_server, n_validator = list(incentive), list(dividends)
    n_combined = normalize(combined)
    if total == 0:
        base = list(stake) if _sum(active_stake) == 0 else list(active_stake)
        n_validator, n_combined = list(base), list(base)

    def to_rao(x: int) -> int:  # I96F32::from(x) * I96F32::from(rao) -> u64
        return max(0, min((x * rao_emission) >> 32, fx.U64_MAX))

    return ([to_rao(v) for v in n_server], [to_rao(v) for v in n_validator],
            [to_rao(v) for v in n_combined], n_combined)


# ================================================================== entry point

def run_epoch(inputs: EpochInputs) -> EpochOutputs:
    """Reference Yuma epoch: same signature and outputs as ``consensus.yuma.run_epoch``."""
    pi = prepare(inputs)  # validation + canonical arrays + hyperparameters as I32F32 bits
    p = pi.params
    n = pi.n
    owner = p["owner"]
    stake, raw_stake = compute_stake(inputs, owner)
    reg = [int(v) for v in pi.block_at_registration]
    last_update = [int(v) for v in pi.last_update]

    inactive, active = compute_activity(last_update, p["activity_cutoff"], p["current_block"], n)
    old_permits, new_permits, forbids = compute_validator_permits(
        stake, [bool(v) for v in pi.validator_permit], owner, p["max_validators"])
    active_stake = compute_active_stake(stake, inactive, forbids)
    weights = compute_weights(pi.weights, n, forbids, owner, last_update, reg, p["commit_reveal"],
                              [int(v) for v in pi.commit_block])
    consensus = compute_consensus(active_stake, weights, n, p["kappa"])
    clipped = compute_clipped_weights(weights, consensus)
    validator_trust = compute_validator_trust(clipped)
    ranks, incentive = compute_ranks(clipped, active_stake, n)
    weights_for_bonds = compute_weights_for_bonds(weights, clipped, n, p["bonds_penalty"])
    bonds = load_bonds(pi.bonds, n, p["yuma3"], p["last_tempo"], reg)
    ema_bonds = compute_ema_bonds(weights_for_bonds, bonds, active_stake, consensus, n, p)
    dividends = compute_dividends(ema_bonds, incentive, active_stake, n, p["yuma3"])
    stored_bonds = bonds_for_storage(ema_bonds, n, p["yuma3"])
    server_em, validator_em, combined_em, n_combined = compute_emission(
        incentive, dividends, stake, active_stake, p["rao_emission"])

    # legacy outputs (subtensor 4ff2e5b75): Trust = clipped rank / rank, PruningScores
    preranks = matmul(weights, active_stake, n)
    trust = [safe_div(r, pr) for r, pr in zip(ranks, preranks)]

    p16 = fx.fixed_proportion_to_u16
    bond_rows = [[(j, p16(v)) for j, v in stored_bonds[i]] if new_permits[i] else [] for i in range(n)]
    out = dict(
        active=active,
        stake=raw_stake,
        stake_weight=[p16(v) for v in stake],
        validator_permit=new_permits,
        consensus=[p16(v) for v in consensus],
        validator_trust=[p16(v) for v in validator_trust],
        incentive=[p16(v) for v in incentive],
        dividends=[p16(v) for v in dividends],
        emission=combined_em,
        server_emission=server_em,
        validator_emission=validator_em,
        rank=[p16(v) for v in incentive],
        trust=[p16(v) for v in trust],
        pruning_scores=fx.vec_max_upscale_to_u16(n_combined),
    )
    arrays = {k: np.array(v, dtype=OUTPUT_DTYPES[k]) if len(v) else np.zeros(0, OUTPUT_DTYPES[k])
              for k, v in out.items()}
    return EpochOutputs(bonds=SparseRows.from_rows(bond_rows, dtype=np.uint16), **arrays)
