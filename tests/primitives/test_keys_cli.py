"""`agora key generate|inspect` (node/keys_cli.py): subkey-shaped output."""
import argparse
import io
import json

import pytest

from node.keys_cli import add_key_commands, main, run_key_command
from primitives.keys import DEV_PHRASE, Keypair, validate_mnemonic

ALICE_SR = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"


def run(*argv, stdin=None, monkeypatch=None):
    parser = argparse.ArgumentParser(prog="agora")
    add_key_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    assert args.func is run_key_command
    out, err = io.StringIO(), io.StringIO()
    rc = run_key_command(args, out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def test_inspect_alice_text_matches_subkey():
    rc, out, _ = run("key", "inspect", "//Alice")
    assert rc == 0
    assert out == (
        "Secret Key URI `//Alice` is account:\n"
        "  Network ID:        substrate\n"
        "  Secret seed:       0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a\n"
        f"  Public key (hex):  {ALICE_SR}\n"
        f"  Account ID:        {ALICE_SR}\n"
        "  Public key (SS58): 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\n"
        "  SS58 Address:      5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\n")


def test_inspect_ed25519_json():
    rc, out, _ = run("key", "inspect", "//Alice", "--scheme", "ed25519", "--output-type", "json")
    assert rc == 0
    data = json.loads(out)
    assert list(data) == sorted(data)  # serde_json's default (sorted) key order
    assert data == {
        "accountId": "0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee",
        "networkId": "substrate",
        "publicKey": "0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee",
        "secretKeyUri": "//Alice",
        "secretSeed": "0xabf8e5bdbe30c65656c0a3cbd181ff8a56294a69dfedd27982aace4a76909115",
        "ss58Address": "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu",
        "ss58PublicKey": "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu",
    }


def test_inspect_phrase_and_network():
    rc, out, _ = run("key", "inspect", DEV_PHRASE, "--network", "polkadot")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == f"Secret phrase:       {DEV_PHRASE}"
    assert lines[1] == "  Network ID:        polkadot"
    assert lines[2] == "  Secret seed:       0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e"
    assert lines[6] == "  SS58 Address:      12bzRJfh7arnnfPPUZHeJUaE62QLEwhK48QnH9LXeK2m1iZU"
    rc, out, _ = run("key", "inspect", "//Alice", "--ss58-format", "2")
    assert "  Network ID:        kusama" in out
    assert "HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F" in out


def test_inspect_soft_path_has_no_seed():
    rc, out, _ = run("key", "inspect", "//Alice/stash")
    assert rc == 0 and "  Secret seed:       n/a\n" in out


def test_inspect_password_option():
    rc, out, _ = run("key", "inspect", "//Alice", "--password", "pw", "--output-type", "json")
    expected = Keypair.from_uri("//Alice///pw")
    assert json.loads(out)["publicKey"] == "0x" + expected.public_key.hex()


def test_inspect_public():
    rc, out, _ = run("key", "inspect", "--public", ALICE_SR)
    assert rc == 0
    assert out == (
        "Network ID/Version: substrate\n"
        f"  Public key (hex):   {ALICE_SR}\n"
        f"  Account ID:         {ALICE_SR}\n"
        "  Public key (SS58):  5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\n"
        "  SS58 Address:       5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY\n")
    rc, out, _ = run("key", "inspect", "--public", "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5",
                     "--output-type", "json")
    assert json.loads(out)["publicKey"] == ALICE_SR


def test_inspect_address_without_public_flag():
    rc, out, _ = run("key", "inspect", "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5")
    assert rc == 0
    assert out.startswith("Public Key URI `15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5` is account:\n"
                          "  Network ID/Version: polkadot\n")
    assert ALICE_SR in out


def test_inspect_ecdsa():
    pytest.importorskip("coincurve")
    rc, out, _ = run("key", "inspect", "//Alice", "--scheme", "ecdsa", "--output-type", "json")
    data = json.loads(out)
    assert data["publicKey"] == "0x020a1091341fe5664bfa1782d5e04779689068c916b04cb365ec3153755684d9a1"
    assert data["ss58Address"] == "5C7C2Z5sWbytvHpuLTvzKunnnRwQxft1jiqrLD5rhucQ5S9X"
    assert data["ss58PublicKey"] != data["ss58Address"]


def test_inspect_reads_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("//Alice\n"))
    rc, out, _ = run("key", "inspect")
    assert rc == 0 and "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY" in out


@pytest.mark.parametrize("scheme", ["sr25519", "ed25519"])
@pytest.mark.parametrize("words", ["12", "24"])
def test_generate(scheme, words):
    rc, out, _ = run("key", "generate", "--scheme", scheme, "--words", words, "--output-type", "json")
    assert rc == 0
    data = json.loads(out)
    phrase = data["secretPhrase"]
    assert len(phrase.split()) == int(words) and validate_mnemonic(phrase)
    kp = Keypair.from_mnemonic(phrase, scheme)
    assert data["publicKey"] == "0x" + kp.public_key.hex()
    assert data["secretSeed"] == "0x" + kp.seed.hex()
    assert data["ss58Address"] == kp.ss58_address


def test_generate_text_and_network():
    rc, out, _ = run("key", "generate", "-n", "0")
    lines = out.splitlines()
    assert rc == 0 and lines[0].startswith("Secret phrase:       ")
    assert [ln.split(":")[0].strip() for ln in lines] == [
        "Secret phrase", "Network ID", "Secret seed", "Public key (hex)", "Account ID",
        "Public key (SS58)", "SS58 Address"]
    assert lines[1] == "  Network ID:        polkadot"
    assert lines[6].split()[-1].startswith("1")


def test_errors():
    rc, out, err = run("key", "inspect", "//Alice/soft", "--scheme", "ed25519")
    assert rc == 1 and out == "" and "only hard derivation" in err
    rc, out, err = run("key", "inspect", "not a phrase")
    assert rc == 1 and "error: invalid secret phrase" in err
    rc, out, err = run("key", "inspect", "--public", "0x1234")
    assert rc == 1 and "32 or 33 bytes" in err
    rc, out, err = run("key", "inspect", "--public", ALICE_SR, "--scheme", "ecdsa")
    assert rc == 1 and "ecdsa public key has 33 bytes" in err
    with pytest.raises(SystemExit):
        run("key", "generate", "--words", "13")
    with pytest.raises(SystemExit):
        run("key", "generate", "--network", "nowhere")
    with pytest.raises(SystemExit):
        run("key")


def test_standalone_main(capsys):
    assert main(["key", "inspect", "//Bob"]) == 0
    assert "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty" in capsys.readouterr().out
