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

// What logLlmUsage tells the addon about the usage object's fields
// (src/usage.rs), so that the addon does not ask napi: each check is far
// cheaper in JS. It goes in slot 0 of the slots, the numbers the addon
// shares with this file; a field that is a JS number goes in its own slot,
// and any other value (a bigint, a value of the wrong type) as an argument,
// for the addon to read, check and name in its error.
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
const TOKENS_IN_IN_SLOT = 1 << 10
const TOKENS_OUT_IN_SLOT = 1 << 11
const LATENCY_IN_SLOT = 1 << 12
const COST_IN_SLOT = 1 << 13
const CACHE_READ_IN_SLOT = 1 << 14
const REASONING_IN_SLOT = 1 << 15
const OK_IN_FACTS = 1 << 16
const OK_TRUE = 1 << 17
const NO_ARGUMENTS = 1 << 18
/** The slots by index: facts, then the numeric fields. */
const FACTS = 0
const TOKENS_IN = 1
const TOKENS_OUT = 2
const LATENCY_MS = 3
const COST_USD = 4
const CACHE_READ_TOKENS = 5
const REASONING_TOKENS = 6

class MonitorClient {
  #native
  // The hot calls, as functions bound to the client, and the slots
  // #logLlmUsage reads (see NativeClient.hotCalls).
  #heartbeat
  #logLlmUsage
  #slots
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
    this.#slots = calls.usageSlots
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
    const slots = this.#slots
    if (typeof u !== 'object' || u === null || Array.isArray(u)) {
      // No facts: the addon checks everything and names what is wrong.
      slots[FACTS] = 0
      this.#logLlmUsage(u, u?.model, u?.feature, u?.tokensIn, u?.tokensOut, u?.latencyMs, u?.provider, u?.costUsd, u?.cacheReadTokens, u?.reasoningTokens, u?.ok)
      return
    }
    const { model, feature, tokensIn, tokensOut, latencyMs, provider, costUsd, cacheReadTokens, reasoningTokens, ok } = u
    // Whether a field has to go as an argument; if none does, the call passes none.
    let positional = false
    let facts = USAGE_IS_OBJECT
    if (typeof tokensIn === 'number') {
      slots[TOKENS_IN] = tokensIn
      facts |= TOKENS_IN_IN_SLOT
    } else positional = true
    if (typeof tokensOut === 'number') {
      slots[TOKENS_OUT] = tokensOut
      facts |= TOKENS_OUT_IN_SLOT
    } else positional = true
    if (latencyMs != null) {
      facts |= HAS_LATENCY
      if (typeof latencyMs === 'number') {
        slots[LATENCY_MS] = latencyMs
        facts |= LATENCY_IN_SLOT
      } else positional = true
    }
    if (costUsd != null) {
      facts |= HAS_COST
      if (typeof costUsd === 'number') {
        slots[COST_USD] = costUsd
        facts |= COST_IN_SLOT
      } else positional = true
    }
    if (cacheReadTokens != null) {
      facts |= HAS_CACHE_READ
      if (typeof cacheReadTokens === 'number') {
        slots[CACHE_READ_TOKENS] = cacheReadTokens
        facts |= CACHE_READ_IN_SLOT
      } else positional = true
    }
    if (reasoningTokens != null) {
      facts |= HAS_REASONING
      if (typeof reasoningTokens === 'number') {
        slots[REASONING_TOKENS] = reasoningTokens
        facts |= REASONING_IN_SLOT
      } else positional = true
    }
    if (ok != null) {
      facts |= HAS_OK
      if (ok === true) facts |= OK_IN_FACTS | OK_TRUE
      else if (ok === false) facts |= OK_IN_FACTS
      else positional = true
    }
    // The addon keeps the previous call's strings: by one rule on both
    // sides, a string not identical to the previous one replaces it.
    if (typeof model === 'string' && model === this.#model) facts |= SAME_MODEL
    else {
      positional = true
      if (typeof model === 'string') this.#model = model
    }
    if (typeof feature === 'string' && feature === this.#feature) facts |= SAME_FEATURE
    else {
      positional = true
      if (typeof feature === 'string') this.#feature = feature
    }
    if (provider != null) {
      facts |= HAS_PROVIDER
      if (typeof provider === 'string' && provider === this.#provider) facts |= SAME_PROVIDER
      else {
        positional = true
        if (typeof provider === 'string') this.#provider = provider
      }
    }
    if (positional) {
      slots[FACTS] = facts
      this.#logLlmUsage(u, model, feature, tokensIn, tokensOut, latencyMs, provider, costUsd, cacheReadTokens, reasoningTokens, ok)
    } else {
      slots[FACTS] = facts | NO_ARGUMENTS
      this.#logLlmUsage()
    }
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
