// Types of the public API (index.js, index.mjs). Written by hand: the
// napi-generated native.d.ts describes the native layer underneath, and a
// test checks that these declarations and the runtime exports agree.

/** Options of a client; every one has a default. */
export interface MonitorClientOptions {
  /** The pid to report. Default: this process. */
  pid?: number
  /** Where the monitor listens. Default: `$KISSBOT_MONITOR_SOCKET`, else `/tmp/kissbot_monitor.sock`. */
  socketPath?: string
  /** How many llm_usage calls may wait before further ones fold into aggregates. Default 1024. */
  queueCapacity?: number
  /** How many distinct aggregates may exist once the queue is full; past this, calls are dropped and counted. Default 256. */
  maxAggregates?: number
  /** The heartbeat interval announced on register, and `startHeartbeat()`'s default. Default 30000. */
  heartbeatIntervalMs?: number
}

/** One LLM call. Token counts are whole numbers up to 2^53 (a number or a bigint). */
export interface LlmUsage {
  model: string
  feature: string
  tokensIn: number | bigint
  tokensOut: number | bigint
  /** Wall time of the call in milliseconds. */
  latencyMs?: number | null
  /** Who served the call: "openai", "anthropic", ... */
  provider?: string | null
  /** What the call cost, in US dollars. */
  costUsd?: number | null
  /** Input tokens served from the provider's prompt cache. */
  cacheReadTokens?: number | bigint | null
  /** Output tokens spent on reasoning. */
  reasoningTokens?: number | bigint | null
  /** Whether the call succeeded. */
  ok?: boolean | null
}

/** Counters and state of one client. */
export interface Stats {
  /** Lines waiting to be written now. */
  queued: number
  /** Lines written to the monitor, registration replays included. */
  sent: number
  /** Calls that will never be written: past the aggregate bound, after close, or left when a deadline ran out. */
  dropped: number
  /** Calls merged into another line: heartbeats into the pending one, llm_usage into an aggregate. */
  coalesced: number
  /** Connections made after the first. */
  reconnects: number
  /** Whether the client holds a connection now. */
  connected: boolean
  /** The latest connection or write problem, if any. */
  lastError: string | null
  /** llm_usage lines the monitor acknowledged as stored (protocol 1.1). */
  acked: number
  /** llm_usage lines written and waiting for the monitor's ack, kept to be written again after a reconnect. */
  unacked: number
  /** Lines written again after a reconnect because they were not acknowledged (not counted in `sent`). */
  resent: number
  /** Whether the monitor on the current connection acknowledges; false against a v1 monitor. */
  acksActive: boolean
}

/**
 * The non-blocking client of one bot. No method waits on the monitor
 * except the promises of `flush` and `close`, and those never block the
 * event loop. Nothing here keeps the process alive: when the process exits,
 * every client is closed within 200 ms in all.
 *
 * Invalid arguments throw a TypeError (wrong type) or RangeError (refused
 * value) whose `argument` property names the argument; the monitor's state
 * never throws.
 */
export declare class MonitorClient {
  constructor(channel: string, options?: MonitorClientOptions | null)
  /** Announces this bot with its features; replayed on every reconnection. */
  register(features?: Record<string, boolean> | null): void
  /** Reports that the bot is alive. */
  heartbeat(): void
  /** Reports one LLM call. */
  logLlmUsage(usage: LlmUsage): void
  /** Says the bot is leaving and stops the periodic heartbeat. */
  unregister(): void
  /** Beats now and then every `intervalMs` (default: `heartbeatIntervalMs`), fired by an unref'd timer on the event loop. Does nothing after `close`. */
  startHeartbeat(intervalMs?: number | null): void
  /** Stops the periodic heartbeat. */
  stopHeartbeat(): void
  /** Resolves with whether every call made so far was written within `timeoutMs` (default 1000). */
  flush(timeoutMs?: number | null): Promise<boolean>
  /** Unregisters if registered, flushes within `timeoutMs` (default 2000) and stops; idempotent. */
  close(timeoutMs?: number | null): Promise<boolean>
  stats(): Stats
  /** Connection events since the last call, oldest first. */
  takeWarnings(): string[]
  /** The random id this client writes as `instance`. */
  readonly instance: string
  /** The pid this client reports. */
  readonly pid: number
  /** The channel this client reports for. */
  readonly channel: string
  /** The heartbeat interval announced now, in milliseconds: the option, or the latest `startHeartbeat`'s. */
  readonly heartbeatIntervalMs: number
}

/** A protocol message as the decoder returns it: its canonical fields, snake_case as on the wire. */
export interface Message {
  type: 'register' | 'heartbeat' | 'unregister' | 'llm_usage'
  channel: string
  [field: string]: unknown
}

/** What `decodeLine` throws for a line the protocol rejects. */
export interface DecodeError extends Error {
  code: 'ERR_KISSMON_DECODE'
  errorClass:
    | 'line_too_long'
    | 'invalid_utf8'
    | 'invalid_json'
    | 'not_object'
    | 'unknown_type'
    | 'missing_field'
    | 'invalid_field'
  /** The field at fault, if any. */
  field: string | null
}

/** Decodes one protocol line (without its `\n`) with the monitor's own decoder; throws a DecodeError. */
export declare function decodeLine(line: string | Uint8Array): Message
