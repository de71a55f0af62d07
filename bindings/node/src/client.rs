//! `NativeClient`: the core's `MonitorClient` behind napi. `index.js` wraps
//! it into the public `MonitorClient`. Every entry point runs through
//! `errors::js`, so a failure or a panic reaches JS as an exception.

use crate::args;
use crate::errors::{caught, js, Failure, Result};
use napi::bindgen_prelude::{Either, Null, Object};
use napi::{Env, Unknown};
use napi_derive::napi;
use std::sync::Arc;

/// The options `new MonitorClient(channel, options)` knows, by JS name.
const OPTIONS: [&str; 5] = ["pid", "socketPath", "queueCapacity", "maxAggregates", "heartbeatIntervalMs"];

#[napi]
pub struct NativeClient {
    client: Arc<kissmon::MonitorClient>,
}

/// A snapshot of the client's counters.
#[napi(object)]
pub struct Stats {
    /// Lines waiting to be written.
    pub queued: i64,
    /// Lines written to the monitor.
    pub sent: i64,
    /// Calls that will never be written, counted.
    pub dropped: i64,
    /// Calls folded into another line.
    pub coalesced: i64,
    /// Connections made after the first.
    pub reconnects: i64,
    /// Whether the client holds a connection now.
    pub connected: bool,
    /// The latest connection or write problem, or null.
    pub last_error: Either<String, Null>,
    /// llm_usage lines the monitor acknowledged as stored (protocol 1.1).
    pub acked: i64,
    /// llm_usage lines written and waiting for an ack, kept to be written again after a reconnect.
    pub unacked: i64,
    /// Lines written again after a reconnect because they were not acknowledged (not in sent).
    pub resent: i64,
    /// Whether the monitor on this connection acknowledges; false against a v1 monitor.
    pub acks_active: bool,
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn build(channel: Unknown, options: Unknown) -> Result<kissmon::MonitorClient> {
    let mut builder =
        kissmon::MonitorClient::builder(args::string(channel, "channel")?).sdk("node", env!("CARGO_PKG_VERSION"));
    let Some(options) = args::opt_object(options, "options")? else {
        return builder.build().map_err(Failure::from);
    };
    if let Some(unknown) = args::keys(&options, "options")?.into_iter().find(|key| !OPTIONS.contains(&key.as_str())) {
        return Err(Failure::Type {
            argument: "options",
            reason: format!("has no option {unknown:?}; the options are {}", OPTIONS.join(", ")),
        });
    }
    if let Some(pid) = args::opt_whole(args::property(&options, "pid", "pid")?, "pid")? {
        let pid = u32::try_from(pid)
            .map_err(|_| Failure::Range { argument: "pid", reason: format!("must fit in 32 bits, got {pid}") })?;
        builder = builder.pid(pid);
    }
    if let Some(path) = args::opt_string(args::property(&options, "socketPath", "socket_path")?, "socket_path")? {
        builder = builder.socket_path(path);
    }
    let capacity = args::property(&options, "queueCapacity", "queue_capacity")?;
    if let Some(capacity) = args::opt_whole(capacity, "queue_capacity")? {
        builder = builder.queue_capacity(usize::try_from(capacity).unwrap_or(usize::MAX));
    }
    let max_aggregates = args::property(&options, "maxAggregates", "max_aggregates")?;
    if let Some(max) = args::opt_whole(max_aggregates, "max_aggregates")? {
        builder = builder.max_aggregates(usize::try_from(max).unwrap_or(usize::MAX));
    }
    let interval = args::property(&options, "heartbeatIntervalMs", "heartbeat_interval")?;
    if !args::is_absent(&interval) {
        builder = builder.heartbeat_interval(args::millis(interval, "heartbeat_interval")?);
    }
    builder.build().map_err(Failure::from)
}

fn features(features: Unknown) -> Result<Vec<(String, bool)>> {
    let Some(features) = args::opt_object(features, "features")? else {
        return Ok(Vec::new());
    };
    let mut pairs = Vec::new();
    for name in args::keys(&features, "features")? {
        let enabled = args::property(&features, &name, "features")?;
        let enabled = args::boolean(enabled, "features").map_err(|_| Failure::Type {
            argument: "features",
            reason: format!("feature {name:?} must be a boolean"),
        })?;
        pairs.push((name, enabled));
    }
    Ok(pairs)
}

#[napi]
impl NativeClient {
    /// Checks the arguments and starts the client's sender thread; no I/O happens here.
    #[napi(constructor, ts_args_type = "channel: string, options?: object | null")]
    pub fn new(env: Env, channel: Unknown, options: Unknown) -> napi::Result<Self> {
        js(&env, || Ok(NativeClient { client: Arc::new(build(channel, options)?) }))
    }

    #[napi(ts_args_type = "features?: Record<string, boolean> | null")]
    pub fn register(&self, env: Env, features: Unknown) -> napi::Result<()> {
        js(&env, || Ok(self.client.register(self::features(features)?)?))
    }

    /// A heartbeat from a timer that fired `lagMs` late.
    #[napi(ts_args_type = "lagMs: number")]
    pub fn heartbeat_with_lag(&self, env: Env, lag_ms: Unknown) -> napi::Result<()> {
        js(&env, || {
            self.client.heartbeat_with_lag(args::millis(lag_ms, "lag_ms")?);
            Ok(())
        })
    }

    /// `heartbeat` and `logLlmUsage` as plain functions bound to this
    /// client, and `usageSlots`, the memory `logLlmUsage` shares with
    /// index.js (usage.rs). A bot calls these in its hot loop, and a napi-rs
    /// class method costs several hundred nanoseconds of receiver checks that
    /// a function holding its client does not need.
    #[napi(
        ts_return_type = "{ heartbeat(): void; logLlmUsage(usage?: object, model?: string, feature?: string, tokensIn?: number | bigint, tokensOut?: number | bigint, latencyMs?: number | null, provider?: string | null, costUsd?: number | null, cacheReadTokens?: number | bigint | null, reasoningTokens?: number | bigint | null, ok?: boolean | null): void; usageSlots: Float64Array }"
    )]
    pub fn hot_calls<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        js(env, || {
            let mut calls = Object::new(env)?;
            let client = Arc::clone(&self.client);
            let heartbeat = env.create_function_from_closure::<(), (), _>("heartbeat", move |call| {
                js(call.env, || {
                    client.heartbeat();
                    Ok(())
                })
            })?;
            calls.set("heartbeat", heartbeat)?;
            // A bare napi callback (usage.rs) whose body runs through `js` too,
            // and the memory it shares with index.js.
            let (log_llm_usage, slots) = crate::usage::function(env, Arc::clone(&self.client))?;
            calls.set("logLlmUsage", log_llm_usage)?;
            calls.set("usageSlots", slots)?;
            Ok(calls)
        })
    }

    #[napi]
    pub fn unregister(&self, env: Env) -> napi::Result<()> {
        js(&env, || {
            self.client.unregister();
            Ok(())
        })
    }

    /// Announces `intervalMs` as the heartbeat interval, for bots that run their own timer.
    #[napi(ts_args_type = "intervalMs: number")]
    pub fn announce_heartbeat_interval(&self, env: Env, interval_ms: Unknown) -> napi::Result<()> {
        js(&env, || Ok(self.client.announce_heartbeat_interval(args::millis(interval_ms, "interval")?)?))
    }

    /// Starts the core's heartbeat schedule for the timer `index.js` runs on
    /// the event loop; returns the schedule's id for `heartbeatTick`.
    #[napi(ts_args_type = "intervalMs: number")]
    pub fn start_host_heartbeat(&self, env: Env, interval_ms: Unknown) -> napi::Result<f64> {
        // Ids count up from 1, far below 2^53: exact as a JS number.
        js(&env, || Ok(self.client.start_host_heartbeat(args::millis(interval_ms, "interval")?)? as f64))
    }

    /// The timer of schedule `schedule` fired: beats if due, and returns the
    /// milliseconds until the next beat is due, or null once the schedule ended.
    #[napi]
    pub fn heartbeat_tick(&self, env: Env, schedule: f64) -> napi::Result<Option<f64>> {
        js(&env, || Ok(self.client.heartbeat_tick(schedule as u64).map(|next| next.as_secs_f64() * 1000.0)))
    }

    /// Stops the periodic heartbeat.
    #[napi]
    pub fn stop_heartbeat(&self, env: Env) -> napi::Result<()> {
        js(&env, || {
            self.client.stop_heartbeat();
            Ok(())
        })
    }

    /// The heartbeat interval announced now, in milliseconds.
    #[napi(getter)]
    pub fn heartbeat_interval_ms(&self, env: Env) -> napi::Result<f64> {
        js(&env, || Ok(self.client.heartbeat_interval().as_secs_f64() * 1000.0))
    }

    /// Resolves with whether every call made so far was written within the timeout.
    #[napi(ts_args_type = "timeoutMs?: number | null", ts_return_type = "Promise<boolean>")]
    pub fn flush<'env>(&self, env: &'env Env, timeout_ms: Unknown) -> napi::Result<Object<'env>> {
        js(env, || {
            let timeout = args::timeout(timeout_ms, "timeout_ms", kissmon::DEFAULT_FLUSH_TIMEOUT)?;
            wait_off_thread(env, &self.client, move |client| client.flush(timeout))
        })
    }

    /// Unregisters if registered, flushes, stops the sender; resolves with whether everything was written.
    #[napi(ts_args_type = "timeoutMs?: number | null", ts_return_type = "Promise<boolean>")]
    pub fn close<'env>(&self, env: &'env Env, timeout_ms: Unknown) -> napi::Result<Object<'env>> {
        js(env, || {
            let timeout = args::timeout(timeout_ms, "timeout_ms", kissmon::DEFAULT_CLOSE_TIMEOUT)?;
            wait_off_thread(env, &self.client, move |client| client.close(timeout))
        })
    }

    /// Blocks the calling thread: only for the process 'exit' handler,
    /// where nothing asynchronous can run any more.
    #[napi(ts_args_type = "timeoutMs: number")]
    pub fn close_sync(&self, env: Env, timeout_ms: Unknown) -> napi::Result<bool> {
        js(&env, || Ok(self.client.close(args::timeout(timeout_ms, "timeout_ms", kissmon::DEFAULT_CLOSE_TIMEOUT)?)))
    }

    #[napi]
    pub fn stats(&self, env: Env) -> napi::Result<Stats> {
        js(&env, || {
            let stats = self.client.stats();
            Ok(Stats {
                queued: count(stats.queued),
                sent: count(stats.sent),
                dropped: count(stats.dropped),
                coalesced: count(stats.coalesced),
                reconnects: count(stats.reconnects),
                connected: stats.connected,
                last_error: stats.last_error.map_or(Either::B(Null), Either::A),
                acked: count(stats.acked),
                unacked: count(stats.unacked),
                resent: count(stats.resent),
                acks_active: stats.acks_active,
            })
        })
    }

    /// Connection events since the last call, oldest first.
    #[napi]
    pub fn take_warnings(&self, env: Env) -> napi::Result<Vec<String>> {
        js(&env, || Ok(self.client.take_warnings()))
    }

    /// The random id this client writes as `instance`.
    #[napi(getter)]
    pub fn instance(&self, env: Env) -> napi::Result<String> {
        js(&env, || Ok(self.client.instance()))
    }

    #[napi(getter)]
    pub fn pid(&self, env: Env) -> napi::Result<u32> {
        js(&env, || Ok(self.client.pid()))
    }

    #[napi(getter)]
    pub fn channel(&self, env: Env) -> napi::Result<String> {
        js(&env, || Ok(self.client.channel().to_owned()))
    }
}

/// Runs the core's blocking `flush` or `close` on a thread of its own and
/// returns a promise of its answer, so that the event loop never waits. Not
/// the libuv pool: its few threads serve fs and dns, and a worker's teardown
/// waits for pool work to finish, which would hold `worker.terminate()` for
/// the whole timeout.
fn wait_off_thread<'env>(
    env: &'env Env,
    client: &Arc<kissmon::MonitorClient>,
    wait: impl FnOnce(&kissmon::MonitorClient) -> bool + Send + 'static,
) -> Result<Object<'env>> {
    let (deferred, promise) = env.create_deferred()?;
    let client = Arc::clone(client);
    let waiter =
        std::thread::Builder::new().name("kissmon-wait".into()).spawn(move || match caught(|| Ok(wait(&client))) {
            Ok(delivered) => deferred.resolve(move |_env| Ok(delivered)),
            Err(failure) => deferred.reject(napi::Error::from_reason(format!("{failure:?}"))),
        });
    match waiter {
        Ok(_) => Ok(promise),
        Err(err) => Err(Failure::Spawn(err)),
    }
}

/// The heartbeat interval a client announces when none is given, in
/// milliseconds: the core's default, for the timer `index.js` runs.
#[napi]
pub fn default_heartbeat_interval_ms(env: Env) -> napi::Result<f64> {
    js(&env, || Ok(kissmon::DEFAULT_HEARTBEAT_INTERVAL.as_secs_f64() * 1000.0))
}

/// What the process 'exit' handler of `index.js` may spend closing all
/// clients together, in milliseconds: the core's budget.
#[napi]
pub fn exit_flush_budget_ms(env: Env) -> napi::Result<f64> {
    js(&env, || Ok(kissmon::EXIT_FLUSH_BUDGET.as_secs_f64() * 1000.0))
}
