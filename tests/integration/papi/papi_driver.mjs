// polkadot-api (PAPI) 2.2.2, unmodified, against an Agora node over the new JSON-RPC spec only:
// the raw WebSocket provider (no legacy-RPC middleware), so every read and the transfer go through
// chainHead_v1 / transaction_v1. Prints one JSON line of facts for tests/integration/test_papi.py.
import { createClient } from "polkadot-api";
import { getWsRawProvider } from "polkadot-api/ws";
import { WebSocket } from "ws"; // Node 20 has no global WebSocket
import { getPolkadotSigner } from "polkadot-api/signer";
import { sr25519CreateDerive } from "@polkadot-labs/hdkd";
import { DEV_PHRASE, entropyToMiniSecret, mnemonicToEntropy, ss58Address } from "@polkadot-labs/hdkd-helpers";

const url = process.argv[2];
const methods = new Set();
const raw = getWsRawProvider(url, { websocketClass: WebSocket });
const provider = (onMessage) => {
  const connection = raw(onMessage);
  return {
    send: (message) => {
      methods.add(typeof message === "string" ? JSON.parse(message).method : message.method);
      connection.send(message);
    },
    disconnect: () => connection.disconnect(),
  };
};

const derive = sr25519CreateDerive(entropyToMiniSecret(mnemonicToEntropy(DEV_PHRASE)));
const alice = derive("//Alice");
const bob = derive("//Bob");
const aliceSigner = getPolkadotSigner(alice.publicKey, "Sr25519", alice.sign);
const ALICE = ss58Address(alice.publicKey, 42);
const BOB = ss58Address(bob.publicKey, 42);
const AMOUNT = 1_234_567_890n;

const facts = { alice: ALICE, bob: BOB, amount: AMOUNT.toString() };
const client = createClient(provider);
const timeout = setTimeout(() => {
  console.log(JSON.stringify({ ...facts, error: "timed out", methods: [...methods] }));
  process.exit(2);
}, 240_000);
try {
  const api = client.getUnsafeApi();
  const finalized = await client.getFinalizedBlock();
  facts.finalizedAtStart = { hash: finalized.hash, number: finalized.number };
  facts.chainName = (await client.getChainSpecData()).name;
  facts.existentialDeposit = (await api.constants.Balances.ExistentialDeposit()).toString();
  const before = await api.query.System.Account.getValue(BOB);
  facts.bobFreeBefore = before.data.free.toString();
  facts.aliceNonceBefore = before ? (await api.query.System.Account.getValue(ALICE)).nonce : null;

  const tx = api.tx.Balances.transfer_keep_alive({ dest: { type: "Id", value: BOB }, value: AMOUNT });
  facts.estimatedFees = (await tx.getEstimatedFees(ALICE)).toString();
  const seen = [];
  const result = await new Promise((resolve, reject) => {
    tx.signSubmitAndWatch(aliceSigner).subscribe({
      next: (event) => {
        seen.push(event.type);
        if (event.type === "finalized") resolve(event);
      },
      error: reject,
    });
  });
  facts.txEvents = seen;
  facts.ok = result.ok;
  facts.block = { hash: result.block.hash, number: result.block.number, index: result.block.index };
  facts.txHash = result.txHash;
  facts.events = result.events.map((e) => `${e.type}.${e.value.type}`);
  const fee = result.events.find((e) => e.type === "TransactionPayment" && e.value.type === "TransactionFeePaid");
  facts.actualFee = fee ? fee.value.value.actual_fee.toString() : null;
  const after = await api.query.System.Account.getValue(BOB, { at: result.block.hash });
  facts.bobFreeAfter = after.data.free.toString();
  facts.methods = [...methods].sort();
  console.log(JSON.stringify(facts));
} catch (error) {
  console.log(JSON.stringify({ ...facts, error: String(error && error.stack || error), methods: [...methods] }));
  process.exitCode = 1;
} finally {
  clearTimeout(timeout);
  client.destroy();
}
