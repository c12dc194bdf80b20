"""Yuma consensus kernel (subtensor's production epoch), integer-exact.

Entry points (same signature, bit-identical outputs):

* :func:`run_epoch` — numba-jitted kernel (``kernel.py``), use this one.
* :func:`run_epoch_reference` — readable pure-Python reference (``reference.py``).
* :func:`run_epoch_vectorized` — vectorised numpy version (``vectorized.py``), the
  benchmark baseline.
"""
from .types import EpochInputs, EpochOutputs, SparseRows
from .reference import run_epoch as run_epoch_reference

try:  # the kernel module is optional while it is being built
    from .kernel import run_epoch
except ImportError:  # pragma: no cover
    run_epoch = run_epoch_reference

__all__ = ["EpochInputs", "EpochOutputs", "SparseRows", "run_epoch", "run_epoch_reference"]

from .vectorized import run_epoch as run_epoch_vectorized  # noqa: E402

__all__ += ["run_epoch_vectorized"]
