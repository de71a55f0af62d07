// logLlmUsage hands the addon its JS numbers through memory the two share
// (index.js and src/usage.rs) and anything else (a bigint, a value of the
// wrong type, a string that changed) as arguments. Whatever path each
// field takes, call after call, each line carries exactly its own call's
// values, a field left out stays out, and a refused value is named.
'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { MonitorClient } = require('..')
const { Monitor, tempSocket } = require('./support/monitor.js')

const BASE = { model: 'gpt-4', feature: 'jokes', tokensIn: 1, tokensOut: 1 }

/** The fields of an llm_usage line that a call gives, by their JS names. */
function fields(line) {
  const names = {
    model: 'model',
    feature: 'feature',
    tokens_in: 'tokensIn',
    tokens_out: 'tokensOut',
    latency_ms: 'latencyMs',
    provider: 'provider',
    cost_usd: 'costUsd',
    cache_read_tokens: 'cacheReadTokens',
    reasoning_tokens: 'reasoningTokens',
    ok: 'ok',
  }
  const out = {}
  for (const [wire, js] of Object.entries(names)) if (wire in line) out[js] = line[wire]
  return out
}

/** The fields a line carries for `usage`: bigints as numbers, absent ones left out. */
function expected(usage) {
  const out = {}
  for (const [key, value] of Object.entries(usage)) {
    if (value != null) out[key] = typeof value === 'bigint' ? Number(value) : value
  }
  return out
}

test('numbers in shared memory and values as arguments, mixed call after call, land exactly in each line', async () => {
  const { socket, remove } = tempSocket()
  const monitor = await Monitor.up(socket)
  const client = new MonitorClient('slots', { socketPath: socket })
  try {
    const full = { latencyMs: 1850.25, provider: 'openai', costUsd: 0.0123, cacheReadTokens: 30, reasoningTokens: 40, ok: true }
    /** [usage, error class or null, argument the error names] */
    const calls = [
      [{ ...BASE, ...full, tokensIn: 2 ** 53, tokensOut: 7 }, null],
      // The same strings: every field from memory, no argument at all.
      [{ ...BASE, ...full, tokensIn: 8, tokensOut: 9, ok: false }, null],
      // Optional fields left out after calls that gave them: the memory still holds the old numbers.
      [{ ...BASE, tokensIn: 10, tokensOut: 11 }, null],
      [{ ...BASE, tokensIn: 12, tokensOut: 13, latencyMs: null, costUsd: undefined, ok: null }, null],
      // Bigints go as arguments, beside numbers in memory.
      [{ ...BASE, tokensIn: 2n ** 53n, tokensOut: 14, cacheReadTokens: 15n, reasoningTokens: 16 }, null],
      [{ ...BASE, tokensIn: 17, tokensOut: 18n, latencyMs: 0, reasoningTokens: 19n, ok: true }, null],
      // Refused, from memory and from arguments, each naming its field.
      [{ ...BASE, tokensIn: '145' }, TypeError, 'tokensIn'],
      [{ ...BASE, tokensIn: -1 }, RangeError, 'tokensIn'],
      [{ ...BASE, tokensOut: 0.5 }, RangeError, 'tokensOut'],
      [{ ...BASE, tokensOut: 2n ** 53n + 1n }, RangeError, 'tokensOut'],
      [{ ...BASE, tokensOut: -1n }, RangeError, 'tokensOut'],
      [{ ...BASE, latencyMs: NaN }, RangeError, 'latencyMs'],
      [{ ...BASE, latencyMs: '5' }, TypeError, 'latencyMs'],
      [{ ...BASE, costUsd: -0.5 }, RangeError, 'costUsd'],
      [{ ...BASE, costUsd: 1n }, TypeError, 'costUsd'],
      [{ ...BASE, cacheReadTokens: Infinity }, RangeError, 'cacheReadTokens'],
      [{ ...BASE, reasoningTokens: {} }, TypeError, 'reasoningTokens'],
      [{ ...BASE, ok: 1 }, TypeError, 'ok'],
      [null, TypeError, 'usage'],
      // Accepted again, from memory, after every kind of refusal.
      [{ ...BASE, ...full, tokensIn: 20, tokensOut: 21 }, null],
      [{ ...BASE, tokensIn: 0, tokensOut: 0, ok: false }, null],
    ]
    const want = []
    for (const [usage, errorClass, argument] of calls) {
      if (errorClass === null) {
        client.logLlmUsage(usage)
        want.push(expected(usage))
        continue
      }
      assert.throws(() => client.logLlmUsage(usage), (err) => {
        assert.equal(err.constructor, errorClass, `${JSON.stringify(usage, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}: ${err.message}`)
        assert.equal(err.argument, argument, err.message)
        return true
      })
    }

    // A getter that logs a call of its own while index.js reads the fields:
    // both calls keep their own values.
    const inner = { model: 'inner', feature: 'nested', tokensIn: 31, tokensOut: 32, latencyMs: 33 }
    const outer = {
      model: 'outer',
      feature: 'jokes',
      get tokensIn() {
        client.logLlmUsage(inner)
        return 34
      },
      tokensOut: 35,
      costUsd: 0.5,
    }
    client.logLlmUsage(outer)
    want.push(expected(inner), { model: 'outer', feature: 'jokes', tokensIn: 34, tokensOut: 35, costUsd: 0.5 })
    client.logLlmUsage({ ...BASE, tokensIn: 36, tokensOut: 37 })
    want.push(expected({ ...BASE, tokensIn: 36, tokensOut: 37 }))

    assert.equal(await client.flush(10_000), true)
    const lines = await monitor.until((got) => got.filter((line) => line.type === 'llm_usage').length >= want.length, 30_000)
    const got = lines.filter((line) => line.type === 'llm_usage').map(fields)
    assert.deepEqual(got, want)
    assert.equal(client.stats().dropped, 0)
  } finally {
    await client.close(0)
    await monitor.stop()
    remove()
  }
})
