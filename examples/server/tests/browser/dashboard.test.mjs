// The dashboard in a real headless Chromium, against a real monitor with
// real bots. Every wait is for an event (a row's attribute, a count); none
// is for a quiet period. Screenshots go to target/dashboard/.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, Monitor, OUT, browser, check, rowStatus, step, until, watch } from './harness.mjs';

async function tokenFlow(chromiumBrowser) {
  const guarded = new Monitor(['--http-token', 'tok-browser-7', '--check-every', '250ms']);
  try {
    const url = await guarded.ready();
    guarded.startBot('guarded');
    const context = await chromiumBrowser.newContext();
    const page = await context.newPage();
    const seen = watch(page);
    await page.goto(`${url}/`);
    await page.waitForSelector('#token-box:not([hidden])');
    check(await page.evaluate(() => document.querySelector('link[rel=preload]') === null), 'no tokenless preload with a token');
    await page.fill('#token-input', 'wrong');
    await page.click('#token-save');
    await page.waitForFunction(() => document.getElementById('token-error').textContent.includes('refused'));
    await page.fill('#token-input', 'tok-browser-7');
    await page.click('#token-save');
    await page.waitForFunction(() => [...document.querySelectorAll('#bot-rows tr')]
      .some((tr) => tr.getAttribute('data-channel') === 'guarded' && tr.getAttribute('data-status') === 'online'));
    await page.waitForFunction(() => document.getElementById('live').getAttribute('data-state') === 'live');
    check(await page.evaluate(() => sessionStorage.getItem('kissmon-token')) === 'tok-browser-7', 'the token is kept in sessionStorage');
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#bot-rows tr').length === 1);
    check(await page.isHidden('#token-box'), 'after a reload in the same session it does not ask again');
    check(!(await page.evaluate(() => localStorage.length)), 'nothing in localStorage');
    check(seen.csp.length === 0, `no CSP violation: ${seen.csp}`);
    await context.close();
  } finally {
    await guarded.stop();
  }
}

// The demo's fleet with a dead and a stale bot on screen: the README's picture.
async function demoScreenshot(chromiumBrowser) {
  const demo = spawn(BIN, ['demo', '--duration', '20', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  demo.stdout.on('data', (chunk) => { out += chunk; });
  try {
    const url = await until('the demo prints its dashboard URL', () => /dashboard and API: (http:\/\/\S+\/) /.exec(out)?.[1]);
    check(out.split('\n').findIndex((l) => l.includes('dashboard and API:')) <= 1, `the URL is printed first:\n${out}`);
    const page = await chromiumBrowser.newPage({ viewport: { width: 1280, height: 720 } });
    const seen = watch(page);
    await page.goto(url);
    const statusOf = (c) => page.evaluate((ch) => [...document.querySelectorAll('#bot-rows tr')]
      .find((tr) => tr.getAttribute('data-channel') === ch)?.getAttribute('data-status'), c);
    await until('crashy dead and silent_sam stale on the demo dashboard',
      async () => (await statusOf('crashy')) === 'dead' && (await statusOf('silent_sam')) === 'stale', 20000);
    // The alert panel shows the BotDead alert the demo's crash fired (from /api/v1/alerts, as text).
    await until('BotDead for crashy in the alert panel', () => page.evaluate(() => [...document.querySelectorAll('#rule-alert-list li')]
      .some((li) => li.textContent.includes('BotDead') && li.querySelector('.alert-channel')?.textContent.includes('crashy')
        && li.getAttribute('data-state') === 'firing')), 20000);
    await page.screenshot({ path: path.join(OUT, 'dashboard-demo.png') });
    check(seen.errors.length === 0 && seen.csp.length === 0, `demo page errors: ${seen.errors} ${seen.csp}`);
    await page.close();
  } finally {
    demo.kill('SIGINT');
  }
}

const CHECK_EVERY_MS = 250;
const HOSTILE = ['<img src=x onerror=alert(1)>', '"><script>window.__pwned=1</script>'];

const monitor = new Monitor([
  '--check-every', `${CHECK_EVERY_MS}ms`, '--stale-floor', '1s', '--status-flush-every', '250ms', '--metrics-every', '1s',
]);
let chromium;
let failed = false;
try {
  const url = await monitor.ready();
  fs.mkdirSync(OUT, { recursive: true });
  const fleet = ['translator', 'quizbot', 'crashy', 'flaky', ...HOSTILE];
  for (const channel of fleet) monitor.startBot(channel);
  // Every other string of a row comes from the bot too: a feature name and a language.
  const hostileFeature = '<img src=x onerror=alert(2)>';
  const hostileLang = '"><script>window.__pwned=2</script>';
  await monitor.sendLines([{
    type: 'register', channel: 'hostile-fields', pid: process.pid, features: { [hostileFeature]: true }, heartbeat_interval_s: 600,
    sdk: { lang: hostileLang, version: '<b>1</b>' },
  }]);
  let logged = await monitor.logUsage('ledger', 'ledger-model', 'audit', 1000, 234, 5);

  chromium = await browser();
  const page = await chromium.newPage({ viewport: { width: 1440, height: 1000 } });
  const seen = watch(page);
  await page.goto(`${url}/`);
  await page.waitForFunction(() => window.kissmon && window.kissmon.state.firstLoadAt !== undefined);
  const firstLists = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => new URL(e.name).pathname === '/api/v1/bots' && e.startTime <= window.kissmon.state.firstLoadAt).length);
  check(firstLists === 1, `the first bot list was fetched once (the script took the preload), not ${firstLists} times`);

  step('every bot has its row with the right data-status');
  await until('every bot online in the API', async () => {
    const list = await monitor.get('/api/v1/bots');
    return fleet.every((c) => list.bots.some((b) => b.channel === c && b.status === 'online'));
  });
  for (const channel of fleet) {
    await page.waitForFunction((c) => [...document.querySelectorAll('#bot-rows tr')]
      .some((tr) => tr.getAttribute('data-channel') === c && tr.getAttribute('data-status') === 'online'), channel);
  }
  const api = await monitor.get('/api/v1/bots');
  for (const bot of api.bots) check((await rowStatus(page, bot.channel)) === bot.status, `row of ${bot.channel} is ${bot.status}`);

  step('hostile channels render literally, nothing runs, no dialog opens');
  const texts = await page.$$eval('#bot-rows tr', (rows) => rows.map((tr) => tr.children[0].textContent));
  for (const channel of HOSTILE) check(texts.includes(channel), `the channel ${channel} is shown as text`);
  await page.waitForFunction(() => document.querySelector('#bot-rows tr[data-channel="hostile-fields"]'));
  const cells = await page.$eval('#bot-rows tr[data-channel="hostile-fields"]', (tr) => [...tr.children].map((td) => td.textContent));
  check(cells[5] === hostileLang && cells[6] === hostileFeature, `a hostile language and feature are shown as text: ${cells}`);
  check((await page.$$('#bot-rows img, #bot-rows script, #event-log img')).length === 0, 'no element was injected');
  check(await page.evaluate(() => window.__pwned === undefined), 'no injected script ran');
  check(seen.dialogs.length === 0, `no dialog opened: ${seen.dialogs}`);

  step('a bot killed with SIGKILL turns dead without a reload, within the check interval + 1 s');
  const killedAt = Date.now();
  monitor.kill('crashy');
  await page.waitForFunction(() => [...document.querySelectorAll('#bot-rows tr')]
    .some((tr) => tr.getAttribute('data-channel') === 'crashy' && tr.getAttribute('data-status') === 'dead'), null,
  { polling: 'raf', timeout: 10000 });
  const deadAfter = Date.now() - killedAt;
  console.log(`   crashy dead on screen ${deadAfter} ms after SIGKILL (limit ${CHECK_EVERY_MS + 1000} ms)`);
  check(deadAfter <= CHECK_EVERY_MS + 1000, `dead on screen after ${deadAfter} ms`);

  step('the stream is cut; transitions happen meanwhile; after it resumes none is missing');
  const cutAt = new Date().toISOString();
  const before = await page.evaluate(() => ({ connects: window.kissmon.state.connects, resets: window.kissmon.state.resets }));
  await page.evaluate(() => window.kissmon.cut(60000));
  await page.waitForFunction(() => document.getElementById('live').getAttribute('data-state') === 'down');
  monitor.kill('flaky');
  monitor.startBot('latecomer');
  await until('flaky dead and latecomer online in the API', async () => {
    const list = await monitor.get('/api/v1/bots');
    const status = (c) => list.bots.find((b) => b.channel === c)?.status;
    return status('flaky') === 'dead' && status('latecomer') === 'online';
  });
  await page.evaluate(() => window.kissmon.cut(0));
  await page.waitForFunction((n) => window.kissmon.state.connects > n, before.connects);
  await page.waitForFunction(() => [...document.querySelectorAll('#bot-rows tr')]
    .some((tr) => tr.getAttribute('data-channel') === 'flaky' && tr.getAttribute('data-status') === 'dead'));
  const stored = (await monitor.get('/api/v1/transitions?limit=1000')).transitions
    .filter((t) => t.ts >= cutAt).map((t) => `${t.channel} ${t.to} ${t.ts}`).sort();
  const received = (await page.evaluate(() => window.kissmon.state.statusEvents))
    .filter((e) => e.at >= cutAt).map((e) => `${e.channel} ${e.to} ${e.at}`).sort();
  check(stored.length >= 2, `transitions happened while cut: ${stored}`);
  check(JSON.stringify(received) === JSON.stringify(stored), `the page got every transition:\n page ${received}\n  api ${stored}`);
  const after = await page.evaluate(() => window.kissmon.state.resets);
  check(after === before.resets, 'it resumed with Last-Event-ID, without a reset');

  step('the fleet screenshots (light and dark)');
  await page.waitForFunction(() => [...document.querySelectorAll('#bot-rows tr')]
    .some((tr) => tr.getAttribute('data-channel') === 'latecomer' && tr.getAttribute('data-status') === 'online'));
  await page.screenshot({ path: path.join(OUT, 'dashboard-fleet.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(OUT, 'dashboard-fleet-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  step('the usage chart totals equal the tokens logged, at load and live');
  await page.click('button[data-view="usage"]');
  const ledgerTokens = () => page.evaluate(() => {
    const box = document.getElementById('usage-chart');
    return JSON.parse(box.getAttribute('data-series-tokens') || '{}')['ledger-model'] || 0;
  });
  await until(`the chart's ledger-model series at ${logged} tokens`, async () => (await ledgerTokens()) === logged);
  logged += await monitor.logUsage('ledger', 'ledger-model', 'audit', 17, 3, 4);
  await until(`the chart's ledger-model series at ${logged} tokens, live`, async () => (await ledgerTokens()) === logged);
  const sums = await page.evaluate(() => ({
    chart: Number(document.getElementById('usage-chart').getAttribute('data-chart-tokens')),
    total: Number(document.getElementById('usage-total').getAttribute('data-tokens')),
  }));
  check(sums.chart === sums.total, `the chart sums to the range total: ${JSON.stringify(sums)}`);
  await page.waitForFunction(() => [...document.querySelectorAll('#usage-rows tr')]
    .some((tr) => tr.getAttribute('data-channel') === 'ledger' && tr.children[3].textContent === '9'));
  const ledgerRow = await page.evaluate(() => [...[...document.querySelectorAll('#usage-rows tr')]
    .find((tr) => tr.getAttribute('data-channel') === 'ledger').children].map((td) => td.textContent));
  check(ledgerRow[3] === '9' && ledgerRow[7] !== '–' && ledgerRow[8] !== '–', `ledger row: calls and p50/p95 shown: ${ledgerRow}`);
  await page.screenshot({ path: path.join(OUT, 'dashboard-usage.png') });

  step('the bot detail view');
  await page.click('button[data-view="fleet"]');
  await page.evaluate(() => [...document.querySelectorAll('#bot-rows tr')].find((tr) => tr.getAttribute('data-channel') === 'flaky').click());
  await page.waitForFunction(() => document.getElementById('detail').getAttribute('data-channel') === 'flaky' && !document.getElementById('detail').hidden);
  const tos = await page.$$eval('#detail-transitions li', (items) => items.map((li) => li.getAttribute('data-to')));
  check(tos.includes('dead') && tos.includes('online'), `flaky's transitions: ${tos}`);

  check(seen.dialogs.length === 0, `no dialog opened: ${seen.dialogs}`);
  check(seen.csp.length === 0, `no CSP violation: ${seen.csp}`);
  check(seen.errors.length === 0, `no page error: ${seen.errors}`);

  step('with a token: the page asks once, keeps it for the session, sends it as a bearer header');
  await tokenFlow(chromium);

  step('`kissmon-server demo` serves the dashboard at the URL it prints first; the README screenshot');
  await demoScreenshot(chromium);
  console.log(`ok: dashboard browser test; screenshots in ${OUT}`);
} catch (err) {
  failed = true;
  console.error(err);
  console.error(`--- monitor log (tail)\n${monitor.log().split('\n').slice(-40).join('\n')}`);
} finally {
  if (chromium) await chromium.close();
  await monitor.stop();
}
process.exit(failed ? 1 : 0);
