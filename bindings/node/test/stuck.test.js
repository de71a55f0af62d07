// A monitor that accepts and never reads: calls stay fast and never throw,
// the event loop keeps running while flush waits, and once the monitor reads
// again every token logged arrives (delivered or folded, never lost).
'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { MonitorClient } = require('..')
const { Monitor, tempSocket } = require('./support/monitor.js')

const CALLS = 30_000
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
/** Far above any call's cost; a call that waited on the socket would take seconds. */
const NEVER_BLOCKS_MS = 1000

test('a stuck monitor: fast calls, a free event loop, and no token lost', async (t) => {
  const { socket, remove } = tempSocket()
  const monitor = await Monitor.up(socket, { reading: false })
  const client = new MonitorClient('stuck', { socketPath: socket, queueCapacity: 64 })
  try {
    client.register({ llm: true })
    // The kernel takes the first lines even from a monitor that does not read.
    assert.equal(await client.flush(3000), true)
    for (let waited = 0; monitor.accepted === 0 && waited < 3000; waited += 10) await sleep(10)
    assert.equal(monitor.accepted, 1, 'the client connected')
    // Fill the socket first, so that nothing more can be written whatever the
    // sender's timing (folded calls alone might fit in the socket's buffer):
    // lines the sender cannot write (queued), none taken (sent unchanged), 5 rounds running.
    const wide = { model: 'x'.repeat(250), feature: 'fill', tokensIn: 1, tokensOut: 1 }
    let filled = 0
    for (let quiet = 0, lastSent = -1, deadline = Date.now() + 30_000; quiet < 5;) {
      assert.ok(Date.now() < deadline, `the socket never filled up: ${JSON.stringify(client.stats())}`)
      for (let i = 0; i < 500; i++) client.logLlmUsage(wide)
      filled += 500
      await sleep(20)
      const stats = client.stats()
      quiet = stats.connected && stats.queued > 0 && stats.sent === lastSent ? quiet + 1 : 0
      lastSent = stats.sent
    }
    let tokensIn = filled
    let tokensOut = filled
    let slowest = 0
    for (let i = 0; i < CALLS; i++) {
      const usage = { model: i % 2 ? 'gpt-4' : 'claude', feature: 'jokes', tokensIn: (i % 7) + 1, tokensOut: i % 3, latencyMs: i % 100 }
      const started = process.hrtime.bigint()
      client.logLlmUsage(usage)
      client.heartbeat()
      const took = Number(process.hrtime.bigint() - started) / 1e6
      if (took > slowest) slowest = took
      tokensIn += usage.tokensIn
      tokensOut += usage.tokensOut
    }
    t.diagnostic(`slowest logLlmUsage + heartbeat pair: ${slowest.toFixed(3)} ms`)
    assert.ok(slowest < NEVER_BLOCKS_MS, `a call took ${slowest} ms`)

    const stuck = client.stats()
    assert.ok(stuck.queued > 0, `lines wait: ${JSON.stringify(stuck)}`)
    // The queue (64 here), a few aggregates, and what the sender holds in flight: nothing near the call count.
    assert.ok(stuck.queued < (CALLS + filled) / 5, `the queue stays bounded: ${JSON.stringify(stuck)}`)
    assert.ok(stuck.coalesced > 0, 'calls past the bound were folded')
    assert.equal(stuck.dropped, 0)

    // flush waits off the event loop: timers keep firing meanwhile.
    let ticks = 0
    const ticker = setInterval(() => ticks++, 10)
    const delivered = await client.flush(300)
    clearInterval(ticker)
    assert.equal(delivered, false, 'nothing more can be written to a monitor that does not read')
    assert.ok(ticks >= 5, `the event loop ran ${ticks} 10 ms ticks during a 300 ms flush`)

    monitor.resumeReading()
    assert.equal(await client.flush(5000), true, JSON.stringify(client.stats()))
    await monitor.take(0, 0)
    const usage = monitor.parsed().filter((line) => line.type === 'llm_usage')
    const calls = usage.reduce((n, line) => n + (line.count ?? 1), 0)
    assert.equal(calls, CALLS + filled, 'every call was delivered, alone or folded')
    assert.equal(usage.reduce((n, line) => n + line.tokens_in, 0), tokensIn)
    assert.equal(usage.reduce((n, line) => n + line.tokens_out, 0), tokensOut)
    const after = client.stats()
    assert.equal(after.queued, 0)
    assert.equal(after.dropped, 0)
  } finally {
    await client.close(0)
    await monitor.stop()
    remove()
  }
})
