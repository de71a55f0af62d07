// Invalid arguments throw TypeError (wrong type) or RangeError (a value the
// API refuses) naming the argument; monitor trouble never throws.
'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { MonitorClient, decodeLine } = require('..')
const { tempSocket } = require('./support/monitor.js')

const { socket: socketPath, remove } = tempSocket()
test.after(remove)

const USAGE = { model: 'gpt-4', feature: 'jokes', tokensIn: 145, tokensOut: 87 }
const client = new MonitorClient('errors', { socketPath })
test.after(() => client.close(0))

/** [what, call, error class, argument name] */
const cases = [
  ['channel of the wrong type', () => new MonitorClient(42), TypeError, 'channel'],
  ['no channel', () => new MonitorClient(), TypeError, 'channel'],
  ['an empty channel', () => new MonitorClient(''), RangeError, 'channel'],
  ['a channel with a control character', () => new MonitorClient('a\nb'), RangeError, 'channel'],
  ['options that are not an object', () => new MonitorClient('x', 'fast'), TypeError, 'options'],
  ['options that are an array', () => new MonitorClient('x', []), TypeError, 'options'],
  ['an unknown option', () => new MonitorClient('x', { sockPath: '/tmp/x' }), TypeError, 'options'],
  ['a pid of the wrong type', () => new MonitorClient('x', { pid: '12' }), TypeError, 'pid'],
  ['pid 0', () => new MonitorClient('x', { pid: 0 }), RangeError, 'pid'],
  ['a negative pid', () => new MonitorClient('x', { pid: -1 }), RangeError, 'pid'],
  ['a fractional pid', () => new MonitorClient('x', { pid: 1.5 }), RangeError, 'pid'],
  ['a pid over 2^31-1', () => new MonitorClient('x', { pid: 2 ** 31 }), RangeError, 'pid'],
  ['a socket path of the wrong type', () => new MonitorClient('x', { socketPath: 7 }), TypeError, 'socketPath'],
  ['an empty socket path', () => new MonitorClient('x', { socketPath: '' }), RangeError, 'socketPath'],
  ['a socket path too long', () => new MonitorClient('x', { socketPath: `/tmp/${'s'.repeat(200)}` }), RangeError, 'socketPath'],
  ['queue capacity 0', () => new MonitorClient('x', { queueCapacity: 0 }), RangeError, 'queueCapacity'],
  ['a fractional queue capacity', () => new MonitorClient('x', { queueCapacity: 2.5 }), RangeError, 'queueCapacity'],
  ['max aggregates of the wrong type', () => new MonitorClient('x', { maxAggregates: '3' }), TypeError, 'maxAggregates'],
  ['heartbeat interval 0', () => new MonitorClient('x', { heartbeatIntervalMs: 0 }), RangeError, 'heartbeatIntervalMs'],
  ['a negative heartbeat interval', () => new MonitorClient('x', { heartbeatIntervalMs: -5 }), RangeError, 'heartbeatIntervalMs'],
  ['a NaN heartbeat interval', () => new MonitorClient('x', { heartbeatIntervalMs: NaN }), RangeError, 'heartbeatIntervalMs'],
  ['features that are not an object', () => client.register('llm'), TypeError, 'features'],
  ['a feature flag that is not a boolean', () => client.register({ llm: 'yes' }), TypeError, 'features'],
  ['an empty feature name', () => client.register({ '': true }), RangeError, 'features'],
  ['no usage', () => client.logLlmUsage(), TypeError, 'usage'],
  ['usage that is not an object', () => client.logLlmUsage('gpt-4'), TypeError, 'usage'],
  ['no model', () => client.logLlmUsage({ ...USAGE, model: undefined }), TypeError, 'model'],
  ['an empty model', () => client.logLlmUsage({ ...USAGE, model: '' }), RangeError, 'model'],
  ['a feature of the wrong type', () => client.logLlmUsage({ ...USAGE, feature: 1 }), TypeError, 'feature'],
  ['no tokensIn', () => client.logLlmUsage({ ...USAGE, tokensIn: undefined }), TypeError, 'tokensIn'],
  ['tokensIn as a string', () => client.logLlmUsage({ ...USAGE, tokensIn: '145' }), TypeError, 'tokensIn'],
  ['negative tokensIn', () => client.logLlmUsage({ ...USAGE, tokensIn: -1 }), RangeError, 'tokensIn'],
  ['fractional tokensOut', () => client.logLlmUsage({ ...USAGE, tokensOut: 0.5 }), RangeError, 'tokensOut'],
  ['tokensOut over 2^53', () => client.logLlmUsage({ ...USAGE, tokensOut: 2n ** 53n + 1n }), RangeError, 'tokensOut'],
  ['a negative latency', () => client.logLlmUsage({ ...USAGE, latencyMs: -1 }), RangeError, 'latencyMs'],
  ['an infinite latency', () => client.logLlmUsage({ ...USAGE, latencyMs: Infinity }), RangeError, 'latencyMs'],
  ['a provider of the wrong type', () => client.logLlmUsage({ ...USAGE, provider: 5 }), TypeError, 'provider'],
  ['an empty provider', () => client.logLlmUsage({ ...USAGE, provider: '' }), RangeError, 'provider'],
  ['a NaN cost', () => client.logLlmUsage({ ...USAGE, costUsd: NaN }), RangeError, 'costUsd'],
  ['negative cache read tokens', () => client.logLlmUsage({ ...USAGE, cacheReadTokens: -3 }), RangeError, 'cacheReadTokens'],
  ['reasoning tokens of the wrong type', () => client.logLlmUsage({ ...USAGE, reasoningTokens: {} }), TypeError, 'reasoningTokens'],
  ['ok that is not a boolean', () => client.logLlmUsage({ ...USAGE, ok: 'yes' }), TypeError, 'ok'],
  ['heartbeat interval 0', () => client.startHeartbeat(0), RangeError, 'intervalMs'],
  ['a heartbeat interval of the wrong type', () => client.startHeartbeat('1000'), TypeError, 'intervalMs'],
  ['a negative flush timeout', () => client.flush(-1), RangeError, 'timeoutMs'],
  ['a flush timeout of the wrong type', () => client.flush('1000'), TypeError, 'timeoutMs'],
  ['a close timeout past the range of timers', () => client.close(2 ** 31), RangeError, 'timeoutMs'],
  ['a line that is neither text nor bytes', () => decodeLine(42), TypeError, 'line'],
  ['a line given as a typed array other than bytes', () => decodeLine(new Float64Array(2)), TypeError, 'line'],
]

for (const [what, call, errorClass, argument] of cases) {
  test(`${what} throws a ${errorClass.name} naming ${argument}`, () => {
    assert.throws(call, (err) => {
      assert.equal(err.constructor, errorClass, `${err.constructor.name}: ${err.message}`)
      assert.equal(err.argument, argument, err.message)
      assert.ok(err.message.includes(`\`${argument}\``), err.message)
      assert.equal(err.code, errorClass === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_INVALID_ARG_VALUE')
      return true
    })
  })
}

test('a client keeps working after refusing a call', async () => {
  assert.throws(() => client.logLlmUsage({ ...USAGE, tokensIn: -1 }), RangeError)
  client.logLlmUsage(USAGE)
  client.heartbeat()
  assert.equal(client.stats().dropped, 0)
})

test('valid values of every accepted type pass', () => {
  const c = new MonitorClient('types', { socketPath, pid: 4242, queueCapacity: 8, maxAggregates: 0, heartbeatIntervalMs: 1500 })
  c.register()
  c.register(null)
  c.register({ llm: true, translator: false })
  c.logLlmUsage({ ...USAGE, tokensIn: 2n ** 53n, latencyMs: 0, provider: 'openai', costUsd: 0, cacheReadTokens: 1n, reasoningTokens: 0, ok: false })
  c.logLlmUsage({ ...USAGE, latencyMs: null, provider: null, costUsd: undefined, ok: null })
  assert.equal(c.pid, 4242)
  assert.equal(c.channel, 'types')
  assert.match(c.instance, /^[0-9a-f]{16}$/)
  return c.close(0)
})

test('decode errors carry their class and field', () => {
  assert.throws(
    () => decodeLine('{"type":"heartbeat","channel":"el_serda","pid":0}'),
    (err) => err.errorClass === 'invalid_field' && err.field === 'pid' && err.code === 'ERR_KISSMON_DECODE',
  )
  assert.throws(() => decodeLine('[1]'), (err) => err.errorClass === 'not_object' && err.field === null)
  assert.throws(() => decodeLine(Buffer.from([0x7b, 0xff, 0x7d])), (err) => err.errorClass === 'invalid_utf8')
})

test('an absent monitor is never an error', async () => {
  const { socket, remove: removeDir } = tempSocket()
  const c = new MonitorClient('absent', { socketPath: socket })
  try {
    c.register({ llm: true })
    c.heartbeat()
    c.logLlmUsage(USAGE)
    c.startHeartbeat(5)
    c.stopHeartbeat()
    c.unregister()
    assert.equal(await c.flush(50), false)
    const stats = c.stats()
    assert.equal(stats.connected, false)
    assert.equal(typeof stats.lastError, 'string')
    assert.equal(await c.close(0), false)
    assert.equal(await c.close(0), false, 'close is idempotent')
    c.heartbeat()
    assert.ok(c.stats().dropped >= 1, 'calls after close are counted as dropped')
  } finally {
    removeDir()
  }
})

test('a panic inside the addon is a JS error, and Node lives on', () => {
  // Test only: the addon's hidden trigger panics inside the boundary helper
  // that every entry point runs through, as a bug in the core would.
  const native = require('../native.js')
  assert.throws(
    () => native.__testOnlyPanic(),
    (err) => err instanceof Error && err.code === 'ERR_KISSMON_PANIC' && /test-only panic/.test(err.message),
  )
  const after = new MonitorClient('after-panic', { socketPath })
  after.heartbeat()
  assert.equal(after.stats().queued, 1)
  return after.close(0)
})
