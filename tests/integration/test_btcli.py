"""btcli 9.23.2 (from .venv-bt), non-interactive (`-y`, `--json-output`), against a real dev node. Each
command's JSON is checked against chain state read independently with substrate-interface: balances,
NetworksAdded/SubnetOwner/identities, Uids/Keys, TotalHotkeyAlpha/Alpha, Tempo, LastEpochBlock and the
registration-cost runtime API. The tests run in file order: create a subnet, register, sudo set, stake.

btcli exits 0 even when a command fails (it prints the error), so every test asserts on the output and
on storage, never only on the exit status."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import REPO, NodeProcess
from tests.integration.test_bittensor_sdk import require_bt_env

BTCLI = REPO / ".venv-bt" / "bin" / "btcli"
BT_PY = REPO / ".venv-bt" / "bin" / "python"
TAO = 10**9
#: wallet name -> dev coldkey; each hotkey is //<Name>//cli
WALLETS = ("Alice", "Dave", "Ferdie")
IDENTITY = ["--subnet-name", "clinet", "--github-repo", "https://github.com/agora/clinet",
            "--subnet-contact", "ops@example.com", "--subnet-url", "https://example.com", "--discord-handle", "agora",
            "--description", "btcli test subnet", "--logo-url", "https://example.com/logo.png",
            "--additional-info", "none"]


def ss58(uri: str) -> str:
    return Keypair.create_from_uri(uri).ss58_address


FERDIE, FERDIE_HOT, DAVE = ss58("//Ferdie"), ss58("//Ferdie//cli"), ss58("//Dave")


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = NodeProcess(tmp_path_factory.mktemp("btcli-node"), block_time_ms=500).start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def chain(node):
    substrate = SubstrateInterface(url=node.url)
    yield substrate
    substrate.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    require_bt_env()
    home = tmp_path_factory.mktemp("btcli-home")
    script = ("import sys\nfrom bittensor_wallet import Wallet\n"
              "for name in sys.argv[2:]:\n"
              "    w = Wallet(name=name.lower(), hotkey='default', path=sys.argv[1])\n"
              "    w.create_coldkey_from_uri('//' + name, use_password=False, overwrite=True, suppress=True)\n"
              "    w.create_hotkey_from_uri('//' + name + '//cli', use_password=False, overwrite=True, suppress=True)\n")
    subprocess.run([str(BT_PY), "-c", script, str(home / "wallets"), *WALLETS], check=True, cwd=REPO, timeout=120,
                   env={**os.environ, "HOME": str(home)})
    return home


@pytest.fixture(scope="module")
def btcli(node, home):
    env = {**os.environ, "HOME": str(home), "COLUMNS": "100000", "BITTENSOR_RUNTIME_CACHE_DIR": str(home / "cache")}

    def run(*args: str, wallet: str | None = None) -> object:
        argv = [str(BTCLI), *args, "--network", node.url, "--json-output"]
        if wallet is not None:
            argv += ["--wallet-path", str(home / "wallets"), "--wallet-name", wallet, "--hotkey", "default"]
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                              timeout=180)
        assert proc.returncode == 0, f"btcli {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"btcli {' '.join(args)}: no JSON\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return run


def q(chain, item, *params, module="SubtensorModule"):
    return chain.query(module, item, list(params)).value


def free(chain, who: str) -> int:
    return q(chain, "Account", who, module="System")["data"]["free"]


def networks(chain) -> set[int]:
    return {k.value for k, v in chain.query_map("SubtensorModule", "NetworksAdded") if v.value}


def rao(tao: float) -> int:
    return round(tao * TAO)


@pytest.fixture(scope="module")
def netuid(btcli, chain):
    """`subnets create` by Dave: a new netuid owned by Dave with the given identity."""
    before = networks(chain)
    out = btcli("subnets", "create", *IDENTITY, "--no-mev-protection", "-y", wallet="dave")
    added = networks(chain) - before
    assert len(added) == 1, f"subnets create added {added}: {out}"
    return added.pop()


def test_wallet_balance_matches_system_account(btcli, chain):
    out = btcli("wallet", "balance", wallet="ferdie")
    entry = out["balances"]["ferdie"]
    assert entry["coldkey"] == FERDIE
    assert abs(rao(entry["free"]) - free(chain, FERDIE)) <= 1          # Ferdie is idle here
    assert entry["staked"] == 0 and out["totals"]["free"] == entry["free"]


def test_subnets_burn_cost_is_the_runtime_registration_cost(btcli, chain):
    def cost():     # the runtime API through a raw state_call: its answer is a SCALE u64 (TaoBalance)
        raw = chain.rpc_request("state_call", ["SubnetRegistrationRuntimeApi_get_network_registration_cost", "0x"])
        return int.from_bytes(bytes.fromhex(raw["result"][2:]), "little")
    low = cost()
    out = btcli("subnets", "burn-cost")
    high = cost()
    # the lock cost only decays between blocks, so btcli's reading lies between the two direct ones
    assert min(low, high) <= out["burn_cost"]["rao"] <= max(low, high) and out["burn_cost"]["rao"] > 0


def test_subnets_create_registers_network_owner_and_identity(netuid, chain):
    assert q(chain, "SubnetOwner", netuid) == DAVE
    identity = q(chain, "SubnetIdentitiesV3", netuid)
    assert identity["subnet_name"] in ("clinet", "0x" + b"clinet".hex())
    assert q(chain, "SubnetTAO", netuid) > 0


def test_subnets_list_shows_every_network(btcli, chain, netuid):
    out = btcli("subnets", "list")
    assert {int(n) for n in out["subnets"]} == networks(chain)
    mine = out["subnets"][str(netuid)]
    assert mine["subnet_name"] == "clinet"
    assert mine["tempo"]["sn_tempo"] == q(chain, "Tempo", netuid)


def test_subnets_hyperparameters_match_storage(btcli, chain, netuid):
    out = {row["hyperparameter"]: row["value"] for row in btcli("subnets", "hyperparameters", "--netuid", str(netuid))}
    assert out["tempo"] == q(chain, "Tempo", netuid)
    assert out["immunity_period"] == q(chain, "ImmunityPeriod", netuid)
    assert out["max_validators"] == q(chain, "MaxAllowedValidators", netuid)
    assert out["min_allowed_weights"] == q(chain, "MinAllowedWeights", netuid)
    assert out["weights_rate_limit"] == q(chain, "WeightsSetRateLimit", netuid)
    assert out["commit_reveal_weights_enabled"] is q(chain, "CommitRevealWeightsEnabled", netuid)


def test_subnets_register_burns_and_assigns_a_uid(btcli, chain, netuid):
    balance = free(chain, FERDIE)
    burn = q(chain, "Burn", netuid)
    out = btcli("subnets", "register", "--netuid", str(netuid), "-y", wallet="ferdie")
    assert out["success"], out
    uid = int(re.search(r"UID (\d+)", out["msg"]).group(1))
    assert q(chain, "Uids", netuid, FERDIE_HOT) == uid
    assert q(chain, "Keys", netuid, uid) == FERDIE_HOT
    # the burn decays block by block (BurnHalfLife) between the read and the registration
    assert abs((balance - free(chain, FERDIE)) - burn) < burn // 20


def test_sudo_set_tempo_as_owner_then_as_root(btcli, chain, netuid, node):
    # the owner's path (SubtensorModule.set_tempo) is bounded to [360, 50400] and restarts the cycle
    out = btcli("sudo", "set", "--netuid", str(netuid), "--param", "tempo", "--value", "400", "-y", wallet="dave")
    assert out["success"], out
    assert q(chain, "Tempo", netuid) == 400
    assert node.best_number() - q(chain, "LastEpochBlock", netuid) < 20
    # Alice is the dev chain's sudo key and not the owner: btcli wraps AdminUtils.sudo_set_tempo in Sudo.sudo
    out = btcli("sudo", "set", "--netuid", str(netuid), "--param", "tempo", "--value", "7", "-y", wallet="alice")
    assert out["success"], out
    assert q(chain, "Tempo", netuid) == 7


def test_stake_add_buys_alpha_for_the_hotkey(btcli, chain, netuid):
    balance = free(chain, FERDIE)
    # safe staking (add_stake_limit) is btcli's default; 5 TAO moves a ~100 TAO pool's price ~10 %
    out = btcli("stake", "add", "--netuid", str(netuid), "--amount", "5", "--tolerance", "0.3", "--no-mev-protection",
                "-y", wallet="ferdie")
    assert out["staking_success"][str(netuid)][FERDIE_HOT] is True, out
    assert balance - free(chain, FERDIE) >= 5 * TAO
    assert q(chain, "TotalHotkeyAlpha", FERDIE_HOT, netuid) > 0
    assert q(chain, "Alpha", FERDIE_HOT, FERDIE, netuid)["bits"] > 0


def test_stake_list_matches_hotkey_alpha(btcli, chain, netuid):
    before = q(chain, "TotalHotkeyAlpha", FERDIE_HOT, netuid)
    out = btcli("stake", "list", "-y", wallet="ferdie")
    after = q(chain, "TotalHotkeyAlpha", FERDIE_HOT, netuid)
    [entry] = [e for e in out["stake_info"][FERDIE_HOT] if e["netuid"] == netuid]
    # Ferdie is the hotkey's only staker; emission may land between the reads
    assert min(before, after) - 1 <= rao(entry["stake_value"]) <= max(before, after) + 1
    assert entry["registered"] is True
    assert out["coldkey_address"] == FERDIE


def stake_events(chain, name: str, first: int, last: int) -> list[dict]:
    found = []
    for number in range(first, last + 1):
        for record in chain.get_events(chain.get_block_hash(number)):
            event = record.value["event"]
            if record.value["module_id"] == "SubtensorModule" and event["event_id"] == name:
                found.append(event["attributes"])
    return found


def test_stake_remove_sells_alpha(btcli, chain, netuid, node):
    balance, first = free(chain, FERDIE), node.best_number() + 1
    out = btcli("stake", "remove", "--netuid", str(netuid), "--amount", "1", "--tolerance", "0.3",
                "--no-mev-protection", "-y", wallet="ferdie")
    assert isinstance(out, list) and out[0]["success"] is True, out
    # epochs keep adding emission to the hotkey, so the sale is read from its event, not from the stake left
    [sold] = stake_events(chain, "StakeRemoved", first, node.best_number())
    assert (sold["coldkey"], sold["hotkey"], sold["netuid"]) == (FERDIE, FERDIE_HOT, netuid)
    assert sold["alpha"] + sold["fee"] == TAO and 0 < sold["fee"] < TAO // 100    # one alpha sold, its fee in alpha
    assert sold["tao"] > 0 and free(chain, FERDIE) > balance


def test_subnets_show_and_metagraph_list_the_neurons(btcli, chain, netuid):
    n = q(chain, "SubnetworkN", netuid)
    hotkeys = [q(chain, "Keys", netuid, uid) for uid in range(n)]
    for command in ("show", "metagraph"):
        out = btcli("subnets", command, "--netuid", str(netuid), "-y")
        rows = {row["uid"]: row for row in out["uids"]}
        assert sorted(rows) == list(range(n)), command
        assert [rows[uid]["hotkey"] for uid in range(n)] == hotkeys, command
        ferdie = rows[hotkeys.index(FERDIE_HOT)]
        assert ferdie["coldkey"] == FERDIE and ferdie["alpha_stake"] > 0, command
    assert out["owner"] == DAVE and out["tempo"]["tempo"] == q(chain, "Tempo", netuid)


def test_wallet_overview_shows_the_registered_neuron(btcli, chain, netuid):
    out = btcli("wallet", "overview", wallet="ferdie")
    assert out["wallet"].endswith(FERDIE)
    [subnet] = [s for s in out["subnets"] if s["netuid"] == netuid]
    [neuron] = subnet["neurons"]
    assert neuron["hotkey_ss58"] == FERDIE_HOT and neuron["uid"] == q(chain, "Uids", netuid, FERDIE_HOT)
    assert subnet["tempo"] == q(chain, "Tempo", netuid)
    assert abs(rao(out["total_balance"]) - free(chain, FERDIE)) <= 1
