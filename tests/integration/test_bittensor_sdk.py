"""The Bittensor SDK (bittensor 10.5.0 from .venv-bt) drives a real dev node through a subnet's life:
get_balance -> transfer -> register_subnet -> all_subnets / subnet(n) -> burned_register (validator + 2
miners) -> add_stake / get_stake -> metagraph -> set_weights -> get_next_epoch_start_block -> metagraph
after the epoch. The driver (clients/bt_sdk_driver.py) runs in the SDK's own venv and reports what the SDK
saw; every value is checked here against storage read independently with substrate-interface."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import REPO, NodeProcess

BT_PY = REPO / ".venv-bt" / "bin" / "python"
DRIVER = REPO / "tests" / "integration" / "clients" / "bt_sdk_driver.py"
TAO = 10**9
U16_MAX = 65535


def bt_env_problem() -> str | None:
    if not BT_PY.exists():
        return f"{BT_PY} does not exist"
    probe = subprocess.run([str(BT_PY), "-c", "import bittensor, bittensor_cli"], capture_output=True, text=True,
                           cwd=REPO, timeout=120)
    return None if probe.returncode == 0 else (probe.stderr.strip().splitlines() or ["import failed"])[-1]


def require_bt_env() -> None:
    problem = bt_env_problem()
    if problem:
        pytest.fail(f"bittensor client environment missing ({problem}): run `make clients` "
                    "(creates .venv-bt from tests/integration/clients/requirements-bt.txt)", pytrace=False)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = NodeProcess(tmp_path_factory.mktemp("bt-sdk-node"), block_time_ms=500).start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def sdk_run(node, tmp_path_factory):
    require_bt_env()
    home = tmp_path_factory.mktemp("bt-sdk-home")
    env = {**os.environ, "HOME": str(home), "BITTENSOR_RUNTIME_CACHE_DIR": str(home / "cache")}
    proc = subprocess.run([str(BT_PY), str(DRIVER), "--network", node.url, "--wallet-path", str(home / "wallets")],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def chain(node):
    substrate = SubstrateInterface(url=node.url)
    yield substrate
    substrate.close()


def at(chain, block):
    return chain.get_block_hash(block)


def query(chain, item, params, block=None, module="SubtensorModule"):
    return chain.query(module, item, params, block_hash=at(chain, block) if block is not None else None).value


def ss58(uri: str) -> str:
    return Keypair.create_from_uri(uri).ss58_address


def test_balance_and_transfer_match_system_accounts(sdk_run, chain):
    before, after = sdk_run["balance_before"], sdk_run["balance_after"]
    assert sdk_run["transfer"]["success"]
    assert after["ferdie"] - before["ferdie"] == 3 * TAO
    fee = before["alice"] - after["alice"] - 3 * TAO
    assert 0 < fee < TAO // 100
    # nothing else touches Ferdie: the SDK's reading is the chain's
    assert query(chain, "Account", [ss58("//Ferdie")], module="System")["data"]["free"] == after["ferdie"]


def test_register_subnet_and_subnet_info_match_storage(sdk_run, chain):
    netuid, block = sdk_run["netuid"], sdk_run["subnet_block"]
    assert sdk_run["register_subnet"]["success"]
    assert query(chain, "NetworksAdded", [netuid]) is True
    assert query(chain, "SubnetOwner", [netuid]) == ss58("//Eve")
    listed = sorted(n for n, added in ((k.value, v.value) for k, v in chain.query_map("SubtensorModule", "NetworksAdded"))
                    if added)
    assert sdk_run["all_subnets"] == listed and netuid in listed
    info = sdk_run["subnet"]
    assert info["netuid"] == netuid and info["owner_coldkey"] == ss58("//Eve")
    assert info["owner_hotkey"] == query(chain, "SubnetOwnerHotkey", [netuid])
    assert info["tempo"] == query(chain, "Tempo", [netuid], block)
    assert info["tao_in"] == query(chain, "SubnetTAO", [netuid], block) > 0
    assert info["alpha_in"] == query(chain, "SubnetAlphaIn", [netuid], block) > 0


def test_burned_register_and_metagraph_match_uids(sdk_run, chain):
    netuid, uids = sdk_run["netuid"], sdk_run["uids"]
    hotkeys = {"validator": ss58("//Alice//sdkval"), "weighted": ss58("//Bob//sdkminer"),
               "unweighted": ss58("//Charlie//sdkminer")}
    for role, hotkey in hotkeys.items():
        assert sdk_run[f"burned_register_{role}"]["success"]
        assert query(chain, "Uids", [netuid, hotkey]) == uids[role]
        assert query(chain, "Keys", [netuid, uids[role]]) == hotkey
    mg = sdk_run["metagraph"]
    assert mg["n"] == query(chain, "SubnetworkN", [netuid]) == 4      # owner hotkey + 3
    assert mg["hotkeys"] == [query(chain, "Keys", [netuid, uid]) for uid in range(mg["n"])]
    assert mg["coldkeys"][uids["validator"]] == ss58("//Alice")


def test_add_stake_is_visible_through_get_stake_and_storage(sdk_run, chain):
    netuid, block = sdk_run["netuid"], sdk_run["get_stake_block"]
    hotkey, coldkey = ss58("//Alice//sdkval"), ss58("//Alice")
    assert sdk_run["add_stake"]["success"]
    assert sdk_run["get_stake"] > 0
    # the validator's hotkey has one staker, so its stake is the hotkey's whole alpha
    assert query(chain, "TotalHotkeyAlpha", [hotkey, netuid], block) == sdk_run["get_stake"]
    assert query(chain, "Alpha", [hotkey, coldkey, netuid], block)["bits"] > 0


def test_set_weights_and_epoch_reward_the_weighted_miner(sdk_run, chain):
    netuid, uids = sdk_run["netuid"], sdk_run["uids"]
    assert sdk_run["set_weights"]["success"]
    weights = query(chain, "Weights", [netuid, uids["validator"]])
    assert [list(w) for w in weights] == [[uids["weighted"], U16_MAX]] == sdk_run["after_epoch"]["validator_weights"]
    # get_next_epoch_start_block is the runtime's schedule: LastEpochBlock + Tempo when asked
    asked = sdk_run["next_epoch_query_block"]
    assert sdk_run["next_epoch_start_block"] == (query(chain, "LastEpochBlock", [netuid], asked)
                                                 + query(chain, "Tempo", [netuid], asked))
    block = sdk_run["block_after_epoch"]
    assert block > sdk_run["next_epoch_start_block"]
    incentive, dividends = query(chain, "Incentive", [netuid], block), query(chain, "Dividends", [netuid], block)
    after = sdk_run["after_epoch"]
    assert incentive[uids["weighted"]] > 0 and incentive[uids["unweighted"]] == 0
    assert dividends[uids["validator"]] > 0
    for role, uid in uids.items():      # what the SDK's metagraph shows is what storage holds
        assert abs(after["incentive"][role] - incentive[uid] / U16_MAX) < 1e-4
        assert abs(after["dividends"][role] - dividends[uid] / U16_MAX) < 1e-4
    assert after["incentive"]["weighted"] > 0.5 and after["dividends"]["validator"] > 0.5
