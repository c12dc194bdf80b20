"""Keys from files (--keystore-path, --node-key-file) and the /health/readiness endpoint."""
from __future__ import annotations

import json
from functools import partial

import pytest
import requests
import trio

from node import keystore
from node.cli import _node_config, build_parser
from node.rpc import RpcModule, RpcServer
from p2p import keypair_from_hex, peer_id_of
from primitives.keys import Keypair

NODE_KEY = "6cc3be55f711069e1932e7dc3ded4db674cd323c0113649e3376678e45c8bcc0"


def _config(*argv: str):
    return _node_config(build_parser().parse_args(["node", "--chain", "local", *argv]))


def test_validator_key_from_a_substrate_keystore(tmp_path):
    name, content = keystore.keystore_entry("//Bob")
    (tmp_path / name).write_text(content)
    (tmp_path / "node-key").write_text(NODE_KEY)       # other files in the directory are left alone
    config = _config("--validator", "--keystore-path", str(tmp_path), "--node-key-file", str(tmp_path / "node-key"))
    assert config.authority_key.public_key == Keypair.from_uri("//Bob").public_key
    assert config.node_key == NODE_KEY
    assert name.startswith(b"aura".hex()) and json.loads(content) == "//Bob"


def test_keystore_in_the_base_path_is_the_default(tmp_path):
    store = tmp_path / "chains" / "agora_local" / "keystore"
    store.mkdir(parents=True)
    name, content = keystore.keystore_entry("//Charlie")
    (store / name).write_text(content)
    spec_id = _config("--base-path", str(tmp_path)).chain_id
    assert spec_id == "agora_local"
    config = _config("--validator", "--base-path", str(tmp_path))
    assert config.authority_key.public_key == Keypair.from_uri("//Charlie").public_key


def test_raw_node_key_file(tmp_path):
    (tmp_path / "k").write_bytes(bytes.fromhex(NODE_KEY))
    assert keystore.read_node_key(tmp_path / "k") == NODE_KEY
    assert peer_id_of(keypair_from_hex(keystore.read_node_key(tmp_path / "k")))


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "holds no aura key"),
    (lambda d: (d / keystore.keystore_entry("//Alice")[0]).write_text('"//Bob"'), "has public key"),
    (lambda d: (d / keystore.keystore_entry("//Alice")[0]).write_text("//Alice"), "not a JSON string"),
    (lambda d: [(d / n).write_text(c) for n, c in map(keystore.keystore_entry, ("//Alice", "//Bob"))], "2 aura keys"),
])
def test_bad_keystores_are_one_clear_error(tmp_path, capsys, setup, message):
    setup(tmp_path)
    with pytest.raises(SystemExit) as exc:
        _config("--validator", "--keystore-path", str(tmp_path))
    assert message in str(exc.value) and str(exc.value).startswith("error: ")


def test_bad_node_key_files(tmp_path):
    (tmp_path / "short").write_text("abcd")
    for argv, message in ((["--node-key-file", str(tmp_path / "missing")], "No such file"),
                          (["--node-key-file", str(tmp_path / "short")], "expected 64 hex"),
                          (["--node-key-file", str(tmp_path / "short"), "--node-key", NODE_KEY], "not both")):
        with pytest.raises(SystemExit) as exc:
            _config(*argv)
        assert message in str(exc.value)


@pytest.mark.parametrize("health, readiness", [
    ({"peers": 3, "isSyncing": False, "shouldHavePeers": True}, 200),
    ({"peers": 0, "isSyncing": False, "shouldHavePeers": True}, 500),
    ({"peers": 3, "isSyncing": True, "shouldHavePeers": True}, 500),
    ({"peers": 0, "isSyncing": False, "shouldHavePeers": False}, 200),
])
async def test_health_readiness(health, readiness):
    module = RpcModule()
    module.method("system_health")(lambda params: health)
    server = RpcServer(module, "127.0.0.1", 0)
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(server.serve))
        port = server.port

        def probe():
            return (requests.get(f"http://127.0.0.1:{port}/health", timeout=5),
                    requests.get(f"http://127.0.0.1:{port}/health/readiness", timeout=5))

        live, ready = await trio.to_thread.run_sync(probe)
        nursery.cancel_scope.cancel()
    assert live.status_code == 200 and live.json() == health   # liveness: the node answers
    assert ready.status_code == readiness
