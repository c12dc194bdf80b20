"""What a dispatch, hook or genesis builder sees of the block it runs in."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.frame.state import Overlay

if TYPE_CHECKING:
    from runtime.construct import Runtime


class BlockContext:
    """State overlay plus block-scoped data (number, events, phase)."""

    def __init__(self, runtime: "Runtime", state: Overlay, block_number: int, parent_hash: bytes = b"\0" * 32):
        self.runtime = runtime
        self.state = state
        self.block_number = block_number
        self.parent_hash = parent_hash
        self.phase: Any = "Initialization"
        self.events: list[tuple[Any, Any, list]] = []
        self.extrinsic_index: int | None = None

    def deposit_event(self, event: Any) -> None:
        """Record a pallet event dataclass instance (declared with `Pallet.event`)."""
        self.events.append((self.phase, (event.pallet.name, event), []))

    # Transactional dispatch: storage writes and events roll back together.
    def start_transaction(self) -> int:
        self.state.start_transaction()
        return len(self.events)

    def commit_transaction(self) -> None:
        self.state.commit_transaction()

    def rollback_transaction(self, events_mark: int) -> None:
        self.state.rollback_transaction()
        del self.events[events_mark:]
