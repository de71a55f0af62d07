// logLlmUsage lets the addon reuse the previous call's strings (index.js and
// src/usage.rs): whatever the sequence of calls, good or bad, each line
// carries exactly the strings of its own call.
'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { MonitorClient } = require('..')
const { Monitor, tempSocket } = require('./support/monitor.js')

test('every line carries the strings of its own call, through repeats, changes and refused calls', async () => {
  const { socket, remove } = tempSocket()
  const monitor = await Monitor.up(socket)
  const client = new MonitorClient('strings', { socketPath: socket })
  try {
    const long = 'm'.repeat(250) // longer than the addon's stack buffer for a short string
    const built = 'gpt' + '-4'.repeat(1) // equal to 'gpt-4', but another string object
    const calls = [
      { model: 'gpt-4', feature: 'jokes', provider: 'openai' },
      { model: 'gpt-4', feature: 'jokes', provider: 'openai' },
      { model: built, feature: 'jokes' },
      { model: 'claude', feature: 'jokes', provider: 'anthropic' },
      { model: 42, feature: 'news', provider: 'openai' }, // refused: model
      { model: 'claude', feature: 'news', provider: 7 }, // refused: provider
      { model: 'claude', feature: 'news', provider: 'openai' },
      { model: 'gpt-4', feature: 'news', provider: '' }, // refused: an empty provider
      { model: 'gpt-4', feature: '', provider: 'openai' }, // refused: an empty feature
      { model: long, feature: 'news', provider: 'openai' },
      { model: long, feature: 'é🤖', provider: null },
      { model: 'gpt-4', feature: 'é🤖', provider: 'openai' },
    ]
    const expected = []
    for (const [i, fields] of calls.entries()) {
      const usage = { ...fields, tokensIn: i, tokensOut: 1 }
      if (usage.provider === null) delete usage.provider
      let refused = false
      try {
        client.logLlmUsage(usage)
      } catch {
        refused = true
      }
      if (!refused) expected.push({ model: usage.model, feature: usage.feature, provider: usage.provider, tokens_in: i })
    }
    assert.equal(expected.length, 8)
    // Calls whose usage is not a plain object leave the addon's copies alone.
    assert.throws(() => client.logLlmUsage(['gpt-4']), TypeError)
    client.logLlmUsage({ model: 'gpt-4', feature: 'é🤖', provider: 'openai', tokensIn: 99, tokensOut: 1 })
    expected.push({ model: 'gpt-4', feature: 'é🤖', provider: 'openai', tokens_in: 99 })

    assert.equal(await client.flush(5000), true)
    await monitor.take(expected.length + 1, 5000) // and the register line
    const got = monitor
      .parsed()
      .filter((line) => line.type === 'llm_usage')
      .map(({ model, feature, provider, tokens_in }) => ({ model, feature, provider, tokens_in }))
    assert.deepEqual(got, expected)
  } finally {
    await client.close(0)
    await monitor.stop()
    remove()
  }
})
