"""Inputs and outputs of one Yuma epoch (one subnet mechanism), as plain arrays.

The field names follow the subtensor storage items the pallet reads before
``epoch_mechanism`` and writes after it (``pallets/subtensor/src/epoch/run_epoch.rs``).
Nothing here touches storage: the caller gathers the vectors, calls
``consensus.yuma.run_epoch(inputs)`` and persists the outputs.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Optional, Sequence, Union

import numpy as np

U64_MAX = (1 << 64) - 1


@dataclass
class SparseRows:
    """Row-sparse u16 matrix exactly as subtensor stores ``Weights`` / ``Bonds``.

    CSR layout: row ``i`` holds ``indices[indptr[i]:indptr[i+1]]`` (destination uids)
    with ``values[...]`` (u16).  Row order *is preserved*: subtensor keeps the order
    in which ``set_weights`` received the uids, and the liquid-alpha merge depends
    on it.  A column may appear at most once per row (``set_weights`` rejects
    duplicates; the epoch never writes any).
    """

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        self.indptr = np.ascontiguousarray(self.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(self.indices)
        self.values = np.ascontiguousarray(self.values)
        for a in (self.indices, self.values):
            if a.dtype.kind not in "iu":
                raise ValueError("SparseRows indices / values must be integers")

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[tuple[int, int]]], dtype=np.int64) -> "SparseRows":
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        idx: list[int] = []
        val: list[int] = []
        for i, row in enumerate(rows):
            for j, v in row:
                idx.append(int(j))
                val.append(int(v))
            indptr[i + 1] = len(idx)
        return cls(indptr, np.array(idx, dtype=dtype), np.array(val, dtype=dtype))

    @classmethod
    def from_dense(cls, mat: np.ndarray) -> "SparseRows":
        """Dense ``(rows, n)`` u16 matrix; entries that are 0 are treated as absent."""
        from ._nbutil import dense_to_csr

        mat = np.asarray(mat)
        if mat.ndim != 2:
            raise ValueError("dense matrix must be 2-D")
        if mat.dtype.kind not in "iu":
            raise ValueError("dense matrix must hold integers (u16)")
        return cls(*dense_to_csr(np.ascontiguousarray(mat)))

    @classmethod
    def empty(cls, n_rows: int) -> "SparseRows":
        return cls(np.zeros(n_rows + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))

    def row(self, i: int) -> list[tuple[int, int]]:
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        return [(int(j), int(v)) for j, v in zip(self.indices[a:b], self.values[a:b])]

    def to_rows(self) -> list[list[tuple[int, int]]]:
        return [self.row(i) for i in range(self.n_rows)]

    def to_dense(self, n_cols: Optional[int] = None) -> np.ndarray:
        n_cols = self.n_rows if n_cols is None else n_cols
        out = np.zeros((self.n_rows, n_cols), dtype=np.uint16)
        rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))
        keep = self.indices < n_cols
        out[rows[keep], self.indices[keep]] = self.values[keep]
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SparseRows):
            return NotImplemented
        return (np.array_equal(self.indptr, other.indptr) and np.array_equal(self.indices, other.indices)
                and np.array_equal(self.values, other.values))


MatrixLike = Union[SparseRows, np.ndarray, Sequence[Sequence[tuple[int, int]]]]


def as_sparse_rows(m: MatrixLike, name: str) -> SparseRows:
    """Accept ``SparseRows``, a dense 2-D array (zeros absent) or a list of ``[(uid, u16)]`` rows."""
    if isinstance(m, SparseRows):
        sr = m
        if sr.indices.dtype != np.int64 or sr.values.dtype != np.int64:
            if sr.nnz and (int(sr.indices.min()) < 0 or int(sr.values.min()) < 0):
                raise ValueError(f"{name}: uids and values must be u16")
            sr = SparseRows(sr.indptr, sr.indices.astype(np.int64), sr.values.astype(np.int64))
    elif isinstance(m, np.ndarray):
        sr = SparseRows.from_dense(m)
    else:
        sr = SparseRows.from_rows(m)
    from ._nbutil import check_csr

    malformed, dup_row, bad_uid, bad_val = check_csr(sr.indptr, sr.indices, sr.values)
    if malformed:
        raise ValueError(f"{name}: malformed CSR")
    if bad_uid:
        raise ValueError(f"{name}: uids must be u16")
    if bad_val:
        raise ValueError(f"{name}: values must be u16")
    if dup_row >= 0:  # subtensor never stores one (set_weights rejects duplicate uids)
        raise ValueError(f"{name}: row {dup_row} lists the same uid twice")
    return sr


@dataclass
class EpochInputs:
    """Everything ``epoch_mechanism`` reads for one subnet mechanism.

    Per-uid vectors have length ``n = SubnetworkN`` (``len(alpha_stake)``), except
    ``last_update`` and ``validator_permit`` which are passed through as stored (the
    epoch has defined behaviour for a stored vector of the wrong length, reproduced
    here).  Integers are the raw storage values (u16 / u64 / i16), never floats.
    """

    # --- stake (staking/stake_utils.rs get_stake_weights_for_network) ---
    alpha_stake: np.ndarray            # u64[n]: inherited alpha stake per uid (0 if no key)
    weights: MatrixLike                # Weights[(netuid_index, i)]: rows of (uid, u16), as stored
    bonds: MatrixLike                  # Bonds[(netuid_index, i)]: rows of (uid, u16), as stored
    validator_permit: np.ndarray       # bool: ValidatorPermit (from the previous epoch)
    last_update: np.ndarray            # u64: LastUpdate[netuid_index]
    block_at_registration: np.ndarray  # u64[n]: BlockAtRegistration (0 if no key)
    current_block: int
    rao_emission: int                  # u64: emission handed to this mechanism's epoch
    tempo: int = 360                   # Tempo
    tao_stake: Optional[np.ndarray] = None  # u64[n]: inherited root TAO stake (None == zeros)
    tao_weight: int = 0                # TaoWeight (raw u64; weight = TaoWeight / u64::MAX)
    stake_threshold: int = 0           # StakeThreshold
    owner_uid: Optional[int] = None    # uid of SubnetOwnerHotkey, if registered
    activity_cutoff_factor_milli: int = 13_889   # ActivityCutoffFactorMilli
    activity_cutoff: Optional[int] = None        # blocks; overrides max(1, factor * tempo / 1000)
    last_mechanism_step_block: int = 0           # LastMechansimStepBlock
    kappa: int = 32_767                # Kappa (u16)
    bonds_penalty: int = 65_535        # BondsPenalty (u16)
    bonds_moving_average: int = 900_000  # BondsMovingAverage (u64)
    max_allowed_validators: int = 64   # MaxAllowedValidators (u16)
    yuma3_enabled: bool = True         # Yuma3On
    liquid_alpha_enabled: bool = False  # LiquidAlphaOn
    alpha_low: int = 45_875            # AlphaValues.0 (u16)
    alpha_high: int = 58_982           # AlphaValues.1 (u16)
    alpha_sigmoid_steepness: int = 1000  # AlphaSigmoidSteepness (i16)
    commit_reveal_enabled: bool = False  # CommitRevealWeightsEnabled
    commit_block: Optional[np.ndarray] = None  # u64[n]: earliest non-expired commit block (u64::MAX none)

    @property
    def n(self) -> int:
        return len(self.alpha_stake)


@dataclass
class EpochOutputs:
    """Everything the epoch produces, as subtensor stores it (integers only).

    All vectors have length ``n``.  ``bonds`` holds the row to write to
    ``Bonds[(netuid_index, i)]`` for every uid (``persist_mechanism_epoch_terms``
    writes every row; rows of uids without a new validator permit are empty).
    ``rank``, ``trust`` and ``pruning_scores`` are the legacy storage items that
    current subtensor no longer writes; they are computed with the definitions of
    the last subtensor that had them (``4ff2e5b75``) on this epoch's quantities.
    """

    active: np.ndarray              # bool   Active
    stake: np.ndarray               # u64    EpochTerms.stake (floor of total stake)
    stake_weight: np.ndarray        # u16    StakeWeight
    validator_permit: np.ndarray    # bool   ValidatorPermit (new)
    consensus: np.ndarray           # u16    Consensus
    validator_trust: np.ndarray     # u16    ValidatorTrust
    incentive: np.ndarray           # u16    Incentive
    dividends: np.ndarray           # u16    Dividends
    emission: np.ndarray            # u64    Emission (rao; normalised incentive+dividends)
    server_emission: np.ndarray     # u64    miner share (rao)
    validator_emission: np.ndarray  # u64    validator share (rao)
    bonds: SparseRows               # rows for Bonds (uint16 uids and values)
    rank: np.ndarray                # u16    legacy Rank (= incentive)
    trust: np.ndarray               # u16    legacy Trust (clipped rank / prerank)
    pruning_scores: np.ndarray      # u16    legacy PruningScores (max-upscaled emission)

    def diff(self, other: "EpochOutputs") -> list[str]:
        """Names of the fields that are not bit-identical."""
        bad = []
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, SparseRows):
                if not a == b:
                    bad.append(f.name)
            elif a.dtype != b.dtype or not np.array_equal(a, b):
                bad.append(f.name)
        return bad

    def bonds_dense(self) -> np.ndarray:
        return self.bonds.to_dense(len(self.active))


OUTPUT_DTYPES = dict(
    active=np.bool_, stake=np.uint64, stake_weight=np.uint16, validator_permit=np.bool_,
    consensus=np.uint16, validator_trust=np.uint16, incentive=np.uint16, dividends=np.uint16,
    emission=np.uint64, server_emission=np.uint64, validator_emission=np.uint64,
    rank=np.uint16, trust=np.uint16, pruning_scores=np.uint16,
)


@dataclass
class PreparedInputs:
    """Validated, canonical view of ``EpochInputs`` shared by the three implementations."""

    n: int
    weights: SparseRows
    bonds: SparseRows
    stake: np.ndarray                 # int64[n] I32F32 bits (normalised, filtered)
    raw_stake: np.ndarray             # uint64[n]
    validator_permit: np.ndarray      # bool[m_p] as stored
    last_update: np.ndarray           # int64[m_lu] as stored
    block_at_registration: np.ndarray  # int64[n]
    commit_block: np.ndarray          # int64[n] (INT64_MAX == none)
    params: dict = field(default_factory=dict)
