"""A test externality: run calls and blocks against an in-memory state (no node, no RPC).

    ext = TestExternalities.dev()            # dev genesis (Alice..Ferdie endowed)
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", BOB), value=10**9)
    ext.next_block()                         # finalize + initialize the next block (hooks run)
    assert ext.last_events()...
    with ext.assert_noop(Error.X): ext.call(...)   # the call fails with X and changes nothing
"""
from __future__ import annotations

import contextlib

from genesis.spec import dev_spec, genesis_storage
from runtime.construct import get_runtime
from runtime.executive import finalize_block, initialize_block
from runtime.frame.dispatch import DispatchError, ModuleError, Origin
from runtime.frame.state import DictState
from primitives.keys import Keypair

ALICE = Keypair.from_uri("//Alice").public_key
BOB = Keypair.from_uri("//Bob").public_key
CHARLIE = Keypair.from_uri("//Charlie").public_key
DAVE = Keypair.from_uri("//Dave").public_key
EVE = Keypair.from_uri("//Eve").public_key
FERDIE = Keypair.from_uri("//Ferdie").public_key
GENESIS_HASH = b"\x42" * 32


class TestExternalities:
    def __init__(self, storage: dict[bytes, bytes]):
        self.runtime = get_runtime()
        self.base = DictState(storage)
        self.number = 0
        self.builder = None
        self.next_block()

    @classmethod
    def dev(cls, spec: dict | None = None) -> "TestExternalities":
        return cls(genesis_storage(spec or dev_spec()))

    @property
    def ctx(self):
        return self.builder.ctx

    @property
    def state(self):
        return self.builder.ctx.state

    def next_block(self) -> None:
        """Finalize the current block (if any) into the base state and start the next one."""
        if self.builder is not None:
            ctx = finalize_block(self.builder)
            for key, value in ctx.state.changes.items():
                if value is None:
                    self.base.items.pop(key, None)
                else:
                    self.base.items[key] = value
        self.number += 1
        parent = (self.number - 1).to_bytes(32, "little")
        self.builder = initialize_block(self.runtime, self.base, self.number, parent, {"logs": []}, GENESIS_HASH)
        # the author's timestamp inherent: Timestamp's on_finalize requires it once per block
        self.runtime.dispatch(self.builder.ctx, ("Timestamp", ("set", {"now": self.number * 2_000})), Origin.none())

    def run_to_block(self, number: int) -> None:
        while self.number < number:
            self.next_block()

    def call(self, who: bytes | None, pallet: str, name: str, /, **args):
        """Dispatch like the executive does (transactional); raises DispatchError on failure."""
        origin = Origin.root() if who is None else Origin.signed(who)
        ctx = self.ctx
        mark = ctx.start_transaction()
        try:
            self.runtime.dispatch(ctx, (pallet, (name, args)), origin)
        except DispatchError:
            ctx.rollback_transaction(mark)
            raise
        ctx.commit_transaction()

    def events(self) -> list:
        return [event for _phase, (_pallet, event), _topics in self.ctx.events]

    def snapshot(self) -> dict:
        merged = dict(self.base.items)
        for key, value in self.state.changes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    @contextlib.contextmanager
    def assert_noop(self, error):
        """The body must raise `error` (a PalletError member or DispatchError subclass) and change nothing."""
        before = self.snapshot()
        events_before = len(self.ctx.events)
        try:
            yield
        except DispatchError as err:
            if isinstance(error, type) and issubclass(error, DispatchError):
                assert isinstance(err, error), f"expected {error.__name__}, got {err!r}"
            else:
                assert isinstance(err, ModuleError) and err.name == error.name and \
                    err.pallet == type(error)._pallet_name, f"expected {error!r}, got {err}"
        else:
            raise AssertionError(f"expected {error!r}, but the call succeeded")
        assert self.snapshot() == before, "a failed call changed state"
        assert len(self.ctx.events) == events_before, "a failed call left events"
