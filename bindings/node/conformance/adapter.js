// The Node adapter of the kissmon conformance harness: reads one command per
// line on stdin, makes the call on the package's public API (required by its
// name, through package.json's exports), and answers on stdout
// (conformance/README.md, "Adapter protocol"). The heartbeat timers run on
// this process's event loop, so a stalled process stalls them.
'use strict'

const readline = require('node:readline')
const { MonitorClient, decodeLine } = require('kissmon')

/** Durations are seconds in the corpus and milliseconds, named so, in JS. */
const SECONDS = { heartbeat_interval_s: 'heartbeatIntervalMs', interval_s: 'intervalMs' }
/** The core's argument names for the JS names that carry a unit. */
const CORE_NAMES = { heartbeatIntervalMs: 'heartbeat_interval', intervalMs: 'interval' }

const camel = (name) => name.replace(/_([a-z0-9])/g, (_match, c) => c.toUpperCase())
const snake = (name) => CORE_NAMES[name] ?? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** Corpus arguments (snake_case, seconds) as the JS API takes them. */
function jsArgs(args) {
  const out = {}
  for (const [key, value] of Object.entries(args)) {
    if (key in SECONDS) out[SECONDS[key]] = typeof value === 'number' ? value * 1000 : value
    else out[camel(key)] = value
  }
  return out
}

/** JSON.parse, except that integers a double cannot hold exactly become BigInt, as a JS caller passes them. */
function parseExact(text) {
  const marked = text.replace(/("(?:[^"\\]|\\.)*")|(?<![\w.+-])(-?\d+)(?![\d.eE])/g, (match, string, integer) => {
    if (string !== undefined || BigInt(Number(integer)) === BigInt(integer)) return match
    return `"\\u0000${integer}"`
  })
  return JSON.parse(marked, (_key, value) =>
    typeof value === 'string' && value.startsWith('\u0000') ? BigInt(value.slice(1)) : value,
  )
}

function call(client, method, args) {
  switch (method) {
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
      throw new Error(`unknown method ${method}`)
  }
}

let client = null

async function handle(command) {
  switch (command.cmd) {
    case 'hello':
      return { lang: 'node' }
    case 'decode':
      return decodeLine('text' in command ? command.text : Buffer.from(command.hex, 'hex'))
    case 'new_client': {
      client = null
      const { channel, ...options } = command.client
      client = new MonitorClient(channel, { socketPath: command.socket, ...jsArgs(options) })
      return null
    }
    case 'call':
      call(client, command.method, command.args)
      return null
    case 'flush':
      return await client.flush(command.timeout_ms)
    case 'close':
      return await client.close(command.timeout_ms)
    case 'stats': {
      const { acksActive, ...stats } = client.stats()
      return { ...stats, acks_active: acksActive }
    }
    default:
      throw new Error(`unknown command ${command.cmd}`)
  }
}

async function answer(command) {
  try {
    return { ok: await handle(command) }
  } catch (err) {
    if (typeof err.errorClass === 'string') return { error: err.errorClass, field: err.field, detail: err.message }
    if (typeof err.argument === 'string') return { error: 'invalid_argument', argument: snake(err.argument), detail: err.message }
    throw err
  }
}

async function main() {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const reply = await answer(parseExact(line))
    process.stdout.write(`${JSON.stringify(reply, (_key, value) => (typeof value === 'bigint' ? Number(value) : value))}\n`)
  }
  if (client !== null) await client.close(0)
}

main()
