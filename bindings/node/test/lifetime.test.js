// A process that uses the client exits by itself once its own work is done,
// within 1 s of its last statement, whatever the monitor's state; what it
// queued is flushed on the way out when a monitor reads.
'use strict'

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const { once } = require('node:events')
const path = require('node:path')
const { test } = require('node:test')
const { Monitor, tempSocket } = require('./support/monitor.js')

const BOT = path.join(__dirname, 'fixtures', 'bot.js')
const EXIT_WITHIN_MS = 1000
/** A bot still running this long after it started is killed, and the test fails. */
const KILL_AFTER_MS = 10_000

async function runBot(socketPath, ending, calls) {
  const child = spawn(process.execPath, [BOT, socketPath, ending, String(calls)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
  const [code, signal] = await once(child, 'exit')
  const exitedAt = Date.now()
  clearTimeout(killer)
  assert.notEqual(signal, 'SIGKILL', `bot still running ${KILL_AFTER_MS} ms after it started: ${stdout}${stderr}`)
  assert.equal(code, 0, `bot exited with ${code} ${signal}: ${stderr}`)
  const lastStatementAt = Number(stdout.trim())
  assert.ok(lastStatementAt > 0, `bot printed ${JSON.stringify(stdout)}: ${stderr}`)
  return { pid: child.pid, lingeredMs: exitedAt - lastStatementAt }
}

/** Waits until the monitor has read the bot's unregister line, or 3 s. */
async function linesOf(monitor, pid) {
  const deadline = Date.now() + 3000
  for (;;) {
    const lines = monitor.parsed().filter((line) => line.pid === pid || line.type === 'llm_usage')
    if (lines.some((line) => line.type === 'unregister') || Date.now() > deadline) return lines
    await monitor.take(monitor.lines.length - monitor.taken + 1, 100)
  }
}

for (const ending of ['natural', 'exit']) {
  test(`monitor present, ${ending} end: exits within 1 s and everything queued reaches the monitor`, async (t) => {
    const { socket, remove } = tempSocket()
    const monitor = await Monitor.up(socket)
    try {
      const { pid, lingeredMs } = await runBot(socket, ending, 50)
      t.diagnostic(`exited ${lingeredMs} ms after its last statement`)
      assert.ok(lingeredMs < EXIT_WITHIN_MS, `exited ${lingeredMs} ms after its last statement`)
      const lines = await linesOf(monitor, pid)
      const types = lines.map((line) => line.type)
      assert.equal(types[0], 'register', `the registration reached the monitor first: ${types}`)
      assert.equal(lines[0].channel, 'lifetime-bot')
      assert.deepEqual(lines[0].features, { llm: true })
      const calls = lines.filter((line) => line.type === 'llm_usage').reduce((sum, line) => sum + (line.count ?? 1), 0)
      assert.equal(calls, 50, 'every llm_usage call was delivered')
      assert.ok(types.includes('heartbeat'), `a heartbeat was delivered: ${types}`)
      assert.equal(types.at(-1), 'unregister', `the exit handler closed the client: ${types}`)
      assert.equal(lines.at(-1).reason, 'close')
    } finally {
      await monitor.stop()
      remove()
    }
  })

  test(`monitor absent, ${ending} end: exits within 1 s`, async (t) => {
    const { socket, remove } = tempSocket()
    try {
      const { lingeredMs } = await runBot(socket, ending, 50)
      t.diagnostic(`exited ${lingeredMs} ms after its last statement`)
      assert.ok(lingeredMs < EXIT_WITHIN_MS, `exited ${lingeredMs} ms after its last statement`)
    } finally {
      remove()
    }
  })

  test(`monitor stuck (accepts, never reads), ${ending} end: exits within 1 s`, async (t) => {
    const { socket, remove } = tempSocket()
    const monitor = await Monitor.up(socket, { reading: false })
    try {
      // Enough lines to fill the socket's buffers, so that writes really block.
      const { lingeredMs } = await runBot(socket, ending, 20_000)
      assert.ok(monitor.accepted >= 1, 'the bot connected')
      t.diagnostic(`exited ${lingeredMs} ms after its last statement`)
      assert.ok(lingeredMs < EXIT_WITHIN_MS, `exited ${lingeredMs} ms after its last statement`)
      // What the bot wrote before it died is still readable: the registration came first.
      monitor.resumeReading()
      const [first] = await monitor.take(1, 3000)
      assert.equal(JSON.parse(first).type, 'register')
    } finally {
      await monitor.stop()
      remove()
    }
  })
}
