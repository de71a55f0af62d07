// The shared conformance corpus, every case of conformance/cases/*.jsonl
// (read at run time), through the public API and a real Unix socket; one
// named test per case id.
'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { MonitorClient, decodeLine } = require('..')
const { load, jsonEqual, parseExact, redact, show } = require('./support/corpus.js')
const { Monitor, tempSocket } = require('./support/monitor.js')

const WAIT_MS = 3000
/** How long to watch for lines beyond the expected ones. */
const SETTLE_MS = 50

function camel(name) {
  return name.replace(/_([a-z0-9])/g, (_match, c) => c.toUpperCase())
}

/** Durations are seconds in the corpus and milliseconds, named so, in JS. */
const SECONDS = { heartbeat_interval_s: 'heartbeatIntervalMs', interval_s: 'intervalMs' }
/** The core's argument names whose JS names carry the unit. */
const DURATIONS = { heartbeat_interval: 'heartbeatIntervalMs', interval: 'intervalMs' }

function jsArgumentName(name) {
  return DURATIONS[name] ?? camel(name)
}

/** Corpus arguments (snake_case, seconds) as the JS API takes them. */
function jsArgs(args = {}) {
  const out = {}
  for (const [key, value] of Object.entries(args)) {
    if (key in SECONDS) out[SECONDS[key]] = typeof value === 'number' ? value * 1000 : value
    else out[camel(key)] = value
  }
  return out
}

function build(spec, socketPath) {
  const { channel, ...options } = spec
  return new MonitorClient(channel, { socketPath, ...jsArgs(options) })
}

function call(client, step) {
  const args = step.args ?? {}
  switch (step.method) {
    case 'register':
      return client.register(args.features)
    case 'heartbeat':
      return client.heartbeat()
    case 'unregister':
      return client.unregister()
    case 'log_llm_usage':
      return client.logLlmUsage(jsArgs(args))
    case 'start_heartbeat':
      return client.startHeartbeat(jsArgs(args).intervalMs)
    case 'stop_heartbeat':
      return client.stopHeartbeat()
    default:
      throw new Error(`unknown method ${JSON.stringify(step.method)} in the corpus`)
  }
}

function input(testCase) {
  if (typeof testCase.input === 'string') return testCase.input
  if (typeof testCase.input_base64 === 'string') return Buffer.from(testCase.input_base64, 'base64')
  throw new Error('a case has input or input_base64')
}

async function expectLines(monitor, expected) {
  const got = await monitor.take(expected.length, WAIT_MS)
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  got.push(...(await monitor.take(0, 0)))
  const redacted = got.map((line) => redact(parseExact(line)))
  const same = redacted.length === expected.length && redacted.every((line, i) => jsonEqual(line, expected[i]))
  assert.ok(same, `monitor received:\n  ${redacted.map(show).join('\n  ')}\nexpected:\n  ${expected.map(show).join('\n  ')}`)
}

const kinds = {
  decode_valid(testCase) {
    let got
    try {
      got = decodeLine(input(testCase))
    } catch (err) {
      assert.fail(`rejected: ${err.message}`)
    }
    assert.ok(jsonEqual(got, testCase.expect), `decoded to\n  ${show(got)}\nexpected\n  ${show(testCase.expect)}`)
  },

  decode_invalid(testCase) {
    let err
    try {
      const message = decodeLine(input(testCase))
      assert.fail(`accepted as ${show(message)}`)
    } catch (thrown) {
      err = thrown
    }
    assert.equal(err.errorClass, testCase.error, `error class of ${err.message}`)
    if ('field' in testCase) assert.equal(err.field, testCase.field, `field of ${err.message}`)
  },

  async encode(testCase) {
    const { socket, remove } = tempSocket()
    const monitor = await Monitor.up(socket)
    const client = build(testCase.client, socket)
    try {
      call(client, testCase.call)
      assert.ok(await client.flush(WAIT_MS), `flush timed out: ${show(client.stats())}`)
      await expectLines(monitor, [testCase.expect])
    } finally {
      await client.close(0)
      await monitor.stop()
      remove()
    }
  },

  async encode_invalid(testCase) {
    const { socket, remove } = tempSocket()
    let client
    try {
      assert.throws(
        () => {
          client = build(testCase.client, socket)
          if (testCase.call) call(client, testCase.call)
        },
        (err) => {
          assert.ok(err instanceof TypeError || err instanceof RangeError, `expected a TypeError or RangeError, got ${err}`)
          if ('argument' in testCase) {
            const name = jsArgumentName(testCase.argument)
            assert.equal(err.argument, name, `error ${err.message} names ${err.argument}, expected ${name}`)
            assert.match(err.message, new RegExp(`\`${name}\``))
          }
          return true
        },
        'accepted',
      )
    } finally {
      if (client) await client.close(0)
      remove()
    }
  },

  async queue(testCase) {
    const { socket, remove } = tempSocket()
    const monitor = new Monitor(socket)
    const client = build(testCase.client, socket)
    try {
      for (const [n, step] of testCase.steps.entries()) {
        const at = `step ${n} ${show(step)}`
        switch (step.op) {
          case 'call':
            call(client, step)
            break
          case 'monitor_up':
            await monitor.start()
            break
          case 'monitor_down':
            await monitor.stop()
            break
          case 'flush':
          case 'close': {
            const timeoutMs = step.timeout_ms ?? 2000
            const got = await (step.op === 'flush' ? client.flush(timeoutMs) : client.close(timeoutMs))
            if (typeof step.expect === 'boolean') {
              assert.equal(got, step.expect, `${at}: returned ${got}; stats ${show(client.stats())}`)
            }
            break
          }
          case 'expect_lines':
            await expectLines(monitor, step.lines).catch((err) => {
              err.message = `${at}: ${err.message}`
              throw err
            })
            break
          case 'expect_stats': {
            const stats = client.stats()
            for (const [name, want] of Object.entries(step.stats)) {
              assert.ok(jsonEqual(stats[name], want), `${at}: stats.${name} is ${stats[name]}, expected ${show(want)}; stats ${show(stats)}`)
            }
            break
          }
          default:
            throw new Error(`${at}: unknown op ${JSON.stringify(step.op)}`)
        }
      }
    } finally {
      await client.close(0)
      await monitor.stop()
      remove()
    }
  },
}

const cases = load()

test('the corpus is read at run time and every case gets a test', () => {
  assert.ok(cases.length > 0)
})

for (const testCase of cases) {
  test(testCase.id, async () => {
    const run = kinds[testCase.kind]
    if (!Object.hasOwn(kinds, testCase.kind)) assert.fail(`unknown case kind ${JSON.stringify(testCase.kind)}`)
    await run(testCase)
  })
}
