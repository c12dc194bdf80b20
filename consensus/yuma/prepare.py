"""Validation and canonicalisation of ``EpochInputs`` (shared by all implementations).

Only O(n) work happens here: scalar hyperparameters are converted to their
I32F32 bits with ``fixed.py`` and the stake vector is normalised with exact Python
integers (it needs I64F64 / 128-bit arithmetic, ``fixed.stake_weights``).
"""
from __future__ import annotations

import numpy as np

from . import fixed as fx
from .types import EpochInputs, PreparedInputs, as_sparse_rows

INT64_MAX = (1 << 63) - 1
_BLOCK_LIMIT = 1 << 62  # block numbers are u64 on chain; we keep them in int64


def _u64_array(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D")
    if a.size and (a.dtype.kind == "f"):
        raise ValueError(f"{name} must be integers, not floats")
    if a.size and (int(a.min()) < 0 or int(a.max()) > fx.U64_MAX):
        raise ValueError(f"{name} must be u64")
    return a


def _blocks(x, name: str) -> np.ndarray:
    a = _u64_array(x, name)
    if a.size and int(a.max()) >= _BLOCK_LIMIT:
        raise ValueError(f"{name}: block numbers >= 2**62 are not supported")
    return a.astype(np.int64)


def prepare(inp: EpochInputs, stake_fast=None) -> PreparedInputs:
    """Validate ``inp`` and convert it to canonical arrays / I32F32 parameters.

    ``stake_fast(alpha_int64, owner, threshold) -> (stake_bits, raw)`` may compute the stake
    normalisation when no root TAO stake contributes (the kernel passes a jitted one);
    otherwise it is done with exact Python integers (``fixed.stake_weights``)."""
    n = inp.n
    if n > 32767:
        raise ValueError("n > 32767 would overflow I32F32 row sums of u16 weights")
    alpha_arr = _u64_array(inp.alpha_stake, "alpha_stake")
    tao_arr = None if inp.tao_stake is None else _u64_array(inp.tao_stake, "tao_stake")
    if tao_arr is not None and len(tao_arr) != n:
        raise ValueError("tao_stake must have length n")
    for name in ("current_block", "rao_emission", "tempo", "tao_weight", "stake_threshold",
                 "last_mechanism_step_block", "bonds_moving_average", "activity_cutoff_factor_milli"):
        v = int(getattr(inp, name))
        if not 0 <= v <= fx.U64_MAX:
            raise ValueError(f"{name} must be u64")
    for name in ("kappa", "bonds_penalty", "max_allowed_validators", "alpha_low", "alpha_high", "tempo"):
        if not 0 <= int(getattr(inp, name)) <= 0xFFFF:
            raise ValueError(f"{name} must be u16")
    if not -32768 <= int(inp.alpha_sigmoid_steepness) <= 32767:
        raise ValueError("alpha_sigmoid_steepness must be i16")
    owner = -1 if inp.owner_uid is None else int(inp.owner_uid)
    if owner >= 0 and owner > 0xFFFF:
        raise ValueError("owner_uid must be u16")

    no_tao = tao_arr is None or int(inp.tao_weight) == 0 or not tao_arr.any()
    if (stake_fast is not None and no_tao and n and int(alpha_arr.max()) < (1 << 62)
            and float(alpha_arr.astype(np.float64).sum()) < 2.0 ** 61):
        # thresholds above every stake filter the same as 2**62 does
        stake, raw = stake_fast(alpha_arr.astype(np.int64), owner, min(int(inp.stake_threshold), 1 << 62))
        raw = raw.astype(np.uint64)
    else:
        alpha = [int(v) for v in alpha_arr]
        tao = [0] * n if tao_arr is None else [int(v) for v in tao_arr]
        stake, raw = fx.stake_weights(alpha, tao, int(inp.tao_weight), int(inp.stake_threshold), owner)
        stake = np.array(stake, dtype=np.int64)
        raw = np.array(raw, dtype=np.uint64)

    weights = as_sparse_rows(inp.weights, "weights")
    bonds = as_sparse_rows(inp.bonds, "bonds")
    reg = _blocks(inp.block_at_registration, "block_at_registration")
    if len(reg) != n:
        raise ValueError("block_at_registration must have length n")
    last_update = _blocks(inp.last_update, "last_update")
    permit = np.asarray(inp.validator_permit, dtype=np.bool_)
    if permit.ndim != 1:
        raise ValueError("validator_permit must be 1-D")
    if inp.commit_block is None:
        commit = np.full(n, INT64_MAX, dtype=np.int64)
    else:
        cb = _u64_array(inp.commit_block, "commit_block")
        if len(cb) != n:
            raise ValueError("commit_block must have length n")
        commit = np.array([INT64_MAX if int(v) >= _BLOCK_LIMIT else int(v) for v in cb], dtype=np.int64)

    if inp.activity_cutoff is not None and not 0 <= int(inp.activity_cutoff) < _BLOCK_LIMIT:
        raise ValueError("activity_cutoff must be a block count below 2**62")
    current_block = int(inp.current_block)
    if current_block >= _BLOCK_LIMIT:
        raise ValueError("current_block >= 2**62 is not supported")
    tempo = int(inp.tempo)
    lms = int(inp.last_mechanism_step_block)
    last_tempo = max(current_block - tempo, 0) if lms == 0 else min(lms + 1, fx.U64_MAX)
    la_low, la_high = fx.alpha_values_fixed(int(inp.alpha_low), int(inp.alpha_high))
    steep = fx.steepness_fixed(int(inp.alpha_sigmoid_steepness))
    params = dict(
        current_block=current_block,
        activity_cutoff=(fx.activity_cutoff_blocks(int(inp.activity_cutoff_factor_milli), tempo)
                         if inp.activity_cutoff is None else int(inp.activity_cutoff)),
        last_tempo=min(last_tempo, INT64_MAX),
        owner=owner,
        max_validators=int(inp.max_allowed_validators),
        kappa=fx.kappa_fixed(int(inp.kappa)),
        bonds_penalty=fx.bonds_penalty_fixed(int(inp.bonds_penalty)),
        ema_alpha=fx.ema_alpha_from_moving_average(int(inp.bonds_moving_average)),
        yuma3=bool(inp.yuma3_enabled),
        liquid_alpha=bool(inp.liquid_alpha_enabled),
        alpha_low=la_low,
        alpha_high=la_high,
        # alpha_sigmoid: steepness.saturating_div(I32F32::from_num(-100)), hoisted (it is per-subnet)
        steep_div=fx.saturating_div(steep, fx.from_int(-100)),
        commit_reveal=bool(inp.commit_reveal_enabled),
        rao_emission=int(inp.rao_emission),
    )
    return PreparedInputs(
        n=n, weights=weights, bonds=bonds,
        stake=stake, raw_stake=raw,
        validator_permit=permit, last_update=last_update, block_at_registration=reg,
        commit_block=commit, params=params,
    )
