//! `kissmon_options`: the settings of `kissmon_client_new`, converted to the
//! core's builder. Every rule about their values lives in the core.

use crate::boundary::Failure;
use crate::strings;
use kissmon_core::{MonitorClient, MonitorClientBuilder};
use std::ffi::c_char;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// Settings of a new client. Zero-initialise it (`kissmon_options options = {0};`)
/// and set what you need: a zero `has_` flag or a NULL pointer keeps the
/// library's default. Numbers are wide signed types so that a value out of
/// range is reported by the library, naming the field. The layout is part of
/// the ABI: a change to it renames `kissmon_abi_v2`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kissmon_options {
    /// Where the monitor listens, NUL-terminated (any bytes but NUL).
    /// NULL: `$KISSBOT_MONITOR_SOCKET`, else "/tmp/kissbot_monitor.sock".
    pub socket_path: *const c_char,
    /// Whether `pid` is set. Unset: this process's pid, read again in a forked child.
    pub has_pid: bool,
    /// The pid to report, 1..=2147483647.
    pub pid: i64,
    /// Whether `queue_capacity` is set. Unset: 1024.
    pub has_queue_capacity: bool,
    /// How many llm_usage calls may wait before more fold into aggregates; at least 1.
    pub queue_capacity: i64,
    /// Whether `max_aggregates` is set. Unset: 256.
    pub has_max_aggregates: bool,
    /// How many distinct aggregates may exist once the queue is full; past this, calls are dropped and counted.
    pub max_aggregates: i64,
    /// Whether `heartbeat_interval_s` is set. Unset: 30 s.
    pub has_heartbeat_interval: bool,
    /// The heartbeat interval announced on register, in seconds (> 0).
    pub heartbeat_interval_s: f64,
    /// The SDK written in register's `sdk.lang`, for bindings built on this
    /// library (the Go module sets "go"). NULL: "c".
    pub sdk_lang: *const c_char,
    /// The SDK version written in register's `sdk.version`. NULL: this library's version.
    pub sdk_version: *const c_char,
}

/// Seconds as a `Duration`, by the core's one rule and cap for durations;
/// zero is passed on for the core to reject where it is not allowed.
pub(crate) fn seconds(value: f64, argument: &'static str) -> Result<Duration, Failure> {
    Ok(kissmon_core::duration_from_secs(argument, value)?)
}

fn count(value: i64, argument: &'static str) -> Result<usize, Failure> {
    usize::try_from(value).map_err(|_| Failure::out_of_range(argument, format!("must not be negative, got {value}")))
}

/// The core builder for `channel` with `options` applied (NULL: all defaults).
///
/// # Safety
/// The pointers inside `options` are NULL or valid NUL-terminated strings.
pub(crate) unsafe fn builder(
    channel: &str,
    options: Option<&kissmon_options>,
) -> Result<MonitorClientBuilder, Failure> {
    let sdk_version = env!("CARGO_PKG_VERSION");
    let mut builder = MonitorClient::builder(channel).sdk("c", sdk_version);
    let Some(options) = options else { return Ok(builder) };
    if !options.socket_path.is_null() {
        let path = std::ffi::CStr::from_ptr(options.socket_path);
        builder = builder.socket_path(std::ffi::OsStr::from_bytes(path.to_bytes()));
    }
    if options.has_pid {
        let pid = u32::try_from(options.pid).map_err(|_| {
            Failure::out_of_range(
                "pid",
                format!("must be an integer in 1..={}, got {}", kissmon_core::wire::MAX_PID, options.pid),
            )
        })?;
        builder = builder.pid(pid);
    }
    if options.has_queue_capacity {
        builder = builder.queue_capacity(count(options.queue_capacity, "queue_capacity")?);
    }
    if options.has_max_aggregates {
        builder = builder.max_aggregates(count(options.max_aggregates, "max_aggregates")?);
    }
    if options.has_heartbeat_interval {
        builder = builder.heartbeat_interval(seconds(options.heartbeat_interval_s, "heartbeat_interval")?);
    }
    let lang = strings::optional(options.sdk_lang, "sdk_lang")?;
    let version = strings::optional(options.sdk_version, "sdk_version")?;
    if lang.is_some() || version.is_some() {
        builder = builder.sdk(lang.unwrap_or("c"), version.unwrap_or(sdk_version));
    }
    Ok(builder)
}

/// The timeout, in milliseconds, a binding gives flush when its caller names
/// none: the library's one default for every language (the Go module reads it).
#[no_mangle]
pub extern "C" fn kissmon_default_flush_timeout_ms() -> u64 {
    kissmon_core::DEFAULT_FLUSH_TIMEOUT.as_millis() as u64
}

/// The timeout, in milliseconds, a binding gives close when its caller names
/// none: the library's one default for every language (the Go module reads it).
#[no_mangle]
pub extern "C" fn kissmon_default_close_timeout_ms() -> u64 {
    kissmon_core::DEFAULT_CLOSE_TIMEOUT.as_millis() as u64
}
