"""Issue 12, item 5: a node whose database fails under it is not a zombie. Authoring that
fails with a LevelDB error makes system_health answer an error and /health 500, until a
block is authored again."""
from __future__ import annotations

import plyvel
import trio

from genesis.spec import load_spec
from node.rpc.api import build_module
from node.rpc.jsonrpc import Dispatcher
from node.rpc.jsonrpc_wire import RpcError
from node.rpc.server import RpcServer
from node.service import Node, NodeConfig
from primitives.keys import Keypair


async def test_database_fault_in_a_slot_is_reported_by_health(tmp_path):
    config = NodeConfig(spec=load_spec("dev"), base_path=tmp_path, validator=True,
                        authority_key=Keypair.from_uri("//Alice"), slot_ms=100, prometheus_port=None)
    node = Node(config)
    try:
        dispatcher = Dispatcher(build_module(node), allow_unsafe=True)
        assert (await dispatcher.call_method("system_health"))["peers"] == 0
        kv = node.store.kv
        healthy_write = kv.write

        def corrupt_write(ops):
            raise plyvel.CorruptionError(b"Corruption: block checksum mismatch")

        kv.write = corrupt_write
        async with trio.open_nursery() as nursery:
            nursery.start_soon(node._authoring_loop)
            with trio.fail_after(30):
                while node.fault is None:
                    await trio.sleep(0.05)
            try:
                await dispatcher.call_method("system_health")
                raise AssertionError("system_health answered for a node that cannot author")
            except RpcError as exc:
                assert "cannot author" in exc.message and "checksum mismatch" in exc.data
            assert kv.damaged  # the next start verifies every table
            assert await _health_status(node) == 500
            kv.write = healthy_write  # the fault goes away: so does the report
            with trio.fail_after(30):
                while node.fault is not None:
                    await trio.sleep(0.05)
            nursery.cancel_scope.cancel()
        assert (await dispatcher.call_method("system_health"))["peers"] == 0
    finally:
        node.close()


async def _health_status(node: Node) -> int:
    server = RpcServer(build_module(node), "127.0.0.1", 0)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve)
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        async with stream:
            await stream.send_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            with trio.fail_after(10):
                while chunk := await stream.receive_some(65536):
                    data += chunk
        nursery.cancel_scope.cancel()
    assert b"cannot author" in data
    return int(data.split(b" ", 2)[1])
