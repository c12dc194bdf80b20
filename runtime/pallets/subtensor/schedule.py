"""When a subnet's epoch is due (`coinbase/run_coinbase.rs should_run_epoch`).

Its own module because both the epoch (which runs due epochs) and commit-reveal (which looks one
epoch ahead) ask it, and the epoch reads commit-reveal's commits: neither imports the other for it.
"""
from __future__ import annotations

from runtime.frame.state import StateReader
from runtime.pallets.subtensor import storage as S

MAX_TEMPO = 50_400


def should_run_epoch(state: StateReader, netuid: int, current_block: int) -> bool:
    tempo = S.Tempo.get(state, netuid)
    if tempo == 0:
        return False
    pending = S.PendingEpochAt.get(state, netuid)
    if 0 < pending <= current_block:
        return True
    if S.BlocksSinceLastStep.get(state, netuid) > MAX_TEMPO:
        return True
    return current_block - S.LastEpochBlock.get(state, netuid) >= tempo
