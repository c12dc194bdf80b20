// The devnet dashboard: @polkadot/api in the browser, one connection per node (bundled by esbuild).
import { ApiPromise, WsProvider } from '@polkadot/api';

const COLORS = ['#2f6fdf', '#e0672b', '#2a9d5c', '#a23fc9', '#c9a227', '#d43d6a', '#3aa6b9', '#6b6b6b'];
const MAX_POINTS = 40;       // block intervals per node in the chart
const MAX_BLOCKS = 8;        // rows in "Recent blocks"
const nodes = [];            // {url, api, chain, best, finalized, peers, stamps: [[number, ms]], error}
const recentBlocks = [];
let primary = null;          // the first node that connected: blocks, subnets and market come from it
let refreshing = false;

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const short = (s) => (s.length > 16 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s);
const group = (v) => BigInt(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
// rao (10^-9) as a decimal with all nine places: exact, and readable as TAO/alpha
const units = (v) => { const s = BigInt(v).toString().padStart(10, '0'); return `${group(s.slice(0, -9))}.${s.slice(-9)}`; };
const u16 = (v) => (Number(v) / 65535).toFixed(4);

function setStatus(text, error = false) {
  const el = $('#status');
  el.textContent = text;
  el.className = error ? 'err' : '';
}

// --- nodes ------------------------------------------------------------------------------------
function renderNodes() {
  $('#nodes tbody').innerHTML = nodes.map((n, i) => {
    const last = n.stamps.length > 1 ? ((n.stamps.at(-1)[1] - n.stamps.at(-2)[1]) / 1000).toFixed(2) + ' s' : '–';
    const state = n.error ? `<span class="err">${esc(n.error)}</span>` : esc(n.chain ?? 'connecting…');
    return `<tr data-url="${esc(n.url)}" data-best="${n.best ?? ''}" data-finalized="${n.finalized ?? ''}" data-peers="${n.peers ?? ''}">`
      + `<td><span class="swatch" style="background:${COLORS[i % COLORS.length]}"></span>${esc(n.url)}</td><td>${state}</td>`
      + `<td class="num best">${n.best ?? '–'}</td><td class="num finalized">${n.finalized ?? '–'}</td>`
      + `<td class="num peers">${n.peers ?? '–'}</td><td class="num">${last}</td></tr>`;
  }).join('');
  drawBlockTimes();
}

function drawBlockTimes() {
  const canvas = $('#block-times');
  const ctx = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height, L = 40, B = 20, T = 8;
  ctx.clearRect(0, 0, W, H);
  const series = nodes.map((n) => {
    const out = [];
    for (let i = 1; i < n.stamps.length; i++) {
      if (n.stamps[i][0] === n.stamps[i - 1][0] + 1) out.push((n.stamps[i][1] - n.stamps[i - 1][1]) / 1000);
    }
    return out.slice(-MAX_POINTS);
  });
  const top = Math.max(1, ...series.flat()) * 1.2;
  ctx.strokeStyle = '#d5d9df'; ctx.fillStyle = '#5b6678'; ctx.font = '11px "DejaVu Sans"'; ctx.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const y = T + (H - T - B) * (1 - k / 4);
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W, y); ctx.stroke();
    ctx.fillText((top * k / 4).toFixed(1), 4, y + 4);
  }
  ctx.fillText(`last ${MAX_POINTS} blocks →`, W - 110, H - 5);
  const step = (W - L - 10) / (MAX_POINTS - 1);
  series.forEach((pts, i) => {
    ctx.strokeStyle = COLORS[i % COLORS.length]; ctx.lineWidth = 2; ctx.beginPath();
    pts.forEach((v, j) => {
      const x = L + step * (MAX_POINTS - pts.length + j), y = T + (H - T - B) * (1 - v / top);
      j ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  });
}

async function watchNode(node) {
  const provider = new WsProvider(node.url);
  provider.on('disconnected', () => { node.error = 'disconnected'; renderNodes(); });
  provider.on('connected', () => { node.error = null; renderNodes(); });
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: false });
  node.api = api;
  node.chain = (await api.rpc.system.chain()).toString();
  if (!primary) { primary = node; watchBlocks(node); }
  await api.rpc.chain.subscribeNewHeads(async (header) => {
    const number = header.number.toNumber();
    node.best = number;
    try {
      const now = await api.query.timestamp.now.at(header.hash);
      node.stamps.push([number, now.toNumber()]);
      if (node.stamps.length > MAX_POINTS + 2) node.stamps.shift();
    } catch (e) { /* a pruned or reorged-away block: no point for it */ }
    renderNodes();
  });
  await api.rpc.chain.subscribeFinalizedHeads((header) => { node.finalized = header.number.toNumber(); renderNodes(); });
  const health = async () => {
    try { node.peers = (await api.rpc.system.health()).peers.toNumber(); renderNodes(); } catch (e) { /* reconnecting */ }
  };
  await health();
  setInterval(health, 3000);
}

// --- blocks and events (primary node) ---------------------------------------------------------------
function watchBlocks(node) {
  const { api } = node;
  api.rpc.chain.subscribeNewHeads(async (header) => {
    try {
      const [block, events] = await Promise.all([api.rpc.chain.getBlock(header.hash), api.query.system.events.at(header.hash)]);
      recentBlocks.unshift({
        number: header.number.toNumber(), hash: header.hash.toHex(),
        extrinsics: block.block.extrinsics.map((x) => `${x.method.section}.${x.method.method}`),
        events: events.map(({ event }) => `${event.section}.${event.method}`),
      });
      recentBlocks.splice(MAX_BLOCKS);
      $('#blocks tbody').innerHTML = recentBlocks.map((b) => `<tr data-number="${b.number}"><td class="num">${b.number}</td>`
        + `<td title="${b.hash}">${short(b.hash)}</td><td class="events">${esc(b.extrinsics.join(', '))}</td>`
        + `<td class="events">${esc(b.events.join(', '))}</td></tr>`).join('');
    } catch (e) { /* the block went away (reorg) before we read it */ }
    if (!refreshing) {
      refreshing = true;
      // one snapshot: every value on the page is read at this block (the test compares at its hash)
      api.at(header.hash)
        .then((at) => Promise.all([refreshSubnets(at, header), refreshMarket(at)]))
        .then(() => setStatus(`live · primary ${node.url} · #${header.number.toNumber()}`))
        .catch((e) => setStatus(`read failed: ${e.message}`, true))
        .finally(() => { refreshing = false; });
    }
  });
}

// --- subnets and their metagraph ---------------------------------------------------------------------
async function readMetagraph(api, netuid) {
  const st = api.query.subtensorModule;
  const n = (await st.subnetworkN(netuid)).toNumber();
  const uids = [...Array(n).keys()];
  const [hotkeys, incentive, dividends, emission, tempo, owner] = await Promise.all([
    n ? st.keys.multi(uids.map((uid) => [netuid, uid])) : [],
    st.incentive(netuid), st.dividends(netuid), st.emission(netuid), st.tempo(netuid), st.subnetOwner(netuid)]);
  const stake = n ? await st.totalHotkeyAlpha.multi(hotkeys.map((hk) => [hk, netuid])) : [];
  let nextEpoch = null;      // from the runtime API (SubnetInfoRuntimeApi), as the SDK reads it
  try {
    const next = await api.call.subnetInfoRuntimeApi.getNextEpochStartBlock(netuid);
    nextEpoch = next.isSome ? next.unwrap().toString() : null;
  } catch (e) { /* a runtime without the API: the header leaves it out */ }
  const at = (vec, uid) => (uid < vec.length ? vec[uid].toBigInt() : 0n);
  return {
    netuid, n, tempo: tempo.toNumber(), owner: owner.toString(), nextEpoch,
    neurons: uids.map((uid) => ({
      uid, hotkey: hotkeys[uid].toString(), stake: stake[uid].toBigInt(),
      incentive: at(incentive, uid), dividends: at(dividends, uid), emission: at(emission, uid),
    })),
  };
}

const BARS = [['stake', '#2f6fdf'], ['incentive', '#2a9d5c'], ['dividends', '#e0672b'], ['emission', '#a23fc9']];

function barChart(neurons) {
  const W = Math.max(320, neurons.length * 70 + 50), H = 150, B = 18, L = 40;
  const max = Object.fromEntries(BARS.map(([k]) => [k, neurons.reduce((m, x) => (x[k] > m ? x[k] : m), 0n)]));
  const gw = (W - L) / Math.max(1, neurons.length), bw = Math.min(14, (gw - 10) / BARS.length);
  let svg = `<svg class="bars" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans" font-size="11">`;
  svg += `<line x1="${L - 4}" y1="${H - B}" x2="${W}" y2="${H - B}" stroke="#9aa4b2"/>`;
  svg += `<text x="0" y="12" fill="#5b6678">share</text><text x="0" y="${H - B}" fill="#5b6678">0</text>`;
  neurons.forEach((x, i) => {
    BARS.forEach(([k, color], j) => {
      const frac = max[k] > 0n ? Number((x[k] * 10000n) / max[k]) / 10000 : 0;
      const h = (H - B - 16) * frac, px = L + gw * i + 4 + j * bw;
      svg += `<rect x="${px}" y="${H - B - h}" width="${bw - 2}" height="${h}" fill="${color}"><title>${k} ${x[k]}</title></rect>`;
    });
    svg += `<text x="${L + gw * i + 4}" y="${H - 4}" fill="#1d2330">uid ${x.uid}</text>`;
  });
  return svg + '</svg>';
}

function renderSubnet(mg) {
  const legend = BARS.map(([k, c]) => `<span><span class="swatch" style="background:${c}"></span>${k}</span>`).join('');
  const rows = mg.neurons.map((x) => `<tr data-uid="${x.uid}" data-hotkey="${x.hotkey}" data-stake="${x.stake}" `
    + `data-incentive="${x.incentive}" data-dividends="${x.dividends}" data-emission="${x.emission}">`
    + `<td class="num">${x.uid}</td><td title="${x.hotkey}">${short(x.hotkey)}</td><td class="num">${units(x.stake)}</td>`
    + `<td class="num">${u16(x.incentive)}</td><td class="num">${u16(x.dividends)}</td><td class="num">${units(x.emission)}</td></tr>`).join('');
  const epoch = mg.nextEpoch === null ? '' : ` · next epoch #${mg.nextEpoch}`;
  const title = `<h3>Subnet ${mg.netuid} · ${mg.n} neurons · tempo ${mg.tempo}${epoch} · owner ${short(mg.owner)}</h3>`;
  const div = `<div class="subnet" data-netuid="${mg.netuid}" data-next-epoch="${mg.nextEpoch ?? ''}">`;
  if (!mg.n) return `${div}${title}</div>`;
  return `${div}${title}`
    + `<div class="legend">${legend}<span class="muted">(each bar relative to the subnet's largest)</span></div>${barChart(mg.neurons)}`
    + `<table class="metagraph"><thead><tr><th>uid</th><th>hotkey</th><th>stake (α)</th><th>incentive</th><th>dividends</th><th>emission (α)</th></tr></thead>`
    + `<tbody>${rows}</tbody></table></div>`;
}

async function refreshSubnets(api, header) {
  const added = await api.query.subtensorModule.networksAdded.entries();
  const netuids = added.filter(([, v]) => v.isTrue).map(([k]) => k.args[0].toNumber()).sort((a, b) => a - b);
  const graphs = await Promise.all(netuids.map((netuid) => readMetagraph(api, netuid)));
  const el = $('#subnets');
  el.innerHTML = graphs.length ? graphs.map(renderSubnet).join('') : '<p class="muted">no subnets yet</p>';
  el.dataset.blockHash = header.hash.toHex();
  el.dataset.blockNumber = header.number.toString();
}

// --- market ------------------------------------------------------------------------------------------
function cell(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return esc(JSON.stringify(v));
  const s = String(v);
  return /^\d{10,}$/.test(s) ? units(s) : esc(s.startsWith('5') && s.length > 40 ? short(s) : s);
}

function table(title, entries, columns) {
  if (!entries.length) return `<h3>${title}</h3><p class="muted" data-market="${title}">none</p>`;
  const rows = entries.map(([id, v]) => `<tr><td class="num">${id}</td>${columns.map((c) => `<td>${cell(v[c])}</td>`).join('')}</tr>`);
  return `<h3>${title} (${entries.length})</h3><table data-market="${title}"><thead><tr><th>id</th>`
    + `${columns.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

async function refreshMarket(api) {
  const m = api.query.market;
  if (!m) { $('#market').innerHTML = '<p class="muted">no Market pallet in this runtime</p>'; return; }
  const read = async (item) => (await m[item].entries()).map(([k, v]) => [k.args[0].toString(), v.toPrimitive()])
    .sort((a, b) => Number(a[0]) - Number(b[0]));
  const [deployments, orders, bids, leases] = await Promise.all(['deployments', 'orders', 'bids', 'leases'].map(read));
  const escrow = deployments.reduce((sum, [, d]) => sum + BigInt(d.escrow), 0n);
  $('#market').innerHTML = `<p>escrow held: <b data-escrow="${escrow}">${units(escrow)}</b> in ${deployments.length} deployments</p>`
    + table('Deployments', deployments, ['owner', 'escrow', 'rate', 'settledAt', 'orders', 'leases'])
    + table('Orders', orders, ['deployment', 'group', 'createdAt', 'lease'])
    + table('Bids', bids, ['order', 'provider', 'price', 'deposit'])
    + table('Leases', leases, ['order', 'deployment', 'tenant', 'provider', 'price', 'paid']);
}

// --- start -------------------------------------------------------------------------------------------
async function main() {
  const config = await (await fetch('config.json')).json();
  for (const url of config.nodes) nodes.push({ url, stamps: [], error: null });
  renderNodes();
  nodes.forEach((node) => watchNode(node).catch((e) => { node.error = e.message; renderNodes(); }));
}

main().catch((e) => setStatus(`dashboard failed: ${e.message}`, true));
