// The heartbeat: the core keeps the schedule, a timer on the event loop
// fires it, so a stalled loop shows at the monitor as a late beat (lag_ms);
// the interval is announced and read back from the core; stopHeartbeat,
// unregister and close end it, and startHeartbeat after close does nothing.
'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { MonitorClient } = require('..')
const { Monitor, tempSocket } = require('./support/monitor.js')

/** Lets the event loop run for `ms`: time in which a running schedule would beat. */
const loopTime = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function stallEventLoop(ms) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // busy: no timer can fire
  }
}

async function withMonitor(body) {
  const { socket, remove } = tempSocket()
  const monitor = await Monitor.up(socket)
  const client = new MonitorClient('beats', { socketPath: socket, heartbeatIntervalMs: 60_000 })
  try {
    await body(client, monitor)
  } finally {
    await client.close(0)
    await monitor.stop()
    remove()
  }
}

const beats = (lines) => lines.filter((line) => line.type === 'heartbeat')

/** Every line, once the monitor has read all that `client` wrote. */
async function delivered(client, monitor) {
  assert.equal(await client.flush(3000), true)
  const sent = client.stats().sent
  return monitor.until((lines) => lines.length >= sent)
}

test('a stalled event loop shows as a late beat', async () => {
  await withMonitor(async (client, monitor) => {
    client.register({ llm: true })
    client.startHeartbeat(50)
    stallEventLoop(400)
    // The overdue beat fires once the loop runs again.
    const lines = await monitor.until((lines) => beats(lines).length >= 2)
    const lags = beats(lines).map((line) => line.lag_ms)
    assert.ok(lags.length >= 2, `beats: ${lags}`)
    assert.ok(lags[0] < 50, `the first beat is at once: ${lags}`)
    assert.ok(lags[1] >= 300, `a beat due 50 ms in came after a 400 ms stall: ${lags}`)
  })
})

test('startHeartbeat announces its interval, re-sending the registration, and the getter reads it', async () => {
  await withMonitor(async (client, monitor) => {
    assert.equal(client.heartbeatIntervalMs, 60_000)
    client.register({ llm: true })
    assert.equal(await client.flush(3000), true)
    client.startHeartbeat()
    assert.equal(await client.flush(3000), true)
    client.startHeartbeat(1500)
    assert.equal(client.heartbeatIntervalMs, 1500, 'the getter reads the core')
    const registers = (await delivered(client, monitor)).filter((line) => line.type === 'register')
    assert.deepEqual(
      registers.map((line) => line.heartbeat_interval_s),
      [60, 1.5],
      'the default interval (the client option) is already announced; 1500 ms is re-announced',
    )
  })
})

for (const stop of ['stopHeartbeat', 'unregister', 'close']) {
  test(`${stop}() ends the schedule`, async () => {
    await withMonitor(async (client, monitor) => {
      client.register({ llm: true })
      client.startHeartbeat(20)
      await monitor.until((lines) => beats(lines).length >= 2)
      if (stop === 'close') await client.close(1000)
      else client[stop]()
      const before = beats(await delivered(client, monitor)).length
      const { sent, dropped } = client.stats()
      // Five intervals of the loop's time, in which a running schedule would beat.
      await loopTime(100)
      if (stop === 'close') {
        assert.deepEqual(client.stats().sent, sent, 'no beat after close')
        assert.deepEqual(client.stats().dropped, dropped, 'none attempted either')
      } else {
        client.logLlmUsage({ model: 'marker', feature: 'end', tokensIn: 1, tokensOut: 1 })
        const lines = await delivered(client, monitor)
        assert.equal(lines.at(-1).model, 'marker')
        assert.equal(beats(lines).length, before, `no beat after ${stop}`)
      }
    })
  })
}

test('startHeartbeat after close does nothing', async () => {
  await withMonitor(async (client) => {
    await client.close(1000)
    const before = client.stats()
    client.startHeartbeat(10)
    await loopTime(60)
    assert.deepEqual(client.stats(), before, 'no beat sent, none counted as dropped')
  })
})
