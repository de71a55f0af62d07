//! `kissmon._native.MonitorClient`: a newtype over `kissmon::MonitorClient`.
//! The pure-Python `kissmon.MonitorClient` subclasses it to fire the core's
//! heartbeat schedule from asyncio, and to add awaitable waits, context
//! managers and logging.

use crate::convert;
use crate::error::Result;
use crate::stats::Stats;
use kissmon::LlmUsage;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// Every this many `heartbeat`/`log_llm_usage` calls, the connection
/// warnings the core collected are handed to the Python logger.
const WARNINGS_EVERY: u32 = 1024;

/// The native client. Use `kissmon.MonitorClient`, which subclasses it.
#[pyclass(module = "kissmon._native", name = "MonitorClient", frozen, subclass, weakref)]
pub(crate) struct MonitorClient {
    client: kissmon::MonitorClient,
    calls: AtomicU32,
}

impl MonitorClient {
    /// Lets the Python layer log the core's warnings now and then, from a
    /// call the bot makes anyway (the sender thread never calls Python).
    fn count_call(slf: &Bound<'_, Self>) -> PyResult<()> {
        if slf.get().calls.fetch_add(1, Ordering::Relaxed) % WARNINGS_EVERY == WARNINGS_EVERY - 1 {
            slf.call_method0(pyo3::intern!(slf.py(), "_drain_warnings"))?;
        }
        Ok(())
    }
}

#[pymethods]
impl MonitorClient {
    #[new]
    #[pyo3(signature = (
        channel, *, pid=None, socket_path=None, queue_capacity=None, max_aggregates=None, heartbeat_interval=None
    ))]
    fn new(
        channel: &Bound<'_, PyAny>,
        pid: Option<&Bound<'_, PyAny>>,
        socket_path: Option<&Bound<'_, PyAny>>,
        queue_capacity: Option<&Bound<'_, PyAny>>,
        max_aggregates: Option<&Bound<'_, PyAny>>,
        heartbeat_interval: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let mut builder =
            kissmon::MonitorClient::builder(convert::text("channel", channel)?).sdk("python", crate::VERSION);
        if let Some(pid) = pid {
            builder = builder.pid(convert::count("pid", pid)?);
        }
        if let Some(path) = socket_path {
            builder = builder.socket_path(convert::path("socket_path", path)?);
        }
        if let Some(capacity) = queue_capacity {
            builder = builder.queue_capacity(convert::count("queue_capacity", capacity)?);
        }
        if let Some(max) = max_aggregates {
            builder = builder.max_aggregates(convert::count("max_aggregates", max)?);
        }
        if let Some(seconds) = heartbeat_interval {
            builder = builder.heartbeat_interval(convert::seconds("heartbeat_interval", seconds)?);
        }
        Ok(MonitorClient { client: builder.build()?, calls: AtomicU32::new(0) })
    }

    /// Announces this bot with its features (a mapping of str to bool). The
    /// registration is replayed first on every new connection.
    #[pyo3(signature = (features=None))]
    fn register(&self, features: Option<&Bound<'_, PyAny>>) -> Result<()> {
        Ok(self.client.register(convert::features(features)?)?)
    }

    /// Reports that the bot is alive. Never blocks, never raises; at most
    /// one heartbeat waits, more are coalesced.
    fn heartbeat(slf: &Bound<'_, Self>) -> PyResult<()> {
        slf.get().client.heartbeat();
        Self::count_call(slf)
    }

    /// A heartbeat that fired `lag` seconds later than its schedule; written
    /// as `lag_ms`. For bots that run their own timer.
    fn heartbeat_with_lag(&self, lag: &Bound<'_, PyAny>) -> Result<()> {
        self.client.heartbeat_with_lag(convert::seconds("lag", lag)?);
        Ok(())
    }

    /// Reports one LLM call. Never blocks: past `queue_capacity` calls are
    /// folded into aggregates, and past `max_aggregates` dropped and counted.
    #[pyo3(signature = (
        model, feature, tokens_in, tokens_out, latency_ms=None, *,
        provider=None, cost_usd=None, cache_read_tokens=None, reasoning_tokens=None, ok=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn log_llm_usage(
        slf: &Bound<'_, Self>,
        model: &Bound<'_, PyAny>,
        feature: &Bound<'_, PyAny>,
        tokens_in: &Bound<'_, PyAny>,
        tokens_out: &Bound<'_, PyAny>,
        latency_ms: Option<&Bound<'_, PyAny>>,
        provider: Option<&Bound<'_, PyAny>>,
        cost_usd: Option<&Bound<'_, PyAny>>,
        cache_read_tokens: Option<&Bound<'_, PyAny>>,
        reasoning_tokens: Option<&Bound<'_, PyAny>>,
        ok: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let mut usage = LlmUsage::new(
            convert::text_ref("model", model)?,
            convert::text_ref("feature", feature)?,
            convert::count("tokens_in", tokens_in)?,
            convert::count("tokens_out", tokens_out)?,
        );
        if let Some(value) = latency_ms {
            usage = usage.latency_ms(convert::number("latency_ms", value)?);
        }
        if let Some(value) = provider {
            usage = usage.provider(convert::text_ref("provider", value)?);
        }
        if let Some(value) = cost_usd {
            usage = usage.cost_usd(convert::number("cost_usd", value)?);
        }
        if let Some(value) = cache_read_tokens {
            usage = usage.cache_read_tokens(convert::count("cache_read_tokens", value)?);
        }
        if let Some(value) = reasoning_tokens {
            usage = usage.reasoning_tokens(convert::count("reasoning_tokens", value)?);
        }
        if let Some(value) = ok {
            usage = usage.ok(convert::flag("ok", value)?);
        }
        slf.get().client.log_llm_usage(usage).map_err(crate::error::Error::from)?;
        Self::count_call(slf)
    }

    /// Says the bot is leaving and stops the periodic heartbeat.
    fn unregister(&self) {
        self.client.unregister();
    }

    /// Announces `interval` seconds as the heartbeat interval, re-sending
    /// the registration if it changes. For bots that run their own timer.
    fn announce_heartbeat_interval(&self, interval: &Bound<'_, PyAny>) -> Result<()> {
        Ok(self.client.announce_heartbeat_interval(convert::seconds("interval", interval)?)?)
    }

    /// Heartbeats now and then every `interval` seconds from the core's
    /// sender thread, each with `lag_ms`.
    fn start_heartbeat(&self, interval: &Bound<'_, PyAny>) -> Result<()> {
        Ok(self.client.start_heartbeat(convert::seconds("interval", interval)?)?)
    }

    /// Starts the core's heartbeat schedule for a timer this process runs
    /// (`kissmon.MonitorClient` runs it on the asyncio loop); returns the
    /// schedule's id for `heartbeat_tick`.
    fn start_host_heartbeat(&self, interval: &Bound<'_, PyAny>) -> Result<u64> {
        Ok(self.client.start_host_heartbeat(convert::seconds("interval", interval)?)?)
    }

    /// The timer of schedule `schedule` fired: beats if due, and returns the
    /// seconds until the next beat is due, or None once the schedule ended.
    fn heartbeat_tick(&self, schedule: u64) -> Option<f64> {
        self.client.heartbeat_tick(schedule).map(|next| next.as_secs_f64())
    }

    /// Stops the periodic heartbeat, whichever runs it.
    fn stop_heartbeat(&self) {
        self.client.stop_heartbeat();
    }

    /// Waits up to `timeout` seconds, without holding the GIL, for every
    /// call made so far to be written. Returns whether they were.
    fn flush(&self, py: Python<'_>, timeout: &Bound<'_, PyAny>) -> Result<bool> {
        let timeout = convert::seconds("timeout", timeout)?;
        Ok(py.detach(|| self.client.flush(timeout)))
    }

    /// Unregisters if registered, flushes for up to `timeout` seconds
    /// without holding the GIL, and stops the sender. Idempotent.
    fn close(&self, py: Python<'_>, timeout: &Bound<'_, PyAny>) -> Result<bool> {
        let timeout = convert::seconds("timeout", timeout)?;
        Ok(py.detach(|| self.client.close(timeout)))
    }

    /// A snapshot of the counters.
    fn stats(&self) -> Stats {
        self.client.stats().into()
    }

    /// Connection events since the last call, oldest first (at most 32 kept).
    fn take_warnings(&self) -> Vec<String> {
        self.client.take_warnings()
    }

    /// Overridden by `kissmon.MonitorClient` to log the warnings.
    fn _drain_warnings(&self) {}

    /// The channel this client reports for.
    #[getter]
    fn channel(&self) -> &str {
        self.client.channel()
    }

    /// The pid this client reports (the child's own after a fork).
    #[getter]
    fn pid(&self) -> u32 {
        self.client.pid()
    }

    /// The random id this client writes as `instance`.
    #[getter]
    fn instance(&self) -> String {
        self.client.instance()
    }

    /// The heartbeat interval announced now, in seconds: the setting, or
    /// the latest started or announced.
    #[getter]
    fn heartbeat_interval(&self) -> f64 {
        self.client.heartbeat_interval().as_secs_f64()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().qualname()?;
        let client = &slf.get().client;
        Ok(format!("<{class} channel={:?} pid={} instance={}>", client.channel(), client.pid(), client.instance()))
    }
}
