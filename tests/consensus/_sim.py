"""A tiny stand-in for the subtensor storage around one subnet's epoch.

It replays what subtensor's epoch tests (pallets/subtensor/src/tests/epoch.rs) do to
storage between epochs — registrations, ``set_weights`` (with its max-upscaling),
``clear_neuron`` on replacement, persisting ``Bonds`` / ``ValidatorPermit`` after
each epoch — so that those tests can be hand-translated with the same numbers.
Only the state the epoch reads is modelled.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from consensus.yuma import EpochInputs, EpochOutputs, SparseRows
from consensus.yuma.fixed import vec_u16_max_upscale_to_u16


class SubnetSim:
    def __init__(self, *, block: int = 1, tempo: int = 360, yuma3: bool = False, **hyper):
        self.block = block
        self.stake: list[int] = []
        self.last_update: list[int] = []
        self.reg: list[int] = []
        self.permit: list[bool] = []
        self.weights: dict[int, list[tuple[int, int]]] = {}
        self.bonds: dict[int, list[tuple[int, int]]] = {}
        self.hyper = dict(tempo=tempo, yuma3_enabled=yuma3)
        self.hyper.update(hyper)
        self.last: Optional[EpochOutputs] = None

    # ------------------------------------------------------------ neurons
    @property
    def n(self) -> int:
        return len(self.stake)

    def append_neuron(self, stake: int = 0, block: Optional[int] = None) -> int:
        """``append_neuron`` (+ stake for the new hotkey); registration block == LastUpdate."""
        b = self.block if block is None else block
        self.stake.append(stake)
        self.last_update.append(b)
        self.reg.append(b)
        self.permit.append(False)
        return self.n - 1

    def replace_neuron(self, uid: int, stake: int = 0) -> None:
        """``replace_neuron`` + ``clear_neuron`` at the current block."""
        self.stake[uid] = stake
        self.reg[uid] = self.block
        self.last_update[uid] = self.block
        self.permit[uid] = False
        self.bonds.pop(uid, None)
        self.weights.pop(uid, None)
        for i, row in self.weights.items():
            self.weights[i] = [(j, 0 if j == uid else w) for j, w in row]

    # ------------------------------------------------------------ extrinsics
    def set_weights(self, uid: int, dests, values) -> None:
        """``set_weights``: stores ``zip(dests, vec_u16_max_upscale_to_u16(values))``."""
        up = vec_u16_max_upscale_to_u16(list(values))
        self.weights[uid] = list(zip(list(dests), up))
        self.last_update[uid] = self.block

    def reset_bonds_to(self, uid: int) -> None:
        """``do_reset_bonds`` (BondsResetOn): drop every bond pointing at ``uid``."""
        for i, row in self.bonds.items():
            self.bonds[i] = [(j, b) for j, b in row if j != uid]

    def next_block(self, k: int = 1) -> None:
        self.block += k

    def run_to_block(self, b: int) -> None:
        self.block = max(self.block, b)

    # ------------------------------------------------------------ epoch
    def inputs(self, rao_emission: int = 1_000_000_000) -> EpochInputs:
        n = self.n
        return EpochInputs(
            alpha_stake=np.array(self.stake, dtype=np.uint64),
            weights=SparseRows.from_rows([self.weights.get(i, []) for i in range(n)]),
            bonds=SparseRows.from_rows([self.bonds.get(i, []) for i in range(n)]),
            validator_permit=np.array(self.permit, dtype=bool),
            last_update=np.array(self.last_update, dtype=np.uint64),
            block_at_registration=np.array(self.reg, dtype=np.uint64),
            current_block=self.block,
            rao_emission=rao_emission,
            **self.hyper,
        )

    def epoch(self, run: Callable[[EpochInputs], EpochOutputs], rao_emission: int = 1_000_000_000) -> EpochOutputs:
        out = run(self.inputs(rao_emission))
        # persist_mechanism_epoch_terms / persist_netuid_epoch_terms
        self.bonds = {i: out.bonds.row(i) for i in range(self.n)}
        self.permit = [bool(p) for p in out.validator_permit]
        self.last = out
        return out

    def bonds_dense(self) -> np.ndarray:
        m = np.zeros((self.n, self.n), dtype=np.int64)
        for i, row in self.bonds.items():
            for j, b in row:
                if j < self.n:
                    m[i, j] = b
        return m
