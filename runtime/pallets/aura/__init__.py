"""pallet_aura: the authority set and the current slot (round-robin block authoring).

Index 3. The author of a block in slot `s` must be `Authorities[s % len(Authorities)]`; the
node checks the seal, this pallet checks that slots only move forward.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import InvalidBlock
from runtime.frame.pallet import Pallet
from runtime.pallets import system
from primitives.scale import U64, Field, FixedBytes, Struct, Vec

pallet = Pallet("Aura", "pallet_aura", docs=("Aura slot-based block authoring.",))

ENGINE_ID = b"aura"

AuthorityId = Struct("sp_consensus_aura::sr25519::app_sr25519::Public",
                     [Field(None, FixedBytes(32), "sr25519::Public")])
Slot = Struct("sp_consensus_slots::Slot", [Field(None, U64, "u64")])

# A Wasm runtime compiles its slot duration in; this one runtime serves chains of any slot, so each
# chain's genesis stores it under a well-known key beside where `:code` would be. The `SlotDuration`
# constant in a block's metadata is read from there.
SLOT_DURATION_KEY = b":agora:slot_duration_ms"
DEFAULT_SLOT_DURATION_MS = 2_000
MIN_SLOT_DURATION_MS, MAX_SLOT_DURATION_MS = 100, 60_000

Authorities = pallet.value("Authorities", Vec(AuthorityId), default=[], docs="The current authority set.")
CurrentSlot = pallet.value("CurrentSlot", Slot, default=0, docs="The current slot of this block.")
SLOT_DURATION_CONSTANT = pallet.constant(
    "SlotDuration", U64, DEFAULT_SLOT_DURATION_MS, "The slot duration Aura should run with, expressed in milliseconds.")


def slot_duration(state) -> int:
    """This chain's slot duration in milliseconds (AuraApi_slot_duration)."""
    raw = state.get(SLOT_DURATION_KEY)
    return DEFAULT_SLOT_DURATION_MS if raw is None else U64.decode(raw)


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
    slot_ms = int(config.get("slotDurationMs", DEFAULT_SLOT_DURATION_MS))
    if not MIN_SLOT_DURATION_MS <= slot_ms <= MAX_SLOT_DURATION_MS:
        raise ValueError(f"slot duration {slot_ms} ms is outside {MIN_SLOT_DURATION_MS}..{MAX_SLOT_DURATION_MS}")
    ctx.state.set(SLOT_DURATION_KEY, U64.encode(slot_ms))
