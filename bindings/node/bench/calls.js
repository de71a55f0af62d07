// Per-call cost of heartbeat() and logLlmUsage() from JS, with a monitor
// that is stuck (accepts, never reads), absent, and reading (in another
// process), next to baselines: an empty napi function, a napi-rs class
// getter (what a class method costs before doing anything), and the timer;
// and next to the peer, hot-shots (a StatsD client) reporting the same LLM
// call as its users do (two tagged counters and a distribution) over UDP to
// a socket that never reads. Prints medians and p99.9, and the ratios.
// Then the paced path, the one real bots take: one call every 200 µs (the
// thread sleeps in between) to a monitor that reads, each call timed alone,
// with p50, p99, p99.9 and max. Between two calls the core's sender has
// written everything; it lingers, so no call wakes it.
//
//   node bench/calls.js            the figures for the README
//   node bench/calls.js --quick    a tenth of the calls
//   node bench/calls.js --smoke    a few calls, to check that it runs
//   node bench/calls.js --paced    only the paced path
//   node bench/calls.js --against DIR
//                                  also pace the calls of another build of
//                                  this package (a folder like this one, its
//                                  addon built, e.g. a checkout of main), in
//                                  the same run: before and after, side by side
//
// Two measurements per row:
// - batch: process.hrtime.bigint() around 100 calls, divided by 100; the
//   distribution is over batches. Timer overhead (~25 ns a read) vanishes,
//   but a rare slow call is averaged with 99 others.
// - single: each call timed alone; includes the timer's own cost, printed
//   on the "timer only" row, and shows the slow calls batches hide.
'use strict'

const StatsD = require('hot-shots')
const { spawn } = require('node:child_process')
const { once } = require('node:events')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { MonitorClient } = require('..')
const native = require('../native.js')

const SIZE = process.argv.includes('--smoke') ? 0.01 : process.argv.includes('--quick') ? 0.1 : 1
const BATCH = 100
const BATCHES = 20_000 * SIZE
const SINGLES = 1_000_000 * SIZE
const WARMUP = 100_000 * SIZE
const [BATCHES_ALL, SINGLES_ALL, WARMUP_ALL] = [BATCHES, SINGLES, WARMUP]
const PACED_CALLS = 20_000 * SIZE
const PACE_NS = 200_000n
const TARGET_P50_NS = 1000
const AGAINST_AT = process.argv.indexOf('--against')
const AGAINST = AGAINST_AT < 0 ? null : path.resolve(process.argv[AGAINST_AT + 1])

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function batched(call) {
  const perCall = new Float64Array(BATCHES)
  for (let b = 0; b < BATCHES; b++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < BATCH; i++) call(i)
    perCall[b] = Number(process.hrtime.bigint() - start) / BATCH
  }
  return perCall.sort()
}

function single(call) {
  const each = new Float64Array(SINGLES)
  for (let i = 0; i < SINGLES; i++) {
    const start = process.hrtime.bigint()
    call(i)
    each[i] = Number(process.hrtime.bigint() - start)
  }
  return each.sort()
}

function measure(call) {
  for (let i = 0; i < WARMUP; i++) call(i)
  const batch = batched(call)
  const one = single(call)
  return { batchP50: percentile(batch, 50), batchP999: percentile(batch, 99.9), singleP50: percentile(one, 50), singleP999: percentile(one, 99.9) }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** One call every PACE_NS, the thread asleep in between; each call timed alone. */
function paced(call) {
  const each = new Float64Array(PACED_CALLS)
  let next = process.hrtime.bigint()
  for (let i = 0; i < PACED_CALLS; i++) {
    next += PACE_NS
    const waitMs = Number(next - process.hrtime.bigint()) / 1e6
    if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs)
    const start = process.hrtime.bigint()
    call(i)
    each[i] = Number(process.hrtime.bigint() - start)
  }
  each.sort()
  return { p50: percentile(each, 50), p99: percentile(each, 99), p999: percentile(each, 99.9), max: each[each.length - 1] }
}

async function pacedScenario(socket) {
  const monitor = await readingMonitor(socket)
  const client = new MonitorClient('bench', { socketPath: socket })
  client.register({ llm: true })
  if (!(await client.flush(5000))) throw new Error(`the reading monitor is not up: ${JSON.stringify(client.stats())}`)
  const other = AGAINST === null ? null : new (require(AGAINST).MonitorClient)('bench-against', { socketPath: socket })
  other?.register({ llm: true })
  if (other !== null && !(await other.flush(5000))) throw new Error(`--against: the reading monitor is not up: ${JSON.stringify(other.stats())}`)
  const rows = [['heartbeat()', paced(() => client.heartbeat())]]
  if (other !== null) rows.push(['heartbeat() --against', paced(() => other.heartbeat())])
  rows.push(['logLlmUsage()', paced((i) => client.logLlmUsage(usage(i)))])
  if (other !== null) rows.push(['logLlmUsage() --against', paced((i) => other.logLlmUsage(usage(i)))])
  // The floor: what any call into the addon costs right after a sleep.
  rows.push(['empty napi fn', paced(() => native.defaultHeartbeatIntervalMs())])
  rows.push(['timer only', paced(() => {})])
  await client.flush(5000)
  const stats = client.stats()
  await client.close(2000)
  await other?.close(2000)
  monitor.stop()
  return { rows, stats }
}

const usage = (i) => ({ model: 'gpt-4', feature: 'jokes', tokensIn: 100 + (i & 63), tokensOut: 50, latencyMs: 1850, provider: 'openai' })

/** The peer makes a send syscall per metric, ~100x our cost: it gets a tenth of the calls. */
const PEER_SHARE = 10

/**
 * The peer's call, measured like ours, but in slices between which the event
 * loop runs: hot-shots sends asynchronously, and without the loop its
 * pending sends would pile up in memory.
 */
async function measurePeer(call) {
  const [WARMUP, BATCHES, SINGLES] = [WARMUP_ALL, BATCHES_ALL, SINGLES_ALL].map((n) => Math.ceil(n / PEER_SHARE))
  // About 1000 calls between two turns of the loop, in each mode.
  const slice = async (n, body, size = 1000) => {
    for (let done = 0; done < n; done += size) {
      body(Math.min(size, n - done), done)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await slice(WARMUP, (n, at) => { for (let i = 0; i < n; i++) call(at + i) })
  const batch = new Float64Array(BATCHES)
  await slice(BATCHES, (n, at) => {
    for (let b = at; b < at + n; b++) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < BATCH; i++) call(i)
      batch[b] = Number(process.hrtime.bigint() - start) / BATCH
    }
  }, 1000 / BATCH)
  const one = new Float64Array(SINGLES)
  await slice(SINGLES, (n, at) => {
    for (let i = at; i < at + n; i++) {
      const start = process.hrtime.bigint()
      call(i)
      one[i] = Number(process.hrtime.bigint() - start)
    }
  })
  batch.sort()
  one.sort()
  return { batchP50: percentile(batch, 50), batchP999: percentile(batch, 99.9), singleP50: percentile(one, 50), singleP999: percentile(one, 99.9) }
}

/** A UDP socket in another process that never reads: its loop is blocked for good. */
async function deafUdpSink() {
  const code = `const s = require('node:dgram').createSocket('udp4'); s.bind(0, '127.0.0.1', () => { console.log(s.address().port); setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 50) })`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [data] = await once(child.stdout, 'data')
  await new Promise((resolve) => setTimeout(resolve, 200))
  return { port: Number(String(data).trim()), stop: () => child.kill() }
}

/** hot-shots reporting one LLM call (the fields of `usage`) as its users write it. */
async function peer() {
  const sink = await deafUdpSink()
  const statsd = new StatsD({ host: '127.0.0.1', port: sink.port, prefix: 'llm.', errorHandler: () => {} })
  const llmCall = (i) => {
    const u = usage(i)
    const tags = { model: u.model, feature: u.feature, provider: u.provider }
    statsd.increment('tokens_in', u.tokensIn, tags)
    statsd.increment('tokens_out', u.tokensOut, tags)
    statsd.distribution('latency_ms', u.latencyMs, tags)
  }
  const figures = await measurePeer(llmCall)
  await new Promise((resolve) => statsd.close(resolve))
  sink.stop()
  return figures
}

async function stuckMonitor(socket) {
  const connections = []
  const server = net.createServer({ pauseOnConnect: true }, (conn) => connections.push(conn))
  await new Promise((resolve) => server.listen(socket, resolve))
  return { stop: () => { connections.forEach((c) => c.destroy()); server.close() }, connections }
}

/** A monitor in another process, reading and discarding as fast as it can. */
async function readingMonitor(socket) {
  const code = `require('node:net').createServer((c) => c.on('data', () => {})).listen(${JSON.stringify(socket)}, () => console.log('ready'))`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  await once(child.stdout, 'data')
  return { stop: () => child.kill() }
}

async function scenario(name, socket, setUp, Client = MonitorClient, label = '') {
  const monitor = await setUp(socket)
  const client = new Client('bench', { socketPath: socket })
  client.register({ llm: true })
  await client.flush(name === 'absent' ? 10 : 2000)
  if (name === 'stuck') {
    // Fill the socket's buffers first, so that the sender is blocked on a full socket throughout.
    for (let i = 0; i < 20_000; i++) client.logLlmUsage(usage(i))
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const rows = [
    [name, `heartbeat()${label}`, measure(() => client.heartbeat())],
    [name, `logLlmUsage()${label}`, measure((i) => client.logLlmUsage(usage(i)))],
  ]
  const stats = client.stats()
  await client.close(0)
  monitor?.stop()
  return { rows, stats }
}

function format(ns) {
  return `${ns.toFixed(0).padStart(7)} ns`
}

const load = () => `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`

/** Back to back calls, with a monitor that is stuck, absent and reading, beside the baselines and the peer. */
async function backToBack(dir) {
  const results = []
  const stuck = await scenario('stuck', path.join(dir, 'stuck.sock'), stuckMonitor)
  if (stuck.stats.queued === 0 || stuck.stats.coalesced === 0) throw new Error(`the monitor was not stuck: ${JSON.stringify(stuck.stats)}`)
  results.push(...stuck.rows)
  if (AGAINST !== null) {
    const other = await scenario('stuck', path.join(dir, 'stuck-against.sock'), stuckMonitor, require(AGAINST).MonitorClient, ' --against')
    results.push(...other.rows)
  }
  results.push(...(await scenario('absent', path.join(dir, 'absent.sock'), async () => null)).rows)
  results.push(...(await scenario('reading', path.join(dir, 'reading.sock'), readingMonitor)).rows)
  const probe = new MonitorClient('bench', { socketPath: path.join(dir, 'probe.sock') })
  results.push(['baseline', 'empty napi function', measure(() => native.defaultHeartbeatIntervalMs())])
  results.push(['baseline', 'napi-rs class getter', measure(() => probe.pid)])
  results.push(['baseline', 'timer only', measure(() => {})])
  results.push(['peer', 'hot-shots LLM call', await peer()])
  await probe.close(0)

  console.log(`kissmon Node addon, per-call cost: node ${process.version}, ${os.cpus().length} cpus, ${load()}`)
  console.log(`batch = ${BATCHES} batches of ${BATCH} calls; single = ${SINGLES} calls timed one by one (timer included); the peer gets a ${PEER_SHARE}th of each`)
  console.log(AGAINST === null ? '' : `--against: ${AGAINST}\n`)
  console.log(`${'monitor'.padEnd(9)} ${'call'.padEnd(26)} ${'batch p50'.padStart(10)} ${'batch p99.9'.padStart(12)} ${'single p50'.padStart(11)} ${'single p99.9'.padStart(13)}`)
  for (const [monitor, call, m] of results) {
    console.log(`${monitor.padEnd(9)} ${call.padEnd(26)} ${format(m.batchP50)} ${format(m.batchP999).padStart(12)} ${format(m.singleP50).padStart(11)} ${format(m.singleP999).padStart(13)}`)
  }
  const find = (monitor, call) => results.find((r) => r[0] === monitor && r[1] === call)[2]
  console.log('\nratios of batch p50:')
  for (const call of ['heartbeat()', 'logLlmUsage()']) {
    const s = find('stuck', call).batchP50
    console.log(`  ${call.padEnd(14)} stuck/reading ${(s / find('reading', call).batchP50).toFixed(2)}  stuck/absent ${(s / find('absent', call).batchP50).toFixed(2)}  stuck/empty-napi-function ${(s / find('baseline', 'empty napi function').batchP50).toFixed(2)}`)
  }
  const ours = find('stuck', 'logLlmUsage()')
  const theirs = find('peer', 'hot-shots LLM call')
  console.log(`  logLlmUsage()  hot-shots/kissmon: batch ${(theirs.batchP50 / ours.batchP50).toFixed(2)}x, single ${(theirs.singleP50 / ours.singleP50).toFixed(2)}x (same usage object, same run)`)
  for (const call of ['heartbeat()', 'logLlmUsage()']) {
    const p50 = find('stuck', call).batchP50
    const verdict = p50 <= TARGET_P50_NS ? 'meets' : 'MISSES'
    console.log(`target: ${call} with a stuck monitor, batch p50 ${p50.toFixed(0)} ns ${verdict} the ${TARGET_P50_NS} ns target`)
  }
}

/** The paced path: one call every PACE_NS to a monitor that reads. */
async function pacedPath(dir) {
  const before = load()
  const pacedRun = await pacedScenario(path.join(dir, 'paced.sock'))
  console.log(`\npaced: one call every ${PACE_NS / 1000n} µs, monitor reads; ${PACED_CALLS} calls per method, each timed alone (timer included)`)
  console.log(`node ${process.version}, ${os.cpus().length} cpus, ${before} before, ${load()} after`)
  if (AGAINST !== null) console.log(`--against: ${AGAINST}`)
  const width = AGAINST === null ? 14 : 24
  console.log(`${'call'.padEnd(width)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'p99.9'.padStart(10)} ${'max'.padStart(10)}`)
  for (const [call, m] of pacedRun.rows) {
    console.log(`${call.padEnd(width)} ${format(m.p50)} ${format(m.p99)} ${format(m.p999)} ${format(m.max)}`)
  }
  console.log(`paced client: sent ${pacedRun.stats.sent}, coalesced ${pacedRun.stats.coalesced}, dropped ${pacedRun.stats.dropped}\n`)
  for (const [call, m] of pacedRun.rows.filter(([call]) => call === 'heartbeat()' || call === 'logLlmUsage()')) {
    const verdict = m.p50 <= TARGET_P50_NS ? 'meets' : 'MISSES'
    console.log(`target: ${call} paced, single p50 ${m.p50.toFixed(0)} ns ${verdict} the ${TARGET_P50_NS} ns target`)
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kissmon-bench-'))
  try {
    if (!process.argv.includes('--paced')) await backToBack(dir)
    await pacedPath(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main()
