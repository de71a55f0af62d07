// kissmon for Node: the public API. The native class is the kissmon crate's
// client; this file adds only what has to live on the JS side: the timer
// that fires the core's heartbeat schedule on the event loop, so that a
// stalled loop shows as late beats, and closing every client when the
// process exits.
'use strict'

const native = require('./native.js')

/** What the 'exit' handler may spend closing clients, all of them together (200 ms, from the core). */
const EXIT_BUDGET_MS = native.exitFlushBudgetMs()
/** Longest delay Node's timers take; a longer wait ticks early and the core says how much is left. */
const MAX_TIMER_MS = 2 ** 31 - 1

// Clients of this thread (each worker loads its own copy of this module),
// held weakly so that an unused client can still be collected.
const live = new Set()
const forget = new FinalizationRegistry((ref) => live.delete(ref))

function closeAllAtExit() {
  const deadline = performance.now() + EXIT_BUDGET_MS
  for (const ref of live) {
    const client = ref.deref()
    if (client !== undefined) {
      client.closeSync(Math.max(0, deadline - performance.now()))
    }
  }
  live.clear()
}

process.on('exit', closeAllAtExit)

// What logLlmUsage tells the addon about its arguments (src/usage.rs), so
// that the addon does not ask napi: each check is far cheaper in JS.
const USAGE_IS_OBJECT = 1
const HAS_LATENCY = 1 << 1
const HAS_PROVIDER = 1 << 2
const HAS_COST = 1 << 3
const HAS_CACHE_READ = 1 << 4
const HAS_REASONING = 1 << 5
const HAS_OK = 1 << 6
const SAME_MODEL = 1 << 7
const SAME_FEATURE = 1 << 8
const SAME_PROVIDER = 1 << 9

class MonitorClient {
  #native
  // The hot calls, as functions bound to the client (see NativeClient.hotCalls).
  #heartbeat
  #logLlmUsage
  // The strings of the latest logLlmUsage call, as the addon holds them too.
  #model
  #feature
  #provider
  #timer = null

  constructor(channel, options) {
    this.#native = new native.NativeClient(channel, options)
    const calls = this.#native.hotCalls()
    this.#heartbeat = calls.heartbeat
    this.#logLlmUsage = calls.logLlmUsage
    const ref = new WeakRef(this.#native)
    live.add(ref)
    forget.register(this.#native, ref)
  }

  register(features) {
    this.#native.register(features)
  }

  heartbeat() {
    this.#heartbeat()
  }

  logLlmUsage(usage) {
    const u = usage
    if (typeof u !== 'object' || u === null || Array.isArray(u)) {
      // No facts: the addon checks everything and names what is wrong.
      this.#logLlmUsage(0, u, u?.model, u?.feature, u?.tokensIn, u?.tokensOut, u?.latencyMs, u?.provider, u?.costUsd, u?.cacheReadTokens, u?.reasoningTokens, u?.ok)
      return
    }
    const { model, feature, tokensIn, tokensOut, latencyMs, provider, costUsd, cacheReadTokens, reasoningTokens, ok } = u
    let facts = USAGE_IS_OBJECT
    if (latencyMs != null) facts |= HAS_LATENCY
    if (provider != null) facts |= HAS_PROVIDER
    if (costUsd != null) facts |= HAS_COST
    if (cacheReadTokens != null) facts |= HAS_CACHE_READ
    if (reasoningTokens != null) facts |= HAS_REASONING
    if (ok != null) facts |= HAS_OK
    // The addon keeps the previous call's strings: by one rule on both
    // sides, a string not identical to the previous one replaces it.
    if (typeof model === 'string') {
      if (model === this.#model) facts |= SAME_MODEL
      else this.#model = model
    }
    if (typeof feature === 'string') {
      if (feature === this.#feature) facts |= SAME_FEATURE
      else this.#feature = feature
    }
    if (typeof provider === 'string') {
      if (provider === this.#provider) facts |= SAME_PROVIDER
      else this.#provider = provider
    }
    this.#logLlmUsage(facts, u, model, feature, tokensIn, tokensOut, latencyMs, provider, costUsd, cacheReadTokens, reasoningTokens, ok)
  }

  unregister() {
    this.#native.unregister()
    this.#endTimer()
  }

  // The schedule is the core's: it says when a beat is due and beats on
  // each tick; this timer only wakes it from the event loop until the core
  // says the schedule ended (stop, unregister, close, or a new start).
  startHeartbeat(intervalMs) {
    const schedule = this.#native.startHostHeartbeat(intervalMs ?? this.#native.heartbeatIntervalMs)
    this.#endTimer()
    const tick = () => {
      const delay = this.#native.heartbeatTick(schedule)
      if (delay === null) {
        this.#timer = null
        return
      }
      this.#timer = setTimeout(tick, Math.min(delay, MAX_TIMER_MS))
      this.#timer.unref()
    }
    tick()
  }

  stopHeartbeat() {
    this.#native.stopHeartbeat()
    this.#endTimer()
  }

  #endTimer() {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
  }

  flush(timeoutMs) {
    return this.#native.flush(timeoutMs)
  }

  close(timeoutMs) {
    const closing = this.#native.close(timeoutMs)
    this.#endTimer()
    return closing
  }

  stats() {
    return this.#native.stats()
  }

  takeWarnings() {
    return this.#native.takeWarnings()
  }

  get instance() {
    return this.#native.instance
  }

  get pid() {
    return this.#native.pid
  }

  get channel() {
    return this.#native.channel
  }

  get heartbeatIntervalMs() {
    return this.#native.heartbeatIntervalMs
  }
}

function decodeLine(line) {
  return JSON.parse(native.decodeLine(line))
}

module.exports = { MonitorClient, decodeLine }
