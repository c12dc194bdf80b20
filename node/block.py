"""The block format: header + body (SCALE), its hash, the Aura seal's pre-hash, and the errors of
importing one (what the import queue tells a peer's fault from ours by)."""
from __future__ import annotations

import dataclasses
from typing import Protocol

from consensus.aura import Equivocation
from node.metrics import ImportTimings
from runtime.block_execution import Extrinsic, TransactionValidityError
from primitives.hashing import blake2_256
from primitives.scale import ScaleError, decode_compact, encode_compact
from primitives.types import Header


class Signer(Protocol):
    def sign(self, message: bytes) -> bytes: ...


@dataclasses.dataclass
class Block:
    header: dict
    extrinsics: list[bytes]
    hash: bytes
    header_bytes: bytes

    @property
    def number(self) -> int:
        return self.header["number"]

    @property
    def parent_hash(self) -> bytes:
        return self.header["parent_hash"]

    def body_bytes(self) -> bytes:
        return encode_body(self.extrinsics)

    @staticmethod
    def from_parts(header_bytes: bytes, body: bytes) -> "Block":
        header = Header.decode(header_bytes)
        return Block(header, decode_body(body), blake2_256(header_bytes), header_bytes)


def encode_body(extrinsics: list[bytes]) -> bytes:
    return encode_compact(len(extrinsics)) + b"".join(extrinsics)


def decode_body(body: bytes) -> list[bytes]:
    count, pos = decode_compact(body, 0)
    out = []
    for _ in range(count):
        length, start = decode_compact(body, pos)
        end = start + length
        if end > len(body):
            raise ScaleError("block body: truncated extrinsic")
        out.append(body[pos:end])
        pos = end
    if pos != len(body):
        raise ScaleError("block body: trailing bytes")
    return out


def seal_pre_hash(header: dict) -> bytes:
    """Hash of the header without its seal: what the author signs."""
    return blake2_256(Header.encode(header))


class DatabaseMismatch(RuntimeError):
    pass


class UnknownParent(Exception):
    """The block's parent is not known yet: fetch the ancestry first (not a fault of the sender)."""


class StaleBlock(Exception):
    """The block does not descend from the finalized block: it can never be part of the chain."""


class Equivocated(Exception):
    """The block's author already sealed another block for the same slot (the second is rejected)."""

    def __init__(self, equivocation: Equivocation):
        super().__init__(f"equivocation: slot {equivocation.slot} by 0x{equivocation.author.hex()[:16]}…: "
                         f"0x{equivocation.first.hex()[:16]}… and 0x{equivocation.second.hex()[:16]}…")
        self.equivocation = equivocation


@dataclasses.dataclass
class BuiltBlock:
    block: Block
    included: list[Extrinsic]
    invalid: list[tuple[Extrinsic, TransactionValidityError]]
    changes: dict[bytes, bytes | None]
    timings: ImportTimings
