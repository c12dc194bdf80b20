"""Issue 12: block execution runs off the event loop. While a block is authored or imported
(here: one held inside its execution by a test hook, as a 4096-UID epoch would hold it), the
node still answers RPC; an environment fault on the import path is the node's fault (health
reports it) and blames no peer."""
from __future__ import annotations

import threading
import time

import pytest
import trio

from consensus import aura as aura_slots
from genesis.spec import load_spec
from node.network.import_queue import BlockImporter, Outcome
from node.rpc.api import build_module
from node.rpc.jsonrpc import Dispatcher, RpcError
from node.service import Node, NodeConfig
from primitives.keys import Keypair
from runtime.block_execution import get_runtime

ALICE = Keypair.from_uri("//Alice")


class _Gate:
    """A Timestamp.on_finalize that holds block execution until released (on the worker thread)."""

    def __init__(self, monkeypatch, fault: BaseException | None = None):
        self.entered = threading.Event()
        self.release = threading.Event()
        pallet = get_runtime().by_name["Timestamp"]
        original = pallet.on_finalize

        def held(ctx):
            self.entered.set()
            self.release.wait(60)
            if fault is not None:
                raise fault
            return original(ctx)

        monkeypatch.setattr(pallet, "on_finalize", held)

    async def wait_entered(self):
        with trio.fail_after(30):
            while not self.entered.is_set():
                await trio.sleep(0.01)


def _node(tmp_path, name, **kw) -> Node:
    return Node(NodeConfig(spec=load_spec("dev"), base_path=tmp_path / name, prometheus_port=None, **kw))


def _block_for_now(node: Node):
    """A block Alice authors on `node`'s genesis at the current slot (so no importer calls it future)."""
    slot_ms = node.config.slot_ms
    slot = aura_slots.slot_at(time.time_ns() // 1_000_000, slot_ms)
    return node.chain.build_block(node.chain.best_hash, now_ms=aura_slots.slot_start_ms(slot, slot_ms), slot=slot,
                                  transactions=[], author=ALICE).block


async def test_rpc_answers_while_a_block_is_authored(tmp_path, monkeypatch):
    node = _node(tmp_path, "a", validator=True, authority_key=ALICE, slot_ms=100)
    gate = _Gate(monkeypatch)
    try:
        dispatcher = Dispatcher(build_module(node), allow_unsafe=True)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(node._authoring_loop)
            await gate.wait_entered()                       # block #1 is executing, held
            health = await dispatcher.call_method("system_health")
            assert health["peers"] == 0
            assert not gate.release.is_set() and node.chain.best_number == 0   # answered before the block finished
            gate.release.set()
            with trio.fail_after(30):
                while node.chain.best_number < 1:
                    await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
    finally:
        gate.release.set()
        node.close()


async def test_rpc_answers_while_a_block_is_imported(tmp_path, monkeypatch):
    author, importer_node = _node(tmp_path, "a"), _node(tmp_path, "b")
    try:
        block = _block_for_now(author)
        gate = _Gate(monkeypatch)
        reports = []
        importer = BlockImporter(importer_node.chain, lambda *a: reports.append(a), slot_ms=importer_node.config.slot_ms)
        dispatcher = Dispatcher(build_module(importer_node), allow_unsafe=True)
        outcome = []
        async with trio.open_nursery() as nursery:
            async def run_import():
                outcome.append(await importer.import_block_async(block, "peer1"))

            nursery.start_soon(run_import)
            await gate.wait_entered()
            health = await dispatcher.call_method("system_health")
            assert health["peers"] == 0 and not outcome and importer_node.chain.best_number == 0
            gate.release.set()
        assert outcome == [Outcome.IMPORTED] and importer_node.chain.best_hash == block.hash and reports == []
    finally:
        author.close()
        importer_node.close()


@pytest.mark.parametrize("fault", [MemoryError(), OSError(28, "No space left on device")])
async def test_a_local_fault_on_import_is_reported_by_health_and_blames_no_peer(tmp_path, monkeypatch, fault):
    author, node = _node(tmp_path, "a"), _node(tmp_path, "b")
    try:
        block = _block_for_now(author)
        gate = _Gate(monkeypatch, fault)
        gate.release.set()
        reports = []
        importer = BlockImporter(node.chain, lambda *a: reports.append(a), slot_ms=node.config.slot_ms)
        importer.on_fault, importer.on_recovered = node.report_fault, node.clear_fault
        assert await importer.import_block_async(block, "peer1") is Outcome.ABORTED
        assert reports == [] and node.chain.best_number == 0
        assert node.fault is not None and type(fault).__name__ in node.fault
        dispatcher = Dispatcher(build_module(node), allow_unsafe=True)
        with pytest.raises(RpcError):
            await dispatcher.call_method("system_health")
        monkeypatch.undo()                                  # the fault goes away: the block imports, health is back
        assert await importer.import_block_async(block, "peer1") is Outcome.IMPORTED
        assert node.fault is None and (await dispatcher.call_method("system_health"))["peers"] == 0
    finally:
        author.close()
        node.close()
