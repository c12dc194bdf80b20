"""substrate-interface 1.8.x, unmodified, against a real dev node process."""
from __future__ import annotations

import pytest
from substrateinterface import Keypair, KeypairType, SubstrateInterface
from substrateinterface.exceptions import SubstrateRequestException

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
ED_SEED = "0x" + "22" * 32


@pytest.fixture(scope="module")
def substrate(dev_node):
    s = SubstrateInterface(url=dev_node.url)
    yield s
    s.close()


def free(substrate, address) -> int:
    return substrate.query("System", "Account", [address]).value["data"]["free"]


def transfer(substrate, keypair, dest, amount, **kwargs):
    call = substrate.compose_call("Balances", "transfer_keep_alive", {"dest": dest, "value": amount})
    return substrate.create_signed_extrinsic(call=call, keypair=keypair, **kwargs)


def test_connect_and_read_alice(substrate):
    assert substrate.chain == "Agora Development"
    assert substrate.properties["tokenSymbol"] == "TAO"
    account = substrate.query("System", "Account", [ALICE.ss58_address]).value
    assert account["data"]["free"] > 0
    assert substrate.get_constant("Balances", "ExistentialDeposit").value == 500


@pytest.mark.parametrize("era", [None, {"period": 64}])
def test_sr25519_transfer_included_with_exact_fee(substrate, era):
    before_alice, before_bob = free(substrate, ALICE.ss58_address), free(substrate, BOB.ss58_address)
    amount = 12_345_678
    kwargs = {} if era is None else {"era": era}
    receipt = substrate.submit_extrinsic(transfer(substrate, ALICE, BOB.ss58_address, amount, **kwargs),
                                         wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message
    names = [(e.value["module_id"], e.value["event_id"]) for e in receipt.triggered_events]
    assert ("Balances", "Transfer") in names and ("System", "ExtrinsicSuccess") in names
    fee = receipt.total_fee_amount
    assert fee > 0
    assert free(substrate, BOB.ss58_address) == before_bob + amount
    assert free(substrate, ALICE.ss58_address) == before_alice - amount - fee


def test_ed25519_transfer(substrate):
    ed = Keypair.create_from_seed(ED_SEED, crypto_type=KeypairType.ED25519)
    funding = substrate.submit_extrinsic(transfer(substrate, ALICE, ed.ss58_address, 10**12), wait_for_inclusion=True)
    assert funding.is_success
    before = free(substrate, ed.ss58_address)
    receipt = substrate.submit_extrinsic(transfer(substrate, ed, BOB.ss58_address, 10**9), wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message
    assert free(substrate, ed.ss58_address) == before - 10**9 - receipt.total_fee_amount


def test_failed_dispatch_reports_module_error(substrate):
    poor = Keypair.create_from_uri("//Ferdie")
    balance = free(substrate, poor.ss58_address)
    # below the existential deposit to an account that does not exist: a Balances (module) error
    unfunded = Keypair.create_from_uri("//Agora//Unfunded").ss58_address
    receipt = substrate.submit_extrinsic(transfer(substrate, poor, unfunded, 1), wait_for_inclusion=True)
    assert receipt.is_success is False
    assert receipt.error_message["name"] == "ExistentialDeposit"
    assert free(substrate, poor.ss58_address) == balance - receipt.total_fee_amount


def test_stale_nonce_rejected_and_nothing_changes(substrate):
    before = free(substrate, ALICE.ss58_address)
    nonce = substrate.get_account_nonce(ALICE.ss58_address)
    assert nonce > 0
    stale = transfer(substrate, ALICE, BOB.ss58_address, 1_000, nonce=nonce - 1)
    with pytest.raises(SubstrateRequestException) as err:
        substrate.submit_extrinsic(stale, wait_for_inclusion=False)
    assert err.value.args[0]["code"] == 1010
    assert err.value.args[0]["data"] == "Transaction is outdated"
    assert free(substrate, ALICE.ss58_address) == before
    assert substrate.get_account_nonce(ALICE.ss58_address) == nonce


def test_bad_signature_rejected(substrate):
    ext = transfer(substrate, ALICE, BOB.ss58_address, 1_000)
    data = bytearray(ext.data.data)
    # the sr25519 signature sits after: compact length (2 bytes here), version, MultiAddress (1+32), kind (1)
    data[2 + 1 + 33 + 1 + 5] ^= 0xFF
    with pytest.raises(SubstrateRequestException) as err:
        substrate.rpc_request("author_submitExtrinsic", ["0x" + bytes(data).hex()])
    assert err.value.args[0]["code"] == 1010
    assert err.value.args[0]["data"] == "Transaction has a bad signature"


def test_payment_info_matches_charged_fee(substrate):
    call = substrate.compose_call("Balances", "transfer_keep_alive", {"dest": BOB.ss58_address, "value": 10**6})
    info = substrate.get_payment_info(call, ALICE)
    nonce = substrate.get_account_nonce(ALICE.ss58_address)
    extrinsic = substrate.create_signed_extrinsic(call=call, keypair=ALICE)
    # the length by hand: compact length (2) + version (1) + MultiAddress::Id (33) + MultiSignature (65)
    # + immortal era (1) + compact nonce + compact tip 0 (1) + metadata-hash mode (1)
    # + call index (2) + dest (33) + compact 10**6 (4)
    length = 143 + (1 if nonce < 64 else 2)
    assert len(extrinsic.data.data) == length
    # FRAME's fee, by hand: base 125_000 (ExtrinsicBaseWeight 125_000_000 / 1000) + 1000 rao per byte
    # + weight fee 300_000 (transfer weight 300_000_000 / 1000, multiplier 1); no tip
    assert info["partialFee"] == 125_000 + 1_000 * length + 300_000
    receipt = substrate.submit_extrinsic(extrinsic, wait_for_inclusion=True)
    assert receipt.is_success
    assert receipt.total_fee_amount == info["partialFee"]


def test_blocks_headers_and_query_map(substrate):
    head = substrate.get_chain_head()
    block = substrate.get_block(head)
    assert block["header"]["hash"] == head
    assert block["extrinsics"][0].value["call"]["call_module"] == "Timestamp"
    accounts = list(substrate.query_map("System", "Account", max_results=100))
    assert len(accounts) >= 12


def test_signing_payload_over_256_bytes_is_hashed(substrate):
    """A 300-byte remark makes the signing payload > 256 bytes: both sides must blake2_256 it."""
    call = substrate.compose_call("System", "remark_with_event", {"remark": "0x" + "ab" * 300})
    receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=call, keypair=ALICE),
                                         wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message
    assert any(e.value["event_id"] == "Remarked" for e in receipt.triggered_events)


def test_new_heads_subscription(substrate):
    seen = []

    def handler(header, update_nr, subscription_id):
        seen.append(header["header"]["number"])
        if len(seen) >= 2:
            return header

    substrate.subscribe_block_headers(handler)
    assert seen[1] == seen[0] + 1
