"""Fan-out of chain events to async consumers (RPC subscriptions, the network).

Block import runs synchronously inside a trio task; it publishes with `send_nowait` into
each subscriber's bounded channel. A subscriber that falls `capacity` events behind is
cut off (its channel is closed) instead of slowing the chain or growing memory.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import trio


@dataclasses.dataclass(frozen=True)
class BlockEvent:
    kind: str                    # "imported" | "finalized"
    hash: bytes
    number: int
    header: dict
    is_new_best: bool = False
    changes: dict | None = None  # storage changes of the block (imported events)


class Hub:
    def __init__(self, capacity: int = 1024):
        self.capacity = capacity
        self._subscribers: set[trio.MemorySendChannel] = set()

    def subscribe(self) -> trio.MemoryReceiveChannel:
        send, receive = trio.open_memory_channel(self.capacity)
        self._subscribers.add(send)
        return receive

    def unsubscribe(self, receive: trio.MemoryReceiveChannel) -> None:
        receive.close()

    def publish(self, event: Any) -> None:
        for send in list(self._subscribers):
            try:
                send.send_nowait(event)
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                self._subscribers.discard(send)
                send.close()

    def __len__(self) -> int:
        return len(self._subscribers)
