"""Yuma consensus kernel: subtensor's production epoch (``epoch_mechanism``), integer-exact.

Pure leaf package (numpy + numba; no storage, no I/O).  One call runs one epoch of one
subnet mechanism::

    from consensus.yuma import EpochInputs, run_epoch

    out = run_epoch(EpochInputs(
        alpha_stake=...,            # u64[n]  inherited alpha stake per uid (0 if no hotkey)
        weights=...,                # Weights rows: SparseRows | list[list[(uid, u16)]] | dense u16 array
        bonds=...,                  # Bonds rows, same forms
        validator_permit=...,       # bool    ValidatorPermit (previous epoch)
        last_update=...,            # u64     LastUpdate[netuid_index]
        block_at_registration=...,  # u64[n]  BlockAtRegistration (0 if no hotkey)
        current_block=..., rao_emission=...,
        # hyperparameters (storage values; defaults = subtensor's for a new subnet)
        tempo=360, kappa=32_767, bonds_penalty=65_535, bonds_moving_average=900_000,
        max_allowed_validators=64, yuma3_enabled=True, liquid_alpha_enabled=False,
        alpha_low=45_875, alpha_high=58_982, alpha_sigmoid_steepness=1000,
        activity_cutoff_factor_milli=13_889, last_mechanism_step_block=0,
        stake_threshold=0, owner_uid=None, tao_stake=None, tao_weight=0,
        commit_reveal_enabled=False, commit_block=None,
    ))
    out.incentive, out.dividends, out.consensus, out.validator_trust, out.stake_weight  # u16[n]
    out.emission, out.server_emission, out.validator_emission                          # u64[n] rao
    out.active, out.validator_permit                                                   # bool[n]
    out.bonds                                     # SparseRows: the u16 row to store for every uid
    out.rank, out.trust, out.pruning_scores       # u16[n] legacy items (not written by subtensor now)
    out.stake                                     # u64[n] floor(total stake), EpochTerms.stake

Implementations (same signature, bit-identical outputs, tested against each other and
against subtensor's own epoch tests):

* :func:`run_epoch` - numba kernel (``kernel.py``); use this one.
* :func:`run_epoch_reference` - readable pure-Python reference, one function per step
  (``reference.py``).
* :func:`run_epoch_vectorized` - vectorised numpy (``vectorized.py``), the benchmark baseline.

``fixed.py`` emulates substrate-fixed (I32F32 / I64F64 / I96F32) on Python ints.  Dense
weight/bond matrices treat 0 as "no entry"; pass ``SparseRows`` / row lists to express the
explicit zero weights ``set_weights`` can store (they matter for Yuma3 liquid-alpha bonds).
"""
from .types import EpochInputs, EpochOutputs, SparseRows
from .reference import run_epoch as run_epoch_reference
from .kernel import run_epoch, release_scratch
from .vectorized import run_epoch as run_epoch_vectorized

__all__ = [
    "EpochInputs", "EpochOutputs", "SparseRows",
    "run_epoch", "run_epoch_reference", "run_epoch_vectorized", "release_scratch",
]
