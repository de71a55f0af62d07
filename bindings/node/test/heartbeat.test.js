// The heartbeat timer runs on the event loop: a stalled loop shows at the
// monitor as a late beat (lag_ms), the interval is announced, and
// stopHeartbeat/unregister/close end the timer.
'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { MonitorClient } = require('..')
const { Monitor, tempSocket } = require('./support/monitor.js')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

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

const beats = (monitor) => monitor.parsed().filter((line) => line.type === 'heartbeat')

test('a stalled event loop shows as a late beat', async () => {
  await withMonitor(async (client, monitor) => {
    client.register({ llm: true })
    client.startHeartbeat(50)
    stallEventLoop(400)
    await sleep(30)
    assert.equal(await client.flush(3000), true)
    await monitor.take(0, 0)
    await sleep(50)
    const lags = beats(monitor).map((line) => line.lag_ms)
    assert.ok(lags.length >= 2, `beats: ${lags}`)
    assert.ok(lags[0] < 50, `the first beat is at once: ${lags}`)
    assert.ok(lags.some((lag) => lag >= 300), `a beat due 50 ms in came after a 400 ms stall: ${lags}`)
  })
})

test('startHeartbeat announces its interval, re-sending the registration', async () => {
  await withMonitor(async (client, monitor) => {
    client.register({ llm: true })
    assert.equal(await client.flush(3000), true)
    client.startHeartbeat()
    assert.equal(await client.flush(3000), true)
    client.startHeartbeat(1500)
    assert.equal(await client.flush(3000), true)
    await sleep(50)
    await monitor.take(0, 0)
    const registers = monitor.parsed().filter((line) => line.type === 'register').map((line) => line.heartbeat_interval_s)
    assert.deepEqual(registers, [60, 1.5], 'the default interval (the client option) is already announced; 1500 ms is re-announced')
  })
})

for (const stop of ['stopHeartbeat', 'unregister', 'close']) {
  test(`${stop}() ends the timer`, async () => {
    await withMonitor(async (client, monitor) => {
      client.startHeartbeat(20)
      await sleep(70)
      if (stop === 'close') await client.close(1000)
      else client[stop]()
      await client.flush(1000)
      await sleep(30)
      const before = beats(monitor).length
      const dropped = client.stats().dropped
      await sleep(150)
      await monitor.take(0, 0)
      assert.ok(before >= 2, `beats while running: ${before}`)
      assert.equal(beats(monitor).length, before, 'no beat after the timer ended')
      assert.equal(client.stats().dropped, dropped, 'no beat attempted after the timer ended')
    })
  })
}
