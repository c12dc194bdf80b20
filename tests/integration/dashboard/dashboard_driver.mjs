// Opens `agora dashboard` in Debian's headless chromium (puppeteer-core), waits for live data, takes a
// screenshot and prints one JSON line of what the page shows. Usage:
//   node dashboard_driver.mjs DASHBOARD_URL SCREENSHOT_PATH NETUID MIN_UIDS
import puppeteer from 'puppeteer-core';

const [url, screenshot, netuid, minUids] = process.argv.slice(2);
const TIMEOUT = 120_000;
const facts = { console: [] };
let browser;
try {
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,1400'],
    defaultViewport: { width: 1280, height: 1400 },
  });
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') facts.console.push(m.text()); });
  page.on('pageerror', (e) => facts.console.push(String(e)));
  // every request the page makes must stay on this machine (nothing from a CDN)
  facts.requests = [];
  page.on('request', (r) => facts.requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT });

  const liveBest = () => page.$eval('#nodes tbody tr', (tr) => Number(tr.dataset.best || -1));
  await page.waitForFunction(() => Number(document.querySelector('#nodes tbody tr')?.dataset.best || -1) >= 0,
    { timeout: TIMEOUT });
  const first = await liveBest();
  // a few blocks, so the block-time chart and the recent blocks have something to show
  await page.waitForFunction((n) => Number(document.querySelector('#nodes tbody tr').dataset.best) > n + 4,
    { timeout: TIMEOUT }, first);
  facts.best = [first, await liveBest()];

  const rowsSel = `.subnet[data-netuid="${netuid}"] tr[data-uid]`;
  await page.waitForFunction((sel, n) => document.querySelectorAll(sel).length >= n,
    { timeout: TIMEOUT }, rowsSel, Number(minUids));
  // take the table and the block it was read at in one go (the page re-renders every block)
  Object.assign(facts, await page.evaluate((sel) => {
    const subnets = document.querySelector('#subnets');
    return {
      blockHash: subnets.dataset.blockHash,
      nextEpoch: document.querySelector(sel.split(' ')[0]).dataset.nextEpoch,
      rows: [...document.querySelectorAll(sel)].map((tr) => ({
        ...tr.dataset, cells: [...tr.querySelectorAll('td')].map((td) => td.textContent) })),
      bars: document.querySelectorAll(`.subnet svg.bars rect`).length,
      nodes: [...document.querySelectorAll('#nodes tbody tr')].map((tr) => ({ ...tr.dataset, text: tr.textContent })),
      blocks: [...document.querySelectorAll('#blocks tbody tr')].map((tr) => tr.textContent),
      escrow: document.querySelector('#market [data-escrow]').dataset.escrow,
      marketCounts: Object.fromEntries([...document.querySelectorAll('#market [data-market]')].map(
        (el) => [el.dataset.market, el.querySelectorAll('tbody tr').length])),
      status: document.querySelector('#status').textContent,
    };
  }, rowsSel));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify(facts));
} catch (e) {
  console.log(JSON.stringify({ ...facts, error: String(e && e.stack || e) }));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}
