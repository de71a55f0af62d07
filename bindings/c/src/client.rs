//! `kissmon_client`: the core's `MonitorClient` behind an opaque pointer.
//!
//! No function here waits on the monitor except `kissmon_client_flush` and
//! `kissmon_client_close`, and those never past their timeout. The monitor's
//! state is never an error: only bad arguments are.

use crate::boundary::{self, kissmon_status, Failure};
use crate::options::{self, kissmon_options};
use crate::strings;
use crate::usage::{self, kissmon_llm_usage};
use kissmon_core::MonitorClient;
use std::ffi::c_char;
use std::time::Duration;

/// A client of one bot: made by `kissmon_client_new`, freed by
/// `kissmon_client_free` (never by free()). Safe to use from many threads at once.
pub struct kissmon_client {
    inner: MonitorClient,
}

/// Size of `kissmon_stats.last_error`, its terminating NUL included.
pub const KISSMON_LAST_ERROR_BYTES: usize = 512;

/// Counters and state of a client, from `kissmon_client_stats`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kissmon_stats {
    /// Lines waiting to be written now.
    pub queued: u64,
    /// Lines written to the monitor, registration replays included.
    pub sent: u64,
    /// Calls that will never be written: past the aggregate bound, after close, or left when close's timeout ran out.
    pub dropped: u64,
    /// Calls merged into another line: heartbeats into the pending one, llm_usage into an aggregate.
    pub coalesced: u64,
    /// Connections made after the first.
    pub reconnects: u64,
    /// llm_usage lines the monitor acknowledged as stored (protocol 1.1).
    pub acked: u64,
    /// llm_usage lines written and waiting for the monitor's ack (kept to be written again after a reconnect).
    pub unacked: u64,
    /// Lines written again after a reconnect because they were not acknowledged (not counted in `sent`).
    pub resent: u64,
    /// Whether the client holds a connection to the monitor now.
    pub connected: bool,
    /// Whether the monitor on the current connection acknowledges; false against a v1 monitor.
    pub acks_active: bool,
    /// The latest connection or write problem, NUL-terminated UTF-8 (cut at
    /// a character boundary if longer than the buffer); empty if none.
    pub last_error: [c_char; KISSMON_LAST_ERROR_BYTES],
}

/// # Safety
/// `client` is NULL or a live pointer from `kissmon_client_new`.
unsafe fn client_ref<'a>(client: *const kissmon_client) -> Result<&'a MonitorClient, Failure> {
    client.as_ref().map(|c| &c.inner).ok_or_else(|| Failure::null("client"))
}

/// Makes a client of `channel` (NUL-terminated UTF-8, 1..=128 bytes) and
/// stores it in `*out`. `options` may be NULL for every default. No I/O
/// happens here: an absent monitor is not an error. On failure `*out` is NULL.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("channel",
/// "out"), `KISSMON_STATUS_INVALID_UTF8` ("channel", "sdk_lang", "sdk_version"),
/// `KISSMON_STATUS_INVALID_ARGUMENT` ("channel", "pid", "socket_path",
/// "queue_capacity", "max_aggregates", "heartbeat_interval", "sdk"),
/// `KISSMON_STATUS_SPAWN_FAILED` or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `channel` is NULL or a NUL-terminated string; `options` is NULL or a valid
/// `kissmon_options` (zero-initialised, then set); `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_new(
    channel: *const c_char,
    options: *const kissmon_options,
    out: *mut *mut kissmon_client,
) -> kissmon_status {
    boundary::call(|| {
        let out = out.as_mut().ok_or_else(|| Failure::null("out"))?;
        *out = std::ptr::null_mut();
        let channel = strings::required(channel, "channel")?;
        let inner = options::builder(channel, options.as_ref())?.build()?;
        *out = Box::into_raw(Box::new(kissmon_client { inner }));
        Ok(())
    })
}

/// `kissmon_client_new` for callers whose strings carry a length (the Go
/// module): `channel` is `channel_len` bytes, not NUL-terminated, so a NUL
/// byte inside it is reported rather than cutting it short.
///
/// Returns the statuses of `kissmon_client_new`.
///
/// # Safety
/// `channel` is NULL or holds `channel_len` bytes; the rest as for `kissmon_client_new`.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_new_n(
    channel: *const c_char,
    channel_len: usize,
    options: *const kissmon_options,
    out: *mut *mut kissmon_client,
) -> kissmon_status {
    boundary::call(|| {
        let out = out.as_mut().ok_or_else(|| Failure::null("out"))?;
        *out = std::ptr::null_mut();
        let channel = strings::sized(channel, channel_len, "channel")?;
        let inner = options::builder(channel, options.as_ref())?.build()?;
        *out = Box::into_raw(Box::new(kissmon_client { inner }));
        Ok(())
    })
}

/// Announces the bot with its features: `count` names (NUL-terminated UTF-8)
/// and whether each is enabled. The registration is replayed first on every
/// new connection. `names` and `enabled` may be NULL when `count` is 0.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client",
/// "features", "enabled"), `KISSMON_STATUS_INVALID_UTF8` ("features"),
/// `KISSMON_STATUS_INVALID_ARGUMENT` ("features") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live; `names` and `enabled` are NULL or hold `count` elements.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_register(
    client: *const kissmon_client,
    names: *const *const c_char,
    enabled: *const bool,
    count: usize,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let names = slice(names, count, "features")?;
        let enabled = slice(enabled, count, "enabled")?;
        let features = names
            .iter()
            .zip(enabled)
            .map(|(name, on)| Ok((strings::required(*name, "features")?, *on)))
            .collect::<Result<Vec<_>, Failure>>()?;
        Ok(client.register(features)?)
    })
}

/// `kissmon_client_register` for callers whose strings carry a length (the
/// Go module): the `count` names are concatenated in `names`, the i-th one
/// `name_lens[i]` bytes long, no NUL needed.
///
/// Returns the statuses of `kissmon_client_register`, plus
/// `KISSMON_STATUS_NULL_ARGUMENT` ("name_lens").
///
/// # Safety
/// `client` is NULL or live; `names` holds the sum of `name_lens` bytes;
/// `name_lens` and `enabled` hold `count` elements (NULL when `count` is 0).
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_register_n(
    client: *const kissmon_client,
    names: *const c_char,
    name_lens: *const usize,
    enabled: *const bool,
    count: usize,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let lens = slice(name_lens, count, "name_lens")?;
        let enabled = slice(enabled, count, "enabled")?;
        let total = lens.iter().try_fold(0usize, |sum, len| sum.checked_add(*len));
        let total = total.ok_or_else(|| Failure::out_of_range("name_lens", "lengths overflow".into()))?;
        let all = strings::sized(names, total, "features")?;
        let mut features = Vec::with_capacity(count);
        let mut at = 0;
        for (len, on) in lens.iter().zip(enabled) {
            let name = all.get(at..at + len).ok_or_else(|| {
                Failure::out_of_range("name_lens", format!("a name ends at byte {}, inside a character", at + len))
            })?;
            features.push((name, *on));
            at += len;
        }
        Ok(client.register(features)?)
    })
}

/// A `count`-element array argument; NULL is allowed when `count` is 0.
///
/// # Safety
/// `ptr` is NULL or holds `count` elements valid for `'a`.
unsafe fn slice<'a, T>(ptr: *const T, count: usize, argument: &'static str) -> Result<&'a [T], Failure> {
    match (count, ptr.is_null()) {
        (0, _) => Ok(&[]),
        (_, true) => Err(Failure::null(argument)),
        (_, false) => Ok(std::slice::from_raw_parts(ptr, count)),
    }
}

/// Reports that the bot is alive. Never blocks: at most one heartbeat waits, more are coalesced.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_heartbeat(client: *const kissmon_client) -> kissmon_status {
    boundary::call(|| {
        client_ref(client)?.heartbeat();
        Ok(())
    })
}

/// A heartbeat that fired `lag_ms` milliseconds later than its schedule, for
/// bots that run a heartbeat timer of their own.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client"),
/// `KISSMON_STATUS_INVALID_ARGUMENT` ("lag_ms": negative or not finite) or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_heartbeat_with_lag(
    client: *const kissmon_client,
    lag_ms: f64,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        client.heartbeat_with_lag(kissmon_core::duration_from_millis("lag_ms", lag_ms)?);
        Ok(())
    })
}

/// Reports one LLM call. Never blocks: when the queue is full the call is
/// folded into an aggregate, and past the aggregate bound dropped and counted.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client",
/// "usage", "model", "feature"), `KISSMON_STATUS_INVALID_UTF8` ("model",
/// "feature", "provider"), `KISSMON_STATUS_INVALID_ARGUMENT` ("model",
/// "feature", "tokens_in", "tokens_out", "latency_ms", "provider",
/// "cache_read_tokens", "reasoning_tokens", "cost_usd") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live; `usage` is NULL or a valid `kissmon_llm_usage`.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_log_llm_usage(
    client: *const kissmon_client,
    usage: *const kissmon_llm_usage,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let fields = usage.as_ref().ok_or_else(|| Failure::null("usage"))?;
        Ok(client.log_llm_usage(usage::from_struct(fields)?)?)
    })
}

/// `kissmon_client_log_llm_usage` for callers whose strings carry a length
/// (the Go module): the strings come from the (pointer, length) arguments,
/// not NUL-terminated, and `usage->model`, `usage->feature` and
/// `usage->provider` are ignored. A NULL `provider` means absent; a NULL
/// `model` or `feature` with length 0 is the empty string.
///
/// Returns the statuses of `kissmon_client_log_llm_usage`.
///
/// # Safety
/// `client` is NULL or live; each string pointer is NULL or holds its length
/// in bytes; `usage` is NULL or a valid `kissmon_llm_usage`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kissmon_client_log_llm_usage_n(
    client: *const kissmon_client,
    model: *const c_char,
    model_len: usize,
    feature: *const c_char,
    feature_len: usize,
    provider: *const c_char,
    provider_len: usize,
    usage: *const kissmon_llm_usage,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let fields = usage.as_ref().ok_or_else(|| Failure::null("usage"))?;
        let model = strings::sized(model, model_len, "model")?;
        let feature = strings::sized(feature, feature_len, "feature")?;
        let provider =
            if provider.is_null() { None } else { Some(strings::sized(provider, provider_len, "provider")?) };
        Ok(client.log_llm_usage(usage::convert(model, feature, provider, fields)?)?)
    })
}

/// Says the bot is leaving and stops the periodic heartbeat.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_unregister(client: *const kissmon_client) -> kissmon_status {
    boundary::call(|| {
        client_ref(client)?.unregister();
        Ok(())
    })
}

/// Announces `interval_s` as the bot's heartbeat interval without starting a
/// schedule, for bots that run a heartbeat timer of their own.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client"),
/// `KISSMON_STATUS_INVALID_ARGUMENT` ("interval") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_announce_heartbeat_interval(
    client: *const kissmon_client,
    interval_s: f64,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        Ok(client.announce_heartbeat_interval(options::seconds(interval_s, "interval")?)?)
    })
}

/// Sends a heartbeat now and then every `interval_s` seconds from the
/// library's sender thread, each carrying `lag_ms`. Replaces a running schedule.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client"),
/// `KISSMON_STATUS_INVALID_ARGUMENT` ("interval") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_start_heartbeat(
    client: *const kissmon_client,
    interval_s: f64,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        Ok(client.start_heartbeat(options::seconds(interval_s, "interval")?)?)
    })
}

/// Starts the library's heartbeat schedule (a beat due now, then every
/// `interval_s` seconds) for a timer the caller runs on its own loop, so
/// that each beat's `lag_ms` shows how late that loop fired it. Stores the
/// schedule's id in `*out_schedule`; the caller calls
/// `kissmon_client_heartbeat_tick` with it now and after each delay it
/// returns. Replaces a running schedule. After close nothing starts, and the
/// first tick says the schedule ended.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client",
/// "out_schedule"), `KISSMON_STATUS_INVALID_ARGUMENT` ("interval") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live; `out_schedule` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_start_host_heartbeat(
    client: *const kissmon_client,
    interval_s: f64,
    out_schedule: *mut u64,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let out = out_schedule.as_mut().ok_or_else(|| Failure::null("out_schedule"))?;
        *out = client.start_host_heartbeat(options::seconds(interval_s, "interval")?)?;
        Ok(())
    })
}

/// The caller's timer of heartbeat schedule `schedule` fired: queues the
/// beat if it is due (with how late it is, as `lag_ms`) and stores in
/// `*out_next_ns` the nanoseconds until the next one is due, or -1 once the
/// schedule ended (stopped, replaced, unregistered, closed, or in a forked
/// child): the caller's timer then ends.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client",
/// "out_next_ns") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live; `out_next_ns` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_heartbeat_tick(
    client: *const kissmon_client,
    schedule: u64,
    out_next_ns: *mut i64,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let out = out_next_ns.as_mut().ok_or_else(|| Failure::null("out_next_ns"))?;
        *out = client.heartbeat_tick(schedule).map_or(-1, |next| i64::try_from(next.as_nanos()).unwrap_or(i64::MAX));
        Ok(())
    })
}

/// Stops the periodic heartbeat, whichever runs it.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_stop_heartbeat(client: *const kissmon_client) -> kissmon_status {
    boundary::call(|| {
        client_ref(client)?.stop_heartbeat();
        Ok(())
    })
}

/// Waits up to `timeout_ms` for every call made so far to be written,
/// connecting at once if disconnected. The only calls that wait are this one
/// and `kissmon_client_close`.
///
/// Returns `KISSMON_STATUS_OK` (all written), `KISSMON_STATUS_TIMED_OUT`
/// (not all written; they stay queued), `KISSMON_STATUS_NULL_ARGUMENT`
/// ("client") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_flush(client: *const kissmon_client, timeout_ms: u64) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        if client.flush(Duration::from_millis(timeout_ms)) {
            Ok(())
        } else {
            Err(Failure::timed_out("flush", timeout_ms, client.stats().queued))
        }
    })
}

/// Unregisters if registered, flushes for up to `timeout_ms`, and stops the
/// client's sender thread. Later calls on the client are ignored and counted
/// as dropped; closing again returns what the first close returned. The
/// client must still be freed with `kissmon_client_free`.
///
/// Returns `KISSMON_STATUS_OK` (all written), `KISSMON_STATUS_TIMED_OUT`
/// (what was left is counted as dropped), `KISSMON_STATUS_NULL_ARGUMENT`
/// ("client") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_close(client: *const kissmon_client, timeout_ms: u64) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        if client.close(Duration::from_millis(timeout_ms)) {
            Ok(())
        } else {
            Err(Failure::timed_out("close", timeout_ms, client.stats().queued))
        }
    })
}

/// Copies the client's counters into `*out`.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client",
/// "out") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_stats(
    client: *const kissmon_client,
    out: *mut kissmon_stats,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let out = out.as_mut().ok_or_else(|| Failure::null("out"))?;
        let stats = client.stats();
        let mut last_error = [0 as c_char; KISSMON_LAST_ERROR_BYTES];
        if let Some(text) = &stats.last_error {
            let mut end = text.len().min(KISSMON_LAST_ERROR_BYTES - 1);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            for (dst, src) in last_error.iter_mut().zip(text[..end].bytes()) {
                // NUL cannot occur in these messages; a stray one would only cut the text short.
                *dst = src as c_char;
            }
        }
        *out = kissmon_stats {
            queued: stats.queued,
            sent: stats.sent,
            dropped: stats.dropped,
            coalesced: stats.coalesced,
            reconnects: stats.reconnects,
            acked: stats.acked,
            unacked: stats.unacked,
            resent: stats.resent,
            connected: stats.connected,
            acks_active: stats.acks_active,
            last_error,
        };
        Ok(())
    })
}

/// Takes the connection events logged since the last call (connected, lost
/// the connection and why, cannot connect, the monitor stopped reading...),
/// oldest first, one per line, for programs that log them; at most 32 are
/// kept. Stores a library string in `*out`, or NULL when there were none;
/// free it with `kissmon_string_free`.
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_NULL_ARGUMENT` ("client",
/// "out") or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `client` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_take_warnings(
    client: *const kissmon_client,
    out: *mut *mut c_char,
) -> kissmon_status {
    boundary::call(|| {
        let client = client_ref(client)?;
        let out = out.as_mut().ok_or_else(|| Failure::null("out"))?;
        let warnings = client.take_warnings();
        *out = if warnings.is_empty() { std::ptr::null_mut() } else { strings::hand_out(&warnings.join("\n")) };
        Ok(())
    })
}

/// Frees a client. Never blocks: if it was not closed, its sender goes on
/// delivering what is queued for up to 2 s in the background (unregistering
/// first), then stops. Call `kissmon_client_close` first to wait for delivery.
/// NULL is ignored. Do not call free() on a client, and do not use it after this.
///
/// # Safety
/// `client` is NULL or a live pointer from `kissmon_client_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn kissmon_client_free(client: *mut kissmon_client) {
    boundary::guard((), || {
        if !client.is_null() {
            drop(Box::from_raw(client));
        }
    })
}
