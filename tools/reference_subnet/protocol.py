"""The reference subnet's synapse: a challenge and its answer."""
from __future__ import annotations

import hashlib
from typing import Optional

import bittensor as bt


class Challenge(bt.Synapse):
    challenge: str = ""
    answer: Optional[str] = None

    def deserialize(self) -> Optional[str]:
        return self.answer


def solve(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def score(challenge: str, answer: Optional[str]) -> float:
    return 1.0 if answer == solve(challenge) else 0.0
