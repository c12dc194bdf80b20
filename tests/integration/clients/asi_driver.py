"""async-substrate-interface 2.x acceptance driver (run with .venv-async/bin/python, never the main venv).

    .venv-async/bin/python tests/integration/clients/asi_driver.py ws://127.0.0.1:9944

Drives an unmodified AsyncSubstrateInterface against a running dev node and prints ONE JSON object
on stdout: {"versions": {...}, "steps": {name: {"ok": bool, ...facts} | {"ok": false, "error": str}}}.
The pytest side (tests/integration/test_async_substrate_interface.py) asserts on those facts; this
script only records what the client saw, so a failing step never hides the ones after it.

The client ships no keypair (Bittensor passes bittensor-wallet's): `Signer` below implements its
Keypair protocol (crypto_type, public_key, ss58_address, ss58_format, sign) with py-sr25519-bindings
and PyNaCl, the backends substrate-interface uses. Dev accounts come from their well-known secret
seeds (`subkey inspect //Alice`), so no derivation code is needed here.
"""
from __future__ import annotations

import ast
import asyncio
import json
import sys
import traceback
from importlib import metadata as importlib_metadata

import nacl.signing
import sr25519
from async_substrate_interface import AsyncSubstrateInterface
from async_substrate_interface.errors import SubstrateRequestException
from scalecodec.utils.ss58 import ss58_encode

SS58_FORMAT = 42
ED25519, SR25519 = 0, 1  # MultiSignature variant indices, as the client's KeypairType
# `subkey inspect //Alice` / `//Bob` / `//Ferdie`: the mini-secret seeds of the dev accounts (sr25519)
DEV_SEEDS = {
    "Alice": "e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a",
    "Bob": "398f0c28f98885e046333d4a41c19cee4c37368a9832c6502f6cfd182e2aef89",
    "Ferdie": "42438b7883391c05512a938e36c2df0131e088b3756d6aa7a755fbff19d2f842",
}
ED_SEED = "22" * 32


class Signer:
    """The client's `Keypair` protocol over py-sr25519-bindings (sr25519) and PyNaCl (ed25519)."""

    def __init__(self, seed_hex: str, crypto_type: int = SR25519):
        seed = bytes.fromhex(seed_hex)
        self.crypto_type = crypto_type
        self.ss58_format = SS58_FORMAT
        if crypto_type == SR25519:
            self.public_key, self._secret = sr25519.pair_from_seed(seed)
        else:
            self._signing_key = nacl.signing.SigningKey(seed)
            self.public_key = bytes(self._signing_key.verify_key)
        self.ss58_address = ss58_encode(self.public_key, SS58_FORMAT)

    def sign(self, data) -> bytes:
        if isinstance(data, str):
            data = bytes.fromhex(data[2:] if data.startswith("0x") else data)
        data = bytes(data)
        if self.crypto_type == SR25519:
            return sr25519.sign((self.public_key, self._secret), data)
        return self._signing_key.sign(data).signature


ALICE = Signer(DEV_SEEDS["Alice"])
BOB = Signer(DEV_SEEDS["Bob"])
FERDIE = Signer(DEV_SEEDS["Ferdie"])
ED = Signer(ED_SEED, ED25519)
UNFUNDED = Signer("43" * 32)   # an account nobody funds


def plain(value):
    """JSON-safe copy of a decoded value (bytes → hex, tuples → lists)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return plain(getattr(value, "value", repr(value)))


def rpc_error(exc: BaseException):
    """The JSON-RPC error object inside a SubstrateRequestException.

    When a watched submission is refused, the client raises with `str(response)` of the whole
    JSON-RPC response; parse the `error` object back out of it (its text otherwise).
    """
    arg = exc.args[0] if exc.args else None
    if isinstance(arg, dict):
        return arg.get("error", arg)
    text = str(arg)
    try:
        parsed = ast.literal_eval(text[text.index("{"):])
    except (ValueError, SyntaxError):
        return text
    return parsed.get("error", parsed) if isinstance(parsed, dict) else text


class Driver:
    def __init__(self, substrate: AsyncSubstrateInterface):
        self.s = substrate
        self.steps: dict[str, dict] = {}

    async def step(self, name, coro_fn):
        try:
            facts = await coro_fn()
            self.steps[name] = {"ok": True, **(facts or {})}
        except Exception as exc:  # recorded, asserted on by pytest
            self.steps[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                                "traceback": traceback.format_exc()[-3000:]}

    async def free(self, address) -> int:
        return (await self.s.query("System", "Account", [address])).value["data"]["free"]

    async def account(self, address) -> dict:
        return plain((await self.s.query("System", "Account", [address])).value)

    async def transfer(self, signer, dest, amount, **kwargs):
        call = await self.s.compose_call("Balances", "transfer_keep_alive", {"dest": dest, "value": amount})
        return await self.s.create_signed_extrinsic(call=call, keypair=signer, **kwargs)

    async def receipt_facts(self, receipt) -> dict:
        events = []
        for event in await receipt.triggered_events:
            ev = event["event"] if "event" in event else event
            events.append({"module": ev.get("module_id"), "event": ev.get("event_id"),
                           "attributes": plain(ev.get("attributes"))})
        return {"is_success": await receipt.is_success, "error_message": plain(await receipt.error_message),
                "total_fee_amount": await receipt.total_fee_amount, "events": events,
                "block_hash": receipt.block_hash, "extrinsic_hash": receipt.extrinsic_hash}

    # ---------------------------------------------------------------- steps
    async def connect(self):
        runtime = await self.s.init_runtime()
        head = await self.s.get_chain_head()
        return {"chain": self.s.chain, "properties": plain(await self.s.properties),
                "metadata_v15": runtime.metadata_v15 is not None,
                "runtime_apis": sorted(runtime.runtime_api_map) if getattr(runtime, "runtime_api_map", None) else [],
                "head": head, "ss58_format": self.s.ss58_format,
                "existential_deposit": (await self.s.get_constant("Balances", "ExistentialDeposit")).value}

    async def read_alice(self):
        return {"address": ALICE.ss58_address, "public": "0x" + ALICE.public_key.hex(),
                "account": await self.account(ALICE.ss58_address)}

    async def sr25519_transfer(self):
        amount = 12_345_678
        before_a, before_b = await self.free(ALICE.ss58_address), await self.free(BOB.ss58_address)
        ext = await self.transfer(ALICE, BOB.ss58_address, amount)
        receipt = await self.s.submit_extrinsic(ext, wait_for_inclusion=True)
        facts = await self.receipt_facts(receipt)
        facts.update(amount=amount, before_alice=before_a, before_bob=before_b,
                     after_alice=await self.free(ALICE.ss58_address), after_bob=await self.free(BOB.ss58_address))
        return facts

    async def mortal_transfer(self):
        amount = 7_654_321
        before_a, before_b = await self.free(ALICE.ss58_address), await self.free(BOB.ss58_address)
        ext = await self.transfer(ALICE, BOB.ss58_address, amount, era={"period": 64})
        receipt = await self.s.submit_extrinsic(ext, wait_for_inclusion=True, wait_for_finalization=True)
        facts = await self.receipt_facts(receipt)
        facts.update(amount=amount, before_alice=before_a, before_bob=before_b, finalized=receipt.finalized,
                     after_alice=await self.free(ALICE.ss58_address), after_bob=await self.free(BOB.ss58_address))
        return facts

    async def ed25519_transfer(self):
        funding = await self.s.submit_extrinsic(await self.transfer(ALICE, ED.ss58_address, 10**12),
                                                wait_for_inclusion=True)
        funded = await funding.is_success
        amount = 10**9
        before_ed, before_b = await self.free(ED.ss58_address), await self.free(BOB.ss58_address)
        receipt = await self.s.submit_extrinsic(await self.transfer(ED, BOB.ss58_address, amount),
                                                wait_for_inclusion=True)
        facts = await self.receipt_facts(receipt)
        facts.update(funded=funded, amount=amount, address=ED.ss58_address, public="0x" + ED.public_key.hex(),
                     before_ed=before_ed, before_bob=before_b,
                     after_ed=await self.free(ED.ss58_address), after_bob=await self.free(BOB.ss58_address))
        return facts

    async def payment_info(self):
        call = await self.s.compose_call("Balances", "transfer_keep_alive",
                                         {"dest": BOB.ss58_address, "value": 10**6})
        info = plain(await self.s.get_payment_info(call, ALICE))
        ext = await self.s.create_signed_extrinsic(call=call, keypair=ALICE)
        receipt = await self.s.submit_extrinsic(ext, wait_for_inclusion=True)
        return {"info": info, "is_success": await receipt.is_success,
                "total_fee_amount": await receipt.total_fee_amount}

    async def runtime_calls(self):
        nonce_call = await self.s.runtime_call("AccountNonceApi", "account_nonce", [ALICE.ss58_address])
        return {"account_nonce": plain(nonce_call), "get_account_nonce": await self.s.get_account_nonce(
            ALICE.ss58_address), "chain_nonce": (await self.account(ALICE.ss58_address))["nonce"],
                "version": plain(await self.s.runtime_call("Core", "version", []))}

    async def rejected(self, ext) -> dict:
        """Submit (watching, as a wallet does) an extrinsic the pool must refuse; the node's JSON-RPC error."""
        try:
            await self.s.submit_extrinsic(ext, wait_for_inclusion=True)
        except SubstrateRequestException as exc:
            return {"exception": type(exc).__name__, "rpc_error": rpc_error(exc)}
        return {"exception": None, "rpc_error": None}

    async def stale_nonce(self):
        before = await self.account(ALICE.ss58_address)
        ext = await self.transfer(ALICE, BOB.ss58_address, 1_000, nonce=before["nonce"] - 1)
        facts = await self.rejected(ext)
        self.s.clear_nonce_cache_for_account(ALICE.ss58_address)
        await asyncio.sleep(2.5)  # two block times: had it been accepted it would be in a block now
        facts.update(before=before, after=await self.account(ALICE.ss58_address),
                     next_index=await self.s.get_account_next_index(ALICE.ss58_address, use_cache=False))
        return facts

    async def bad_signature(self):
        before = await self.account(ALICE.ss58_address)
        call = await self.s.compose_call("Balances", "transfer_keep_alive", {"dest": BOB.ss58_address, "value": 1_000})
        payload = await self.s.generate_signature_payload(call, era="00", nonce=before["nonce"])
        signature = bytearray(ALICE.sign(bytes(payload.data)))
        signature[5] ^= 0xFF  # the right signer, nonce and call: only the signature is wrong
        ext = await self.s.create_signed_extrinsic(call=call, keypair=ALICE, nonce=before["nonce"],
                                                   signature=bytes(signature))
        facts = await self.rejected(ext)
        self.s.clear_nonce_cache_for_account(ALICE.ss58_address)
        await asyncio.sleep(2.5)
        facts.update(before=before, after=await self.account(ALICE.ss58_address),
                     pending=(await self.s.rpc_request("author_pendingExtrinsics", []))["result"])
        return facts

    async def failed_dispatch(self):
        balance = await self.free(FERDIE.ss58_address)
        # below the existential deposit to an account that does not exist: a Balances (module) error
        receipt = await self.s.submit_extrinsic(await self.transfer(FERDIE, UNFUNDED.ss58_address, 1),
                                                wait_for_inclusion=True)
        facts = await self.receipt_facts(receipt)
        facts.update(before=balance, after=await self.free(FERDIE.ss58_address))
        return facts

    async def query_map(self):
        result = await self.s.query_map("System", "Account", page_size=5, max_results=100)
        accounts = {}
        async for key, value in result:
            accounts[plain(key)] = plain(value.value if hasattr(value, "value") else value)
        return {"count": len(accounts), "accounts": accounts}

    async def blocks(self):
        head = await self.s.get_chain_head()
        block = await self.s.get_block(head)
        header = await self.s.get_block_header(head)
        return {"head": head, "block_hash": block["header"]["hash"], "header_number": header["header"]["number"],
                "first_call": plain(block["extrinsics"][0].value["call"]["call_module"]),
                "hash_of_number": await self.s.get_block_hash(header["header"]["number"])}


async def main(url: str) -> dict:
    versions = {p: importlib_metadata.version(p) for p in ("async-substrate-interface", "cyscale")}
    out = {"versions": versions, "steps": {}}
    async with AsyncSubstrateInterface(url, ss58_format=SS58_FORMAT) as substrate:
        d = Driver(substrate)
        out["steps"] = d.steps
        for name in ("connect", "read_alice", "sr25519_transfer", "mortal_transfer", "ed25519_transfer",
                     "payment_info", "runtime_calls", "failed_dispatch", "stale_nonce", "bad_signature",
                     "query_map", "blocks"):
            await d.step(name, getattr(d, name))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} ws://HOST:PORT")
    result = asyncio.run(main(sys.argv[1]))
    sys.stdout.write(json.dumps(result, default=repr) + "\n")
