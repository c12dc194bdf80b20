// @polkadot/api 16.5.6 acceptance driver for the Agora dev node.
//
//   node tests/integration/js/pjs_driver.mjs ws://127.0.0.1:9944
//
// Drives an unmodified ApiPromise through a wallet's workflow and prints ONE JSON line on stdout:
// {"versions": {...}, "steps": {name: {ok: true, ...facts} | {ok: false, error, stack}}}.
// tests/integration/test_polkadot_js.py asserts on those facts; this script only records what the
// client saw, so one failing step never hides the others. Warnings and errors polkadot.js logs
// (unknown types, undecorated RPCs, ...) are captured into the output too.
import { ApiPromise, WsProvider, packageInfo as apiInfo } from '@polkadot/api';
import { Keyring, packageInfo as keyringInfo } from '@polkadot/keyring';
import { packageInfo as typesInfo } from '@polkadot/types';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, packageInfo as cryptoInfo } from '@polkadot/util-crypto';

const ED_SEED = '0x' + '22'.repeat(32);
const SLEEP_BLOCKS_MS = 2500; // two block times: anything accepted would be in a block by then

const logged = [];
for (const level of ['warn', 'error', 'info', 'log']) {
  // polkadot.js logs through console; keep stdout for the JSON result only
  console[level] = (...args) => {
    const text = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
    logged.push({ level, text });
    process.stderr.write(`[${level}] ${text}\n`);
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const plain = (value) => JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
const big = (codec) => codec.toBigInt().toString(); // u128 as a decimal string (JSON numbers lose precision)

function errorFacts (err) {
  return { message: err?.message ?? String(err), code: err?.code ?? null, data: err?.data ?? null };
}

class Driver {
  constructor (api) {
    this.api = api;
    this.steps = {};
  }

  async step (name, fn) {
    try {
      this.steps[name] = { ok: true, ...plain(await fn.call(this)) };
    } catch (err) {
      this.steps[name] = { ok: false, error: err?.message ?? String(err), stack: String(err?.stack ?? '').slice(0, 3000) };
    }
  }

  async account (address, at = null) {
    const query = at ? (await this.api.at(at)).query : this.api.query;
    const info = await query.system.account(address);
    return { nonce: info.nonce.toNumber(), free: big(info.data.free), reserved: big(info.data.reserved),
      frozen: big(info.data.frozen), providers: info.providers.toNumber() };
  }

  // signAndSend with a status callback; resolves once finalized with what the client reported.
  sendAndWatch (tx, pair, options = {}) {
    const { api } = this;
    return new Promise((resolve, reject) => {
      const statuses = [];
      let unsub = null;
      let facts = null;
      tx.signAndSend(pair, options, (result) => {
        const { status, events, dispatchError } = result;
        statuses.push(status.type);
        if (status.isInBlock) {
          facts = {
            txHash: tx.hash.toHex(),
            inBlock: status.asInBlock.toHex(),
            events: events.map(({ phase, event }) => ({
              phase: phase.toString(), section: event.section, method: event.method, data: event.data.toHuman(),
              json: event.data.toJSON()
            })),
            success: events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)),
            failed: events.some(({ event }) => api.events.system.ExtrinsicFailed.is(event)),
            dispatchError: null
          };
          if (dispatchError) {
            if (dispatchError.isModule) {
              const meta = api.registry.findMetaError(dispatchError.asModule);
              facts.dispatchError = { kind: 'Module', section: meta.section, name: meta.name, docs: meta.docs.join(' ') };
            } else {
              facts.dispatchError = { kind: dispatchError.type, text: dispatchError.toString() };
            }
          }
        } else if (status.isFinalized) {
          facts = { ...(facts ?? {}), finalized: status.asFinalized.toHex(), statuses };
          if (unsub) unsub();
          resolve(facts);
        } else if (status.isInvalid || status.isDropped || status.isUsurped || status.isRetracted || status.isFinalityTimeout) {
          if (unsub) unsub();
          reject(new Error(`transaction ${status.type}`));
        }
      }).then((u) => { unsub = u; }, reject);
    });
  }

  feeOf (facts) {
    const paid = facts.events.filter((e) => e.section === 'transactionPayment' && e.method === 'TransactionFeePaid');
    if (paid.length !== 1) throw new Error(`expected one TransactionFeePaid, got ${paid.length}`);
    return BigInt(paid[0].json[1]).toString();
  }

  // ------------------------------------------------------------------ steps
  async connect () {
    const { api } = this;
    const [chain, health] = await Promise.all([api.rpc.system.chain(), api.rpc.system.health()]);
    return {
      chain: chain.toString(),
      genesisHash: api.genesisHash.toHex(),
      specName: api.runtimeVersion.specName.toString(),
      specVersion: api.runtimeVersion.specVersion.toNumber(),
      metadataVersion: api.runtimeMetadata.version,
      unknownTypes: api.registry.unknownTypes,
      signedExtensions: api.registry.signedExtensions,
      existentialDeposit: big(api.consts.balances.existentialDeposit),
      ss58: api.registry.chainSS58,
      tokenSymbol: api.registry.chainTokens,
      tokenDecimals: api.registry.chainDecimals,
      peers: health.peers.toNumber(),
      hasCalls: { transferKeepAlive: !!api.tx.balances?.transferKeepAlive },
      hasCallApis: { paymentInfo: !!api.call.transactionPaymentApi?.queryInfo, nonce: !!api.call.accountNonceApi?.accountNonce }
    };
  }

  async readAlice () {
    return { address: this.alice.address, publicKey: u8aToHex(this.alice.publicKey), account: await this.account(this.alice.address) };
  }

  async transfer (pair, dest, amount, options = {}) {
    const tx = this.api.tx.balances.transferKeepAlive(dest, amount);
    const info = await tx.paymentInfo(pair, options); // same era as the real one: same length, same fee
    const beforeSender = await this.account(pair.address);
    const beforeDest = await this.account(dest);
    const facts = await this.sendAndWatch(tx, pair, options);
    const fee = this.feeOf(facts);
    const block = await this.api.rpc.chain.getBlock(facts.inBlock);
    const parent = block.block.header.parentHash.toHex();
    return {
      ...facts,
      amount: amount.toString(),
      era: tx.era.toHuman(),
      signer: pair.address,
      signatureType: tx.signature.toU8a().length,
      paymentInfo: { partialFee: big(info.partialFee), weight: info.weight.toJSON(), class: info.class.toString() },
      fee,
      before: { sender: beforeSender, dest: beforeDest },
      atParent: { sender: await this.account(pair.address, parent), dest: await this.account(dest, parent) },
      atBlock: { sender: await this.account(pair.address, facts.inBlock), dest: await this.account(dest, facts.inBlock) },
      extrinsicInBlock: block.block.extrinsics.some((ext) => ext.hash.toHex() === facts.txHash)
    };
  }

  async sr25519Transfer () {
    return this.transfer(this.alice, this.bob.address, 12_345_678n); // default options: mortal era
  }

  async ed25519Transfer () {
    const funding = await this.sendAndWatch(this.api.tx.balances.transferKeepAlive(this.ed.address, 10n ** 12n), this.alice);
    const facts = await this.transfer(this.ed, this.bob.address, 10n ** 9n, { era: 0 }); // immortal
    return { ...facts, funded: funding.success, edAddress: this.ed.address, edPublicKey: u8aToHex(this.ed.publicKey) };
  }

  async failedDispatch () {
    const { free } = await this.account(this.ferdie.address);
    // below the existential deposit to an account that does not exist: a Balances (module) error
    const unfunded = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Agora//Unfunded').address;
    const facts = await this.sendAndWatch(this.api.tx.balances.transferKeepAlive(unfunded, 1n), this.ferdie);
    return { ...facts, fee: this.feeOf(facts), before: free, after: (await this.account(this.ferdie.address)).free };
  }

  async rejected (submit) {
    try {
      await submit();
      return { rejected: false };
    } catch (err) {
      return { rejected: true, error: errorFacts(err) };
    }
  }

  async staleNonce () {
    const before = await this.account(this.alice.address);
    const tx = () => this.api.tx.balances.transferKeepAlive(this.bob.address, 1000n);
    // without a callback: author_submitExtrinsic; with one: author_submitAndWatchExtrinsic
    const plainSubmit = await this.rejected(() => tx().signAndSend(this.alice, { nonce: before.nonce - 1 }));
    const watched = await this.rejected(() => this.sendAndWatch(tx(), this.alice, { nonce: before.nonce - 1 }));
    await sleep(SLEEP_BLOCKS_MS);
    const nextIndex = (await this.api.rpc.system.accountNextIndex(this.alice.address)).toNumber();
    return { plainSubmit, watched, before, after: await this.account(this.alice.address), nextIndex };
  }

  async badSignature () {
    const before = await this.account(this.alice.address);
    const tx = this.api.tx.balances.transferKeepAlive(this.bob.address, 1000n);
    await tx.signAsync(this.alice, { nonce: before.nonce });
    const raw = tx.toU8a();
    // compact length (2 bytes), version (1), MultiAddress::Id (1+32), MultiSignature kind (1), then 64 bytes
    raw[2 + 1 + 33 + 1 + 5] ^= 0xff;
    const result = await this.rejected(() => this.api.rpc.author.submitExtrinsic(u8aToHex(raw)));
    await sleep(SLEEP_BLOCKS_MS);
    return { ...result, before, after: await this.account(this.alice.address) };
  }

  async entries () {
    const entries = await this.api.query.system.account.entries();
    const accounts = {};
    for (const [key, info] of entries) {
      accounts[key.args[0].toString()] = { nonce: info.nonce.toNumber(), free: big(info.data.free) };
    }
    return { count: entries.length, accounts };
  }

  async blockHashes () {
    const { api } = this;
    const head = await api.rpc.chain.getHeader();
    const numbers = new Set([0, 1, head.number.toNumber()]);
    for (const step of ['sr25519Transfer', 'ed25519Transfer']) {
      if (this.steps[step]?.inBlock) {
        numbers.add((await api.rpc.chain.getHeader(this.steps[step].inBlock)).number.toNumber());
      }
    }
    const checked = [];
    for (const n of numbers) {
      const nodeHash = (await api.rpc.chain.getBlockHash(n)).toHex();
      const header = await api.rpc.chain.getHeader(nodeHash);
      const block = await api.rpc.chain.getBlock(nodeHash);
      checked.push({ number: n, nodeHash, headerHash: header.hash.toHex(), blockHeaderHash: block.block.header.hash.toHex(),
        digestLogs: header.digest.logs.map((log) => log.type) });
    }
    // and the headers the node pushes on a subscription
    const pushed = await new Promise((resolve, reject) => {
      const seen = [];
      api.rpc.chain.subscribeNewHeads((header) => {
        seen.push({ number: header.number.toNumber(), headerHash: header.hash.toHex() });
        if (seen.length === 2) resolve(seen);
      }).then((unsub) => { this.unsubHeads = unsub; }, reject);
    });
    if (this.unsubHeads) this.unsubHeads();
    for (const p of pushed) p.nodeHash = (await api.rpc.chain.getBlockHash(p.number)).toHex();
    return { checked, pushed };
  }
}

async function main (url) {
  await cryptoWaitReady();
  const versions = Object.fromEntries([apiInfo, keyringInfo, cryptoInfo, typesInfo].map((p) => [p.name, p.version]));
  const out = { versions, steps: {}, logged };
  let api;
  try {
    api = await ApiPromise.create({ provider: new WsProvider(url), throwOnConnect: true, noInitWarn: false });
  } catch (err) {
    // ApiPromise.create throws when the connection fails; connect() is retried by the provider otherwise
    out.steps.connect = { ok: false, error: err?.message ?? String(err) };
    return out;
  }
  const d = new Driver(api);
  out.steps = d.steps;
  const sr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  d.alice = sr.addFromUri('//Alice');
  d.bob = sr.addFromUri('//Bob');
  d.ferdie = sr.addFromUri('//Ferdie');
  d.ed = new Keyring({ type: 'ed25519', ss58Format: 42 }).addFromSeed(hexToU8a(ED_SEED));
  for (const name of ['connect', 'readAlice', 'sr25519Transfer', 'ed25519Transfer', 'failedDispatch',
    'staleNonce', 'badSignature', 'entries', 'blockHashes']) {
    await d.step(name, d[name]);
  }
  await api.disconnect();
  return out;
}

const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: node pjs_driver.mjs ws://HOST:PORT\n');
  process.exit(2);
}
// a hard ceiling so a hung subscription can never hang the pytest run
const watchdog = setTimeout(() => { process.stderr.write('pjs_driver: timed out\n'); process.exit(3); }, 240_000);
main(url).then((out) => {
  clearTimeout(watchdog);
  process.stdout.write(JSON.stringify(plain(out)) + '\n', () => process.exit(0));
}, (err) => {
  clearTimeout(watchdog);
  process.stderr.write(`pjs_driver: ${err?.stack ?? err}\n`);
  process.exit(1);
});
