"""Finality justifications: the votes that finalized a block, in GRANDPA's SCALE layout.

    GrandpaJustification { round: u64,
                           commit: { target_hash: H256, target_number: u32,
                                     precommits: Vec<{ target_hash, target_number: u32,
                                                       signature: [u8; 64], id: [u8; 32] }> },
                           votes_ancestries: Vec<Header> }

``votes_ancestries`` holds the headers between each vote's target and the finalized
block, so a justification can be checked without the voted-for descendants.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable, Sequence

from consensus.finality import Vote, threshold, vote_payload
from primitives.hashing import blake2_256
from primitives.scale import decode_compact, encode_compact
from primitives.types import Header

MAX_VOTES = 1024
MAX_ANCESTRIES = 4096

VerifySignature = Callable[[bytes, bytes, bytes], bool]   # (signature, message, public) -> ok


class InvalidJustification(ValueError):
    pass


@dataclass(frozen=True)
class Justification:
    round: int
    target_hash: bytes
    target_number: int
    votes: tuple[Vote, ...]
    ancestries: tuple[bytes, ...] = ()      # SCALE-encoded headers

    def encode(self) -> bytes:
        out = bytearray(struct.pack("<Q", self.round))
        out += self.target_hash + struct.pack("<I", self.target_number)
        out += encode_compact(len(self.votes))
        for v in self.votes:
            out += v.target_hash + struct.pack("<I", v.target_number) + v.signature + v.voter
        out += encode_compact(len(self.ancestries))
        for h in self.ancestries:
            out += h
        return bytes(out)

    @staticmethod
    def decode(data: bytes) -> "Justification":
        try:
            (round_number,) = struct.unpack_from("<Q", data, 0)
            target_hash = data[8:40]
            (target_number,) = struct.unpack_from("<I", data, 40)
            count, pos = decode_compact(data, 44)
            if count > MAX_VOTES:
                raise InvalidJustification("too many votes")
            votes = []
            for _ in range(count):
                chunk = data[pos:pos + 132]
                if len(chunk) != 132:
                    raise InvalidJustification("truncated vote")
                (number,) = struct.unpack_from("<I", chunk, 32)
                votes.append(Vote(round_number, chunk[:32], number, chunk[100:132], chunk[36:100]))
                pos += 132
            count, pos = decode_compact(data, pos)
            if count > MAX_ANCESTRIES:
                raise InvalidJustification("too many ancestry headers")
            ancestries = []
            for _ in range(count):
                _, end = Header.decode_prefix(data, pos)
                ancestries.append(bytes(data[pos:end]))
                pos = end
        except InvalidJustification:
            raise
        except Exception as exc:  # pure decoding of untrusted bytes: whatever it raises, they are bad
            raise InvalidJustification(f"undecodable justification: {exc}") from None
        if len(target_hash) != 32 or pos != len(data):
            raise InvalidJustification("malformed justification")
        return Justification(round_number, target_hash, target_number, tuple(votes), tuple(ancestries))


def build(round_number: int, target: tuple[bytes, int], votes: Sequence[Vote],
          header_of: Callable[[bytes], bytes | None]) -> Justification:
    """A justification for ``target`` from supporting ``votes``; ``header_of`` gives
    the encoded headers between each vote's target and ``target``."""
    ancestries: dict[bytes, bytes] = {}
    for v in votes:
        h = v.target_hash
        n = v.target_number
        while n > target[1] and h not in ancestries:
            raw = header_of(h)
            if raw is None:
                break
            ancestries[h] = raw
            h = Header.decode(raw)["parent_hash"]
            n -= 1
    return Justification(round_number, target[0], target[1], tuple(votes), tuple(ancestries.values()))


def verify(j: Justification, target: tuple[bytes, int], authorities: Sequence[bytes], set_id: int,
           verify_signature: VerifySignature) -> None:
    """Raise :class:`InvalidJustification` unless more than 2/3 of ``authorities`` signed
    votes in one round for ``target`` or its descendants."""
    if (j.target_hash, j.target_number) != tuple(target):
        raise InvalidJustification("justification is for another block")
    parents: dict[bytes, tuple[bytes, int]] = {}
    for raw in j.ancestries:
        header = Header.decode(raw)
        parents[blake2_256(raw)] = (header["parent_hash"], header["number"])
    allowed = set(authorities)
    descending: set[bytes] = set()
    seen: dict[bytes, set[tuple[bytes, int]]] = {}
    for v in j.votes:
        if v.voter not in allowed:
            raise InvalidJustification("a vote is not from an authority")
        if v.round != j.round:
            raise InvalidJustification("a vote is from another round")
        if not verify_signature(v.signature, vote_payload(j.round, set_id, v.target_hash, v.target_number),
                                v.voter):
            raise InvalidJustification("bad vote signature")
        seen.setdefault(v.voter, set()).add((v.target_hash, v.target_number))
        h, n = v.target_hash, v.target_number
        while n > j.target_number:
            m = parents.get(h)
            if m is None or m[1] != n:
                break
            h, n = m[0], n - 1
        if n == j.target_number and h == j.target_hash:
            descending.add(v.voter)
    # an equivocator (two different signed votes) counts for every block, as in the tally
    equivocators = {who for who, targets in seen.items() if len(targets) > 1}
    for who in seen:
        if who not in descending and who not in equivocators:
            raise InvalidJustification("a vote does not descend the target")
    counted = descending | equivocators
    if len(counted) < threshold(len(authorities)):
        raise InvalidJustification(f"{len(counted)} of {len(authorities)} votes, need {threshold(len(authorities))}")


__all__ = ["Justification", "InvalidJustification", "build", "verify"]
