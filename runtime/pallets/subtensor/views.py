"""Read-only views of subtensor state for other pallets (the market reads a compute subnet's
consensus through these). Other pallets import this module; it imports nothing of theirs,
so subtensor never depends on its readers."""
from __future__ import annotations

from runtime.frame.state import StateReader
from runtime.pallets.subtensor import storage as S


def subnet_exists(state: StateReader, netuid: int) -> bool:
    return bool(S.NetworksAdded.get(state, netuid))


def epoch_ran_at(state: StateReader, netuid: int) -> int:
    """The block of the subnet's last epoch that ran to completion (0: none yet)."""
    return S.LastMechansimStepBlock.get(state, netuid)


def consensus_of(state: StateReader, netuid: int, hotkeys) -> dict[bytes, int]:
    """Yuma consensus (u16 proportion) of each hotkey on the subnet; 0 for one not registered there."""
    values = S.Consensus.get(state, netuid)
    out = {}
    for hotkey in hotkeys:
        uid = S.Uids.get(state, netuid, hotkey)
        out[hotkey] = values[uid] if uid is not None and uid < len(values) else 0
    return out
