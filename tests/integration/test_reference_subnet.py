"""The reference subnet (tools/reference_subnet) as an SDK integration test: bittensor 10.5.0 registers a
subnet and three neurons, stakes, serves two miners' axons, queries them with a dendrite and sets
weights each tempo against a real dev node; the chain's own storage (read here with
substrate-interface, not the SDK) must show the honest miner's incentive and the validator's dividends."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import REPO, NodeProcess

BT_PY = REPO / ".venv-bt" / "bin" / "python"
EPOCHS = 3


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = NodeProcess(tmp_path_factory.mktemp("refnet-node"), block_time_ms=500).start()
    yield node
    node.stop()


def _bt_env_problem() -> str | None:
    if not BT_PY.exists():
        return f"{BT_PY} does not exist"
    probe = subprocess.run([str(BT_PY), "-c", "import bittensor, bittensor_cli"], capture_output=True, text=True,
                           cwd=REPO, timeout=120)
    return None if probe.returncode == 0 else (probe.stderr.strip().splitlines() or ["import failed"])[-1]


def test_reference_subnet_rewards_the_honest_miner(node, tmp_path):
    problem = _bt_env_problem()
    if problem:
        pytest.fail(f"bittensor client environment missing ({problem}): run `make clients` "
                    "(creates .venv-bt from tests/integration/clients/requirements-bt.txt)", pytrace=False)
    env = {**os.environ, "HOME": str(tmp_path), "BITTENSOR_RUNTIME_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([str(BT_PY), "-m", "tools.reference_subnet", "--network", node.url, "--epochs", str(EPOCHS),
                           "--wallet-path", str(tmp_path / "wallets")],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=480)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["ok"] and len(summary["rounds"]) == EPOCHS
    assert summary["axons_on_chain"] == 2          # the validator found both miners through serve_axon
    assert all(r["weights_set"] for r in summary["rounds"])

    netuid = summary["netuid"]
    honest = Keypair.create_from_uri("//Bob//honest").ss58_address
    lazy = Keypair.create_from_uri("//Charlie//lazy").ss58_address
    validator = Keypair.create_from_uri("//Alice//validator").ss58_address
    substrate = SubstrateInterface(url=node.url)
    try:
        def q(item, *params):
            return substrate.query("SubtensorModule", item, list(params)).value

        uid = {hk: q("Uids", netuid, hk) for hk in (honest, lazy, validator)}
        incentive, dividends = q("Incentive", netuid), q("Dividends", netuid)
        weights = dict(q("Weights", netuid, uid[validator]))
        axons = {hk: q("Axons", netuid, hk) for hk in (honest, lazy)}
    finally:
        substrate.close()
    assert incentive[uid[honest]] > 0 and incentive[uid[lazy]] == 0
    assert dividends[uid[validator]] > 0
    assert weights.get(uid[honest], 0) > 0 and weights.get(uid[lazy], 0) == 0
    for axon in axons.values():                    # serve_axon wrote the miners' endpoints: 127.0.0.2, IPv4
        assert axon is not None and axon["ip"] == 0x7F000002 and axon["ip_type"] == 4 and axon["port"] > 0
    # what the SDK reported is what storage holds
    final = summary["rounds"][-1]["incentive"]
    assert abs(final[honest] - incentive[uid[honest]] / 65535) < 1e-4
