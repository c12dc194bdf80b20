"""pallet_aura: the authority set and the current slot (round-robin block authoring).

Index 3. The author of a block in slot `s` must be `Authorities[s % len(Authorities)]`; the
node checks the seal, this pallet checks that slots only move forward.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import InvalidBlock
from runtime.frame.pallet import Pallet
from runtime.pallets import system
from runtime.primitives.scale import U64, Field, FixedBytes, Struct, Vec

pallet = Pallet("Aura", "pallet_aura", docs=("Aura slot-based block authoring.",))

ENGINE_ID = b"aura"

AuthorityId = Struct("sp_consensus_aura::sr25519::app_sr25519::Public",
                     [Field(None, FixedBytes(32), "sr25519::Public")])
Slot = Struct("sp_consensus_slots::Slot", [Field(None, U64, "u64")])

SLOT_DURATION_MS = 6_000

Authorities = pallet.value("Authorities", Vec(AuthorityId), default=[], docs="The current authority set.")
CurrentSlot = pallet.value("CurrentSlot", Slot, default=0, docs="The current slot of this block.")
pallet.constant("SlotDuration", U64, SLOT_DURATION_MS, "The slot duration Aura should run with, expressed in milliseconds.")


def slot_from_digest(digest: dict) -> int | None:
    for item in digest["logs"]:
        if isinstance(item, tuple) and item[0] == "PreRuntime" and item[1][0] == ENGINE_ID:
            raw = item[1][1]
            if len(raw) != 8:
                raise InvalidBlock("Aura pre-digest must be a u64 slot")
            return int.from_bytes(raw, "little")
    return None


@pallet.hook_on_initialize
def on_initialize(ctx: BlockContext) -> None:
    slot = slot_from_digest(system.DigestItems.get(ctx.state))
    if slot is None:
        return
    if slot <= CurrentSlot.get(ctx.state) and ctx.block_number > 1:
        raise InvalidBlock("Slot must increase")
    CurrentSlot.put(ctx.state, slot)


@pallet.genesis_builder
def build_genesis(ctx: BlockContext, config: dict) -> None:
    Authorities.put(ctx.state, list(config.get("authorities", [])))
