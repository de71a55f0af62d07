// Several worker_threads each make clients, next to the main thread's.
'use strict'

const assert = require('node:assert/strict')
const { once } = require('node:events')
const path = require('node:path')
const { test } = require('node:test')
const { Worker } = require('node:worker_threads')
const { MonitorClient } = require('..')
const { Monitor, tempSocket } = require('./support/monitor.js')

const WORKER = path.join(__dirname, 'fixtures', 'worker.js')
const CALLS = 200

function sumOf(n) {
  return (n * (n - 1)) / 2
}

test('workers and the main thread each report on their own client', async () => {
  const { socket, remove } = tempSocket()
  const monitor = await Monitor.up(socket)
  const main = new MonitorClient('main-thread', { socketPath: socket })
  try {
    main.register({ main: true })
    const workers = Array.from({ length: 4 }, (_, i) => {
      const channel = `worker-${i}`
      const worker = new Worker(WORKER, { workerData: { socketPath: socket, channel, calls: CALLS, flush: i % 2 === 0 } })
      return { channel, worker, flushes: i % 2 === 0, message: once(worker, 'message'), exit: once(worker, 'exit') }
    })
    for (const { worker, flushes, message, exit } of workers) {
      if (flushes) {
        const [{ delivered, stats }] = await message
        assert.equal(delivered, true)
        assert.equal(stats.dropped, 0)
      } else {
        worker.removeAllListeners('message')
      }
      const [code] = await exit
      assert.equal(code, 0)
    }
    assert.equal(await main.flush(3000), true)

    // Each worker's lines, the exit handler's unregister included.
    const deadline = Date.now() + 3000
    const done = () => workers.every(({ channel }) => monitor.parsed().some((l) => l.type === 'unregister' && l.channel === channel))
    while (!done() && Date.now() < deadline) await monitor.take(monitor.lines.length - monitor.taken + 1, 100)
    const lines = monitor.parsed()
    for (const { channel } of workers) {
      const own = lines.filter((line) => line.channel === channel)
      assert.equal(own[0].type, 'register', `${channel} registered first`)
      const usage = own.filter((line) => line.type === 'llm_usage' && line.feature === channel)
      assert.equal(usage.reduce((n, line) => n + (line.count ?? 1), 0), CALLS, `${channel} delivered every call`)
      assert.equal(usage.reduce((n, line) => n + line.tokens_in, 0), sumOf(CALLS), `${channel} delivered every token`)
      assert.equal(own.at(-1).type, 'unregister', `${channel} was closed when its thread ended`)
      assert.equal(new Set(own.map((line) => line.instance)).size, 1, `${channel} is one client`)
    }
    assert.ok(lines.some((line) => line.channel === 'main-thread' && line.type === 'register'))
    const instances = new Set(lines.map((line) => line.instance))
    assert.equal(instances.size, 5, 'five clients, one per thread')
  } finally {
    await main.close(0)
    await monitor.stop()
    remove()
  }
})

test('terminating a worker whose monitor is stuck is quick and leaves the process healthy', async () => {
  const { socket, remove } = tempSocket()
  const monitor = await Monitor.up(socket, { reading: false })
  try {
    const workerData = { socketPath: socket, channel: 'doomed', calls: 20_000, flush: true, announceFlush: true }
    const worker = new Worker(WORKER, { workerData })
    // The worker's 3 s flush waits on a monitor that never reads: terminate it mid-wait.
    await once(worker, 'message')
    const started = Date.now()
    await worker.terminate()
    // Well under the flush's 3 s, with room for a loaded 2-core machine.
    assert.ok(Date.now() - started < 2000, `terminate took ${Date.now() - started} ms`)
    // The main thread can still make clients and use them.
    const client = new MonitorClient('after-terminate', { socketPath: socket })
    client.heartbeat()
    assert.equal(typeof client.stats().queued, 'number')
    await client.close(0)
  } finally {
    await monitor.stop()
    remove()
  }
})
