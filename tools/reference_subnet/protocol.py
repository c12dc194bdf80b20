"""The reference subnet's synapse: a challenge and its answer."""
from __future__ import annotations

import hashlib
from typing import Optional

import bittensor as bt


# Where miners listen and what they announce with serve_axon: a loopback address, but not 127.0.0.1,
# which subtensor's `is_valid_ip_address` refuses (Linux routes all of 127.0.0.0/8 to the loopback).
MINER_HOST = "127.0.0.2"


class Challenge(bt.Synapse):
    challenge: str = ""
    answer: Optional[str] = None

    def deserialize(self) -> Optional[str]:
        return self.answer


def solve(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def score(challenge: str, answer: Optional[str]) -> float:
    return 1.0 if answer == solve(challenge) else 0.0
