// Page load with 10,000 bots: from navigation to the first full table
// (laid out and painted), in headless Chromium. `npm run bench`; prints the
// figures and fails above 1 s.
import net from 'node:net';
import { Monitor, browser, check, step, until } from './harness.mjs';

const BOTS = Number(process.env.KISSMON_BENCH_BOTS || 10000);
const RUNS = 3;
const LIMIT_MS = 1000;

const monitor = new Monitor(['--check-every', '1s', '--metrics-every', '10s']);
let chromium;
let failed = false;
try {
  const url = await monitor.ready();
  step(`${BOTS} bots register (raw lines, heartbeat interval 600 s)`);
  const lines = [];
  for (let i = 0; i < BOTS; i += 1) {
    lines.push(JSON.stringify({ type: 'register', channel: `bot-${String(i).padStart(5, '0')}`, pid: process.pid, features: { llm: i % 2 === 0, quiz: i % 3 === 0 }, heartbeat_interval_s: 600 }));
  }
  await new Promise((resolve, reject) => {
    const conn = net.createConnection(monitor.socket, () => conn.end(`${lines.join('\n')}\n`, resolve));
    conn.on('error', reject);
  });
  await until(`${BOTS} bots online`, async () => (await monitor.get('/api/v1/bots?q=zzz')).counts.online === BOTS, 60000);
  chromium = await browser();
  const times = [];
  for (let run = 0; run < RUNS; run += 1) {
    const page = await chromium.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${url}/`);
    await page.waitForFunction((n) => window.kissmon && window.kissmon.state.firstRenderMs !== undefined
      && document.querySelectorAll('#bot-rows tr').length === n, BOTS, { timeout: 30000 });
    const s = await page.evaluate(() => {
      const { firstRenderMs, firstLoadAt, firstBuildMs } = window.kissmon.state;
      return { firstRenderMs, firstLoadAt, firstBuildMs };
    });
    times.push(s.firstRenderMs);
    // Where the time went: the bot list in and parsed, the rows built (script), then laid out and painted.
    console.log(`  run ${run + 1}: list in ${s.firstLoadAt.toFixed(0)} ms, rows built in ${s.firstBuildMs.toFixed(0)} ms, laid out and painted at ${s.firstRenderMs.toFixed(0)} ms`);
    await page.close();
  }
  times.sort((a, b) => a - b);
  console.log(`page load, ${BOTS} bots, first full table render: ${times.map((t) => `${t.toFixed(0)} ms`).join(', ')} (median ${times[1].toFixed(0)} ms, limit ${LIMIT_MS} ms)`);
  check(times[1] <= LIMIT_MS, `median first full render ${times[1].toFixed(0)} ms > ${LIMIT_MS} ms`);
} catch (err) {
  failed = true;
  console.error(err);
  console.error(monitor.log().split('\n').slice(-20).join('\n'));
} finally {
  if (chromium) await chromium.close();
  await monitor.stop();
}
process.exit(failed ? 1 : 0);
