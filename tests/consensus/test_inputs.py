"""Input forms and validation of the epoch entry point."""
from __future__ import annotations

import numpy as np
import pytest

from consensus.yuma import EpochInputs, SparseRows, run_epoch, run_epoch_reference

from ._gen import dense_subnet


def _base(**kw):
    d = dict(alpha_stake=np.array([5, 3, 0], np.uint64), weights=[[(2, 65535)], [(2, 100), (0, 7)], []],
             bonds=[[], [], []], validator_permit=np.array([True, True, False]),
             last_update=np.array([9, 9, 9], np.uint64), block_at_registration=np.zeros(3, np.uint64),
             current_block=10, rao_emission=10**9)
    d.update(kw)
    return EpochInputs(**d)


def test_matrix_forms_agree():
    """list-of-rows, SparseRows and dense arrays (zeros absent) give the same epoch."""
    inp = dense_subnet(12, 3, validators=5, density=0.6)
    dense_w = inp.weights.to_dense(12)
    dense_b = inp.bonds.to_dense(12)
    a = run_epoch(inp)
    inp2 = dense_subnet(12, 3, validators=5, density=0.6)
    inp2.weights, inp2.bonds = dense_w, dense_b
    assert not a.diff(run_epoch(inp2))
    inp2.weights, inp2.bonds = inp.weights.to_rows(), inp.bonds.to_rows()
    assert not a.diff(run_epoch(inp2))
    u16 = SparseRows(inp.weights.indptr, inp.weights.indices.astype(np.uint16), inp.weights.values.astype(np.uint16))
    inp2.weights = u16
    assert not a.diff(run_epoch(inp2))


@pytest.mark.parametrize("bad", [
    dict(weights=[[(1, 5), (1, 6)], [], []]),                  # duplicate uid in a row
    dict(weights=[[(70_000, 5)], [], []]),                      # uid not u16
    dict(bonds=[[(1, 70_000)], [], []]),                        # value not u16
    dict(alpha_stake=np.array([0.5, 1.0, 2.0])),                # floats
    dict(alpha_stake=np.array([2**63, 2**63, 1], np.uint64)),   # sum overflows I64F64
    dict(block_at_registration=np.zeros(2, np.uint64)),         # wrong length
    dict(kappa=70_000),                                         # not u16
    dict(alpha_sigmoid_steepness=40_000),                       # not i16
])
def test_invalid_inputs_rejected(bad):
    for fn in (run_epoch, run_epoch_reference):
        with pytest.raises((ValueError, OverflowError)):
            fn(_base(**bad))


def test_outputs_are_storage_integers():
    out = run_epoch(_base())
    for name in ("consensus", "validator_trust", "incentive", "dividends", "stake_weight", "rank", "trust",
                 "pruning_scores"):
        assert getattr(out, name).dtype == np.uint16
    for name in ("emission", "server_emission", "validator_emission", "stake"):
        assert getattr(out, name).dtype == np.uint64
    assert out.active.dtype == np.bool_ and out.validator_permit.dtype == np.bool_
    assert out.bonds.values.dtype == np.uint16 and out.bonds.n_rows == 3
    # 50/50 split of the subnet's emission between miners and validators
    assert abs(int(out.server_emission.sum()) - 5 * 10**8) <= 3
    assert abs(int(out.validator_emission.sum()) - 5 * 10**8) <= 3
