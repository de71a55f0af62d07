import net from 'node:net';
import { Monitor, browser, until } from './harness.mjs';
const BOTS = 10000;
const monitor = new Monitor(['--check-every', '1s', '--metrics-every', '10s']);
let chromium;
try {
  const url = await monitor.ready();
  const lines = [];
  for (let i = 0; i < BOTS; i += 1) lines.push(JSON.stringify({ type: 'register', channel: `bot-${String(i).padStart(5, '0')}`, pid: process.pid, features: { llm: i % 2 === 0, quiz: i % 3 === 0 }, heartbeat_interval_s: 600 }));
  await new Promise((resolve, reject) => { const c = net.createConnection(monitor.socket, () => c.end(`${lines.join('\n')}\n`, resolve)); c.on('error', reject); });
  await until('online', async () => (await monitor.get('/api/v1/bots?q=zzz')).counts.online === BOTS, 60000);
  let t = Date.now(); const r = await fetch(`${url}/api/v1/bots`); const body = await r.text(); console.log(`node fetch /api/v1/bots: ${Date.now() - t} ms, ${body.length} bytes`);
  chromium = await browser();
  for (let run = 0; run < 3; run += 1) {
    const page = await chromium.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${url}/`);
    await page.waitForFunction((n) => window.kissmon && window.kissmon.state.firstRenderMs !== undefined && document.querySelectorAll('#bot-rows tr').length === n, BOTS, { timeout: 30000 });
    const r2 = await page.evaluate(() => {
      const s = window.kissmon.state;
      const res = performance.getEntriesByType('resource').map((e) => `${e.name.replace(location.origin, '')} start ${e.startTime.toFixed(0)} resp ${e.responseStart.toFixed(0)} end ${e.responseEnd.toFixed(0)}`);
      const nav = performance.getEntriesByType('navigation')[0];
      return { first: s.firstRenderMs, load: s.firstLoadAt, render: s.lastRenderMs, fetch: s.lastFetchMs, dcl: nav.domContentLoadedEventEnd, res };
    });
    console.log(JSON.stringify(r2, null, 1));
    await page.close();
  }
} finally { if (chromium) await chromium.close(); await monitor.stop(); }
