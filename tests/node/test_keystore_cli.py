"""`agora key generate-node-key / inspect-node-key / insert`: files a node then uses, in Substrate's layout."""
from __future__ import annotations

import io
import json

from node.cli import _node_config, build_parser, main
from primitives.keys import Keypair


def run(argv: list[str]) -> tuple[int, str, str]:
    from node.keys_cli import run_key_command

    out, err = io.StringIO(), io.StringIO()
    code = run_key_command(build_parser().parse_args(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_node_key_generate_then_inspect(tmp_path):
    code, _, peer_id = run(["key", "generate-node-key", "--file", str(tmp_path / "nk")])
    assert code == 0 and len((tmp_path / "nk").read_text()) == 64
    assert (tmp_path / "nk").stat().st_mode & 0o077 == 0
    code, out, _ = run(["key", "inspect-node-key", "--file", str(tmp_path / "nk")])
    assert code == 0 and out == peer_id and peer_id.startswith("12D3KooW")
    (tmp_path / "bad").write_text("zz")
    assert run(["key", "inspect-node-key", "--file", str(tmp_path / "bad")])[0] == 1


def test_inserted_key_is_the_validators_authority_key(tmp_path):
    code, _, err = run(["key", "insert", "--suri", "//Bob", "--base-path", str(tmp_path), "--chain", "local"])
    assert code == 0, err
    bob = Keypair.from_uri("//Bob")
    path = tmp_path / "chains" / "agora_local" / "keystore" / ("61757261" + bob.public_key.hex())
    assert json.loads(path.read_text()) == "//Bob"
    args = build_parser().parse_args(["node", "--chain", "local", "--validator", "--base-path", str(tmp_path)])
    assert _node_config(args).authority_key.public_key == bob.public_key
    assert run(["key", "insert", "--suri", "not a key", "--base-path", str(tmp_path)])[0] == 1


def test_build_spec_top_level_is_substrates(capsys):
    from genesis.spec import SUBSTRATE_SPEC_FIELDS

    assert main(["build-spec", "--chain", "local", "--disable-default-bootnode"]) == 0
    spec = json.loads(capsys.readouterr().out)
    assert set(spec) <= SUBSTRATE_SPEC_FIELDS and spec["bootNodes"] == []
    assert spec["genesis"]["runtimeGenesis"]["config"]["aura"]["slotDurationMs"] == 2000
