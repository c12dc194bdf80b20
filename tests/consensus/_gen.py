"""Hypothesis strategy for random subnets exercising every branch of the epoch."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from consensus.yuma import EpochInputs, SparseRows

U64_MAX = (1 << 64) - 1


@st.composite
def _rows(draw, n_rows: int, n: int, max_uid: int, values, *, allow_unsorted: bool):
    rows = []
    for _ in range(n_rows):
        k = draw(st.integers(0, min(n + 1, 8)))
        uids = draw(st.lists(st.integers(0, max_uid), min_size=k, max_size=k, unique=True))
        if not allow_unsorted or draw(st.booleans()):
            uids = sorted(uids)
        rows.append([(u, draw(values)) for u in uids])
    return rows


u16 = st.one_of(st.integers(0, 65535), st.sampled_from([0, 1, 32767, 32768, 65534, 65535]))


@st.composite
def subnets(draw, max_n: int = 10) -> EpochInputs:
    n = draw(st.integers(0, max_n))
    block = draw(st.integers(0, 60))
    stake_kind = draw(st.sampled_from(["small", "big", "zeros", "mixed"]))
    if stake_kind == "small":
        alpha = draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    elif stake_kind == "big":
        alpha = draw(st.lists(st.integers(0, 21 * 10**15), min_size=n, max_size=n))
    elif stake_kind == "zeros":
        alpha = [0] * n
    else:
        alpha = draw(st.lists(st.sampled_from([0, 1, 7, 10**9, 10**15, 2**58]), min_size=n, max_size=n))
    tao = None
    tao_weight = 0
    if draw(st.booleans()):
        tao = draw(st.lists(st.integers(0, 10**12), min_size=n, max_size=n))
        tao_weight = draw(st.sampled_from([0, 971_718_665_099_567_868, U64_MAX, 12345]))
    # rows may refer to uids >= n (stale storage) and be unsorted (set_weights keeps order)
    n_w_rows = draw(st.sampled_from([n, n, n, max(n - 1, 0), n + 1]))
    weights = draw(_rows(n_w_rows, n, n + 1, u16, allow_unsorted=True))
    bonds = draw(_rows(draw(st.sampled_from([n, n, max(n - 1, 0)])), n, n + 2, u16, allow_unsorted=True))
    lu_len = draw(st.sampled_from([n, n, n, n, 0, max(n - 1, 0), n + 1]))
    last_update = draw(st.lists(st.integers(0, block + 2), min_size=lu_len, max_size=lu_len))
    vp_len = draw(st.sampled_from([n, n, n, n, 0, max(n - 1, 0)]))
    permits = draw(st.lists(st.booleans(), min_size=vp_len, max_size=vp_len))
    reg = draw(st.lists(st.integers(0, block + 1), min_size=n, max_size=n))
    commit = None
    cr = draw(st.booleans())
    if cr and draw(st.booleans()):
        commit = draw(st.lists(st.one_of(st.just(U64_MAX), st.integers(0, block + 1)), min_size=n, max_size=n))
    yuma3 = draw(st.booleans())
    liquid = draw(st.booleans())
    lo = draw(st.integers(0, 65535))
    hi = draw(st.one_of(st.integers(lo, 65535), st.integers(0, 65535)))
    return EpochInputs(
        alpha_stake=np.array(alpha, dtype=np.uint64),
        tao_stake=None if tao is None else np.array(tao, dtype=np.uint64),
        tao_weight=tao_weight,
        weights=SparseRows.from_rows(weights),
        bonds=SparseRows.from_rows(bonds),
        validator_permit=np.array(permits, dtype=bool),
        last_update=np.array(last_update, dtype=np.uint64),
        block_at_registration=np.array(reg, dtype=np.uint64),
        current_block=block,
        rao_emission=draw(st.sampled_from([0, 1, 1_000_000_000, 10**17, 2**63 - 1])),
        tempo=draw(st.sampled_from([0, 1, 3, 360])),
        stake_threshold=draw(st.sampled_from([0, 0, 1, 5, 10**9])),
        owner_uid=draw(st.one_of(st.none(), st.integers(0, n + 1))),
        activity_cutoff_factor_milli=draw(st.sampled_from([1000, 13_889, 50_000, 0])),
        activity_cutoff=draw(st.sampled_from([None, None, None, 0, 1, 5])),
        last_mechanism_step_block=draw(st.sampled_from([0, 0, max(block - 2, 0), block])),
        kappa=draw(st.one_of(st.just(32767), u16)),
        bonds_penalty=draw(st.one_of(st.sampled_from([0, 65535]), u16)),
        bonds_moving_average=draw(st.sampled_from([900_000, 975_000, 0, 1_000_000, 500_000, 1_200_000])),
        max_allowed_validators=draw(st.integers(0, n + 1)),
        yuma3_enabled=yuma3,
        liquid_alpha_enabled=liquid,
        alpha_low=lo,
        alpha_high=hi,
        alpha_sigmoid_steepness=draw(st.sampled_from([1000, 0, 1, -1000, 32767, -32768, 250])),
        commit_reveal_enabled=cr,
        commit_block=None if commit is None else np.array(commit, dtype=np.uint64),
    )


def dense_subnet(n: int, seed: int, *, validators: int | None = None, density: float = 1.0, **hyper) -> EpochInputs:
    """Large random subnet for benchmarks / stress tests (sorted rows, like dense storage)."""
    rng = np.random.default_rng(seed)
    v = n if validators is None else validators
    w = rng.integers(1, 65536, size=(n, n), dtype=np.int64)
    b = rng.integers(1, 65536, size=(n, n), dtype=np.int64)
    if density < 1.0:
        w[rng.random((n, n)) >= density] = 0
        b[rng.random((n, n)) >= density] = 0
    w[v:] = 0  # only validators set weights / hold bonds
    b[v:] = 0
    stake = np.zeros(n, dtype=np.uint64)
    stake[:v] = rng.integers(10**9, 10**15, size=v, dtype=np.int64).astype(np.uint64)
    params = dict(max_allowed_validators=v)
    params.update(hyper)
    return EpochInputs(
        alpha_stake=stake,
        weights=SparseRows.from_dense(w.astype(np.uint16)),
        bonds=SparseRows.from_dense(b.astype(np.uint16)),
        validator_permit=np.arange(n) < v,
        last_update=np.full(n, 10_000, dtype=np.uint64),
        block_at_registration=rng.integers(0, 5_000, size=n).astype(np.uint64),
        current_block=10_100,
        rao_emission=1_000_000_000,
        **params,
    )
