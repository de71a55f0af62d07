//! The non-blocking client. Calls validate their arguments, then touch only
//! an in-memory queue under a mutex that is never held across I/O; one
//! background sender thread per client owns the connection.

mod acks;
mod fork;
mod heartbeat;
mod queue;
mod sender;
mod socket;
mod state;
mod usage;

pub use usage::LlmUsage;

use crate::encode::encode_line_into;
use crate::error::{Error, Result};
use crate::validate;
use crate::wire::{self, Envelope, Message, Sdk, PROTOCOL_VERSION};
use heartbeat::Driver;
use queue::{Outcome, PendingBeat};
use state::State;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Default bound of the llm_usage queue, in calls.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;
/// Default bound on distinct (model, feature, provider, ok) aggregates once the queue is full.
pub const DEFAULT_MAX_AGGREGATES: usize = 256;
/// Default heartbeat interval, announced to the monitor on register.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);
/// How long the sender waits on a monitor that does not read before it says so in `last_error`.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a dropped client's sender keeps trying to deliver what was queued.
pub const DROP_GRACE: Duration = Duration::from_secs(2);
/// The timeout bindings give `flush` when the caller names none.
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(1);
/// The timeout bindings give `close` when the caller names none.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// What a binding's process-exit hook may spend flushing all its clients together.
pub const EXIT_FLUSH_BUDGET: Duration = Duration::from_millis(200);

/// How long the sender keeps checking the queue after the last call it saw
/// before it parks. A call wakes the sender (a system call) only when it is
/// parked, so calls that come closer together than this cost none.
pub const LINGER: Duration = Duration::from_millis(20);
/// How often a lingering sender checks the queue: the most a call waits for
/// its line to be written, scheduling aside.
pub const LINGER_TICK: Duration = Duration::from_millis(1);

/// How long a client waits, after asking for acks on a new connection, for
/// the monitor's first ack (protocol 1.1) before it treats the monitor as
/// v1: nothing waits for acks on that connection and nothing is resent.
pub const ACK_WAIT: Duration = Duration::from_secs(5);
/// How long unacknowledged lines may wait without any ack progress before
/// the client reconnects and writes them again (a monitor that could not
/// store them, and said so by not acknowledging).
pub const RESEND_AFTER: Duration = Duration::from_secs(10);
pub use acks::MAX_UNACKED_LINES;

/// What "later than the clock can say" becomes: a century.
const FAR_AWAY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + timeout`, where a timeout too large for the clock means "far away".
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout).unwrap_or_else(|| now + FAR_AWAY)
}

/// Counters and state of one client, from [`MonitorClient::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lines waiting to be written now (queued calls, aggregates, pending control lines, partly written lines).
    pub queued: u64,
    /// Lines written to the monitor, registration replays included.
    pub sent: u64,
    /// Calls that will never be written: past the aggregate bound, after `close`, or left when a deadline ran out.
    pub dropped: u64,
    /// Calls merged into another line: heartbeats into the pending one, llm_usage into an aggregate.
    pub coalesced: u64,
    /// Connections made after the first.
    pub reconnects: u64,
    /// Whether the sender holds a connection now.
    pub connected: bool,
    /// The latest connection or write problem, if any.
    pub last_error: Option<String>,
    /// llm_usage lines the monitor acknowledged as stored (protocol 1.1).
    pub acked: u64,
    /// llm_usage lines written and waiting for the monitor's ack, kept to be written again after a reconnect.
    pub unacked: u64,
    /// Lines written again after a reconnect because they were not acknowledged (not counted in `sent`).
    pub resent: u64,
    /// Whether the monitor on the current connection acknowledges; false
    /// against a v1 monitor (after [`ACK_WAIT`]), or with acks turned off.
    pub acks_active: bool,
}

/// Settings that outlive a fork: a child builds its own client from them.
#[derive(Debug)]
struct Config {
    channel: String,
    /// `None` means "this process", read again in a forked child.
    pid: Option<u32>,
    socket_path: PathBuf,
    queue_capacity: usize,
    max_aggregates: usize,
    heartbeat_interval: Duration,
    sdk: Sdk,
    acks: bool,
}

/// Builds a [`MonitorClient`]; see [`MonitorClient::builder`].
#[derive(Debug, Clone)]
pub struct MonitorClientBuilder {
    channel: String,
    pid: Option<u32>,
    socket_path: Option<PathBuf>,
    queue_capacity: usize,
    max_aggregates: usize,
    heartbeat_interval: Duration,
    sdk: Sdk,
    acks: bool,
}

impl MonitorClientBuilder {
    /// Where the monitor listens. Default: `$KISSBOT_MONITOR_SOCKET`, else `/tmp/kissbot_monitor.sock`.
    pub fn socket_path(mut self, path: impl AsRef<Path>) -> Self {
        self.socket_path = Some(path.as_ref().to_path_buf());
        self
    }

    /// The pid to report. Default: this process (and, after a fork, the child).
    pub fn pid(mut self, pid: u32) -> Self {
        self.pid = Some(pid);
        self
    }

    /// How many llm_usage calls may wait before further ones fold into aggregates. Default 1024.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// How many distinct aggregates may exist once the queue is full; past
    /// this, calls are dropped and counted. Default 256.
    pub fn max_aggregates(mut self, max: usize) -> Self {
        self.max_aggregates = max;
        self
    }

    /// The heartbeat interval announced on register (`heartbeat_interval_s`). Default 30 s.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// The SDK that reports, written as register's `sdk`. Bindings set their
    /// own language here; the default is `rust` and this crate's version.
    pub fn sdk(mut self, lang: impl Into<String>, version: impl Into<String>) -> Self {
        self.sdk = Sdk { lang: lang.into(), version: version.into() };
        self
    }

    /// Whether to ask the monitor to acknowledge llm_usage (protocol 1.1,
    /// on by default): lines are then numbered, kept until acknowledged,
    /// and written again after a reconnect, and the monitor stores each one
    /// once. A v1 monitor is noticed within [`ACK_WAIT`] and served as v1.
    pub fn acks(mut self, on: bool) -> Self {
        self.acks = on;
        self
    }

    /// Checks the settings and starts the sender thread. No I/O happens
    /// here: an absent monitor is not an error.
    pub fn build(self) -> Result<MonitorClient> {
        let check = |argument, rule: validate::Rule| rule.map_err(|reason| Error::invalid(argument, reason));
        check("channel", validate::channel(&self.channel))?;
        if let Some(pid) = self.pid {
            check("pid", validate::pid(pid.into()))?;
        }
        let socket_path = self.socket_path.unwrap_or_else(wire::default_socket_path);
        let path_len = socket_path.as_os_str().len();
        if path_len == 0 || path_len > socket::MAX_SOCKET_PATH_BYTES {
            return Err(Error::invalid(
                "socket_path",
                format!("must be 1..={} bytes, got {path_len}", socket::MAX_SOCKET_PATH_BYTES),
            ));
        }
        if self.queue_capacity == 0 {
            return Err(Error::invalid("queue_capacity", "must be at least 1, got 0"));
        }
        check("heartbeat_interval", validate::heartbeat_interval(self.heartbeat_interval.as_secs_f64()))?;
        check("sdk", validate::free_text(&self.sdk.lang).and_then(|_| validate::free_text(&self.sdk.version)))?;
        let config = Arc::new(Config {
            channel: self.channel,
            pid: self.pid,
            socket_path,
            queue_capacity: self.queue_capacity,
            max_aggregates: self.max_aggregates,
            heartbeat_interval: self.heartbeat_interval,
            sdk: self.sdk,
            acks: self.acks,
        });
        fork::install_handler();
        let inner = Inner::start(config)?;
        Ok(MonitorClient { inner: AtomicPtr::new(Arc::into_raw(inner).cast_mut()), reinit: AtomicBool::new(false) })
    }
}

/// The state one process's client shares with its sender thread.
struct Inner {
    config: Arc<Config>,
    pid: u32,
    instance: String,
    /// The fork generation this client belongs to.
    generation: u64,
    state: Mutex<State>,
    /// Signalled when lines are written or the sender stops.
    progress: Condvar,
    waker: socket::Waker,
    /// The sender's connection, so that a forked child can close its copy.
    conn_fd: AtomicI32,
}

fn now_ts() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn random_instance() -> String {
    format!("{:016x}", fastrand::u64(..))
}

impl Inner {
    fn start(config: Arc<Config>) -> Result<Arc<Inner>> {
        let waker = socket::Waker::new().map_err(Error::Spawn)?;
        let announced_interval = config.heartbeat_interval;
        let inner = Arc::new(Inner {
            pid: config.pid.unwrap_or_else(std::process::id),
            instance: random_instance(),
            generation: fork::generation(),
            config,
            state: Mutex::new(State::new(announced_interval)),
            progress: Condvar::new(),
            waker,
            conn_fd: AtomicI32::new(-1),
        });
        let for_sender = Arc::clone(&inner);
        std::thread::Builder::new()
            .name("kissmon-sender".into())
            .spawn(move || sender::run(for_sender))
            .map_err(Error::Spawn)?;
        Ok(inner)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding this lock; recover the data if something ever did.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The hot path: one short critical section, and a wake-up syscall only
    /// when the sender is parked (it lingers a while after each call, see
    /// [`LINGER`]), or when `urgent` (state changes that should go out, or
    /// connect, at once).
    fn submit(&self, urgent: bool, push: impl FnOnce(&mut State) -> Outcome) {
        let mut state = self.lock();
        if state.lifecycle.closed {
            state.counters.dropped += 1;
            return;
        }
        let outcome = push(&mut state);
        state.record(outcome);
        state.sender.connect_now |= urgent;
        let wake = std::mem::take(&mut state.sender.parked) || urgent;
        drop(state);
        if wake {
            self.waker.wake();
        }
    }

    fn envelope(&self, ts: f64) -> Envelope {
        Envelope { v: Some(PROTOCOL_VERSION), ts: Some(ts), instance: Some(self.instance.clone()) }
    }

    fn registration(&self, features: BTreeMap<String, bool>, interval: Duration, ts: f64) -> wire::Register {
        wire::Register {
            channel: self.config.channel.clone(),
            pid: self.pid,
            features,
            heartbeat_interval_s: Some(interval.as_secs_f64()),
            sdk: Some(self.config.sdk.clone()),
            acks: self.config.acks.then_some(true),
            envelope: self.envelope(ts),
        }
    }

    fn encode(message: Message) -> Result<Arc<[u8]>> {
        let mut line = Vec::with_capacity(256);
        encode_line_into(&message, &mut line);
        if line.len() - 1 > wire::MAX_LINE_BYTES {
            return Err(Error::invalid(
                "features",
                format!(
                    "the register line would be {} bytes, over the {} byte limit",
                    line.len() - 1,
                    wire::MAX_LINE_BYTES
                ),
            ));
        }
        Ok(line.into())
    }

    /// Sets the registration to replay, and queues it to be written next.
    /// Returns how many pending lines it replaced (an older register line,
    /// an unwritten unregister): those calls count as coalesced.
    fn set_registration(state: &mut State, registration: wire::Register, line: Arc<[u8]>) -> u64 {
        let replaced = state.pending.register.replace(Arc::clone(&line)).is_some() as u64
            + state.pending.unregister.take().is_some() as u64;
        state.registration.message = Some(registration);
        state.registration.line = Some(line);
        replaced
    }

    /// Waits until every call accepted before now is written, or `deadline`.
    fn wait_delivered(&self, mut state: MutexGuard<'_, State>, deadline: Instant) -> (MutexGuard<'_, State>, bool) {
        let target = state.delivery.accepted;
        state.sender.waiters += 1;
        state.sender.connect_now = true;
        drop(state);
        self.waker.wake();
        let mut state = self.lock();
        loop {
            if state.delivery.delivered(target) || state.sender.stopped {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = self.progress.wait_timeout(state, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        state.sender.waiters -= 1;
        let delivered = state.delivery.delivered(target);
        (state, delivered)
    }
}

/// The non-blocking client of one bot.
///
/// ```no_run
/// use std::time::Duration;
/// # fn main() -> kissmon::Result<()> {
/// let client = kissmon::MonitorClient::builder("el_serda")
///     .socket_path("/tmp/kissbot_monitor.sock")
///     .queue_capacity(1024)
///     .build()?;
/// client.register([("llm", true), ("translator", false)])?;
/// client.start_heartbeat(Duration::from_secs(30))?;
/// client.log_llm_usage(kissmon::LlmUsage::new("gpt-4", "jokes", 145, 87).latency_ms(1850.0))?;
/// let stats = client.stats();
/// println!("sent {} lines, {} dropped", stats.sent, stats.dropped);
/// let clean = client.close(Duration::from_secs(2));
/// # let _ = clean; Ok(()) }
/// ```
///
/// No method waits on the monitor except `flush` and `close`, and those
/// never past their timeout. An absent, slow, stuck or restarting monitor is
/// never an error: what cannot be written yet waits in a bounded queue, and
/// what cannot wait is folded or counted in [`Stats`].
pub struct MonitorClient {
    /// This process's `Inner`. A forked child swaps in its own and leaks the
    /// parent's, so a pointer once loaded stays valid until `Drop`.
    inner: AtomicPtr<Inner>,
    reinit: AtomicBool,
}

// SAFETY: `inner` points to an `Inner` (Send + Sync) kept alive until Drop.
unsafe impl Send for MonitorClient {}
unsafe impl Sync for MonitorClient {}

impl MonitorClient {
    /// A builder for a client of `channel`.
    pub fn builder(channel: impl Into<String>) -> MonitorClientBuilder {
        MonitorClientBuilder {
            channel: channel.into(),
            pid: None,
            socket_path: None,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            max_aggregates: DEFAULT_MAX_AGGREGATES,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            sdk: Sdk { lang: "rust".into(), version: env!("CARGO_PKG_VERSION").into() },
            acks: true,
        }
    }

    /// A client of `channel` with every default.
    pub fn new(channel: impl Into<String>) -> Result<MonitorClient> {
        Self::builder(channel).build()
    }

    fn inner(&self) -> &Inner {
        let ptr = self.inner.load(Ordering::Acquire);
        // SAFETY: see the field's comment.
        let inner = unsafe { &*ptr };
        if inner.generation == fork::generation() {
            inner
        } else {
            self.after_fork()
        }
    }

    /// In a forked child: start this process's own sender and connection.
    /// The parent's state is left untouched (its lock may be held forever).
    #[cold]
    fn after_fork(&self) -> &Inner {
        loop {
            if self.reinit.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                let old = self.inner.load(Ordering::Acquire);
                // SAFETY: see the field's comment.
                let old_ref = unsafe { &*old };
                if old_ref.generation != fork::generation() {
                    // SAFETY: closing this process's copies of the parent's fds; the parent keeps its own.
                    unsafe {
                        let conn = old_ref.conn_fd.load(Ordering::Acquire);
                        if conn >= 0 {
                            libc::close(conn);
                        }
                    }
                    match Inner::start(Arc::clone(&old_ref.config)) {
                        Ok(fresh) => self.inner.store(Arc::into_raw(fresh).cast_mut(), Ordering::Release),
                        Err(_) => {
                            // No thread can be started: stay on the parent's
                            // state, which nothing in this process drains.
                            self.reinit.store(false, Ordering::Release);
                            return old_ref;
                        }
                    }
                }
                self.reinit.store(false, Ordering::Release);
            } else {
                std::thread::yield_now();
            }
            let ptr = self.inner.load(Ordering::Acquire);
            // SAFETY: see the field's comment.
            let inner = unsafe { &*ptr };
            if inner.generation == fork::generation() {
                return inner;
            }
        }
    }

    /// Announces this bot with its features. The registration is replayed
    /// first on every new connection, so a restarted monitor learns of the
    /// bot without the bot doing anything.
    pub fn register<I, K>(&self, features: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, bool)>,
        K: Into<String>,
    {
        let mut map = BTreeMap::new();
        for (name, enabled) in features {
            let name = name.into();
            validate::feature(&name).map_err(|reason| Error::invalid("features", format!("key {name:?} {reason}")))?;
            map.insert(name, enabled);
        }
        let inner = self.inner();
        let interval = inner.lock().heartbeat.announced;
        let registration = inner.registration(map, interval, now_ts());
        let line = Inner::encode(Message::Register(registration.clone()))?;
        inner.submit(true, |state| {
            state.counters.coalesced += Inner::set_registration(state, registration, line);
            Outcome::Queued
        });
        Ok(())
    }

    /// Reports that the bot is alive. At most one heartbeat waits: more are coalesced.
    pub fn heartbeat(&self) {
        let ts = now_ts();
        self.inner().submit(false, |state| state.pending.push_heartbeat(PendingBeat { ts, lag_ms: None }));
    }

    /// A heartbeat that fired `lag` later than its schedule (event-loop lag).
    /// Bindings whose timers run on the host's event loop call this.
    pub fn heartbeat_with_lag(&self, lag: Duration) {
        let ts = now_ts();
        let lag_ms = Some(lag.as_secs_f64() * 1000.0);
        self.inner().submit(false, |state| state.pending.push_heartbeat(PendingBeat { ts, lag_ms }));
    }

    /// Reports one LLM call. When the queue is full the call is folded into
    /// an aggregate per (model, feature, provider, ok) with `count` and
    /// summed tokens; only past the aggregate bound is it dropped, and counted.
    pub fn log_llm_usage(&self, usage: LlmUsage<'_>) -> Result<()> {
        usage.validate()?;
        let ts = now_ts();
        let inner = self.inner();
        let (capacity, max_aggregates) = (inner.config.queue_capacity, inner.config.max_aggregates);
        inner.submit(false, |state| state.pending.push_usage(usage, ts, capacity, max_aggregates));
        Ok(())
    }

    /// Says the bot is leaving and stops the periodic heartbeat. Later
    /// reconnects replay nothing until the next `register`.
    pub fn unregister(&self) {
        let inner = self.inner();
        inner.submit(true, |state| Self::queue_unregister(inner, state, None));
    }

    fn queue_unregister(inner: &Inner, state: &mut State, reason: Option<&str>) -> Outcome {
        let message = Message::Unregister(wire::Unregister {
            channel: inner.config.channel.clone(),
            pid: inner.pid,
            reason: reason.map(str::to_owned),
            envelope: inner.envelope(now_ts()),
        });
        let line = Inner::encode(message).expect("an unregister line is far below the limit");
        state.pending.unregister = Some(line);
        state.registration.clear();
        state.heartbeat.stop();
        Outcome::Queued
    }

    /// Announces `interval` as this bot's heartbeat interval, re-sending the
    /// registration if it changes. For bindings that run the timer themselves;
    /// [`start_heartbeat`](Self::start_heartbeat) does this too.
    pub fn announce_heartbeat_interval(&self, interval: Duration) -> Result<()> {
        validate::heartbeat_interval(interval.as_secs_f64()).map_err(|reason| Error::invalid("interval", reason))?;
        let inner = self.inner();
        let mut state = inner.lock();
        if state.heartbeat.announced == interval {
            return Ok(());
        }
        state.heartbeat.announced = interval;
        if let Some(mut registration) = state.registration.message.clone() {
            registration.heartbeat_interval_s = Some(interval.as_secs_f64());
            registration.envelope.ts = Some(now_ts());
            let line = Inner::encode(Message::Register(registration.clone()))?;
            if !state.lifecycle.closed {
                state.counters.coalesced += Inner::set_registration(&mut state, registration, line);
                state.delivery.accepted += 1;
                state.sender.parked = false;
                drop(state);
                inner.waker.wake();
            }
        }
        Ok(())
    }

    /// Sends a heartbeat now and then every `interval` from the sender
    /// thread, each carrying `lag_ms`. Replaces a running schedule. Does
    /// nothing after `close`.
    pub fn start_heartbeat(&self, interval: Duration) -> Result<()> {
        self.start_schedule(false, interval).map(drop)
    }

    /// Starts the periodic heartbeat for a host that fires it from its own
    /// event loop, so that each beat's `lag_ms` shows how late that loop ran
    /// it. The core keeps the schedule; the host only runs a timer: it calls
    /// [`heartbeat_tick`](Self::heartbeat_tick) with the returned id now and
    /// whenever the delay that call returned has passed, until it returns
    /// `None`. Replaces a running schedule, whichever drives it. After
    /// `close` nothing starts, and the first tick returns `None`.
    pub fn start_host_heartbeat(&self, interval: Duration) -> Result<u64> {
        self.start_schedule(true, interval).map(|driver| match driver {
            Some(Driver::Host(id)) => id,
            // Ids start at 1: no schedule ever has id 0.
            _ => 0,
        })
    }

    fn start_schedule(&self, host: bool, interval: Duration) -> Result<Option<Driver>> {
        self.announce_heartbeat_interval(interval)?;
        let inner = self.inner();
        let mut state = inner.lock();
        if state.lifecycle.closed {
            return Ok(None);
        }
        let now = Instant::now();
        let driver = state.heartbeat.start(host, interval, now);
        if !host {
            // The first beat is queued here, on the caller's thread, so that it
            // precedes whatever the caller does next (an unregister included),
            // whenever the sender thread gets to run.
            sender::tick_heartbeat(&mut state, now);
            state.sender.parked = false;
            drop(state);
            inner.waker.wake();
        }
        Ok(Some(driver))
    }

    /// The host's timer of schedule `id` fired: queues the beat if it is due
    /// (with how late it is, as `lag_ms`) and returns how long until the
    /// next one is due. A tick before the due time only returns the delay.
    /// Returns `None` once schedule `id` no longer runs (stopped, replaced,
    /// after `unregister` or `close`, or in a forked child): the host's
    /// timer then ends.
    pub fn heartbeat_tick(&self, id: u64) -> Option<Duration> {
        let inner = self.inner();
        let now = Instant::now();
        let mut state = inner.lock();
        let schedule = state.heartbeat.host_driven(id)?;
        let Some(lag) = schedule.fire(now) else { return Some(schedule.due_in(now)) };
        let next = schedule.due_in(now);
        let beat = PendingBeat { ts: now_ts(), lag_ms: Some(lag.as_secs_f64() * 1000.0) };
        let outcome = state.pending.push_heartbeat(beat);
        state.record(outcome);
        let wake = std::mem::take(&mut state.sender.parked);
        drop(state);
        if wake {
            inner.waker.wake();
        }
        Some(next)
    }

    /// Stops the periodic heartbeat, whichever drives it.
    pub fn stop_heartbeat(&self) {
        self.inner().lock().heartbeat.stop();
    }

    /// The heartbeat interval this client announces: the builder's, or the
    /// latest one started or announced.
    pub fn heartbeat_interval(&self) -> Duration {
        self.inner().lock().heartbeat.announced
    }

    /// Waits up to `timeout` for every call made so far to be written, and,
    /// where the monitor acknowledges (protocol 1.1), for its llm_usage to
    /// be acknowledged, that is stored; returns whether they were. Tries to
    /// connect at once if disconnected.
    pub fn flush(&self, timeout: Duration) -> bool {
        let inner = self.inner();
        let deadline = deadline_after(timeout);
        let state = inner.lock();
        inner.wait_delivered(state, deadline).1
    }

    /// Unregisters if registered, flushes until `timeout`, and stops the
    /// sender. Returns whether everything was written. Idempotent: later
    /// calls return at once. Calls after `close` are ignored and counted as dropped.
    pub fn close(&self, timeout: Duration) -> bool {
        let inner = self.inner();
        let deadline = deadline_after(timeout);
        // A sliver of the timeout is kept to see the sender stop, so that
        // `stats()` is final when close returns.
        let stop_margin = (timeout / 10).min(Duration::from_millis(20));
        let mut state = inner.lock();
        if let Some(clean) = state.lifecycle.close_result {
            return clean;
        }
        Self::shut(inner, &mut state, "close");
        let (mut state, delivered) = inner.wait_delivered(state, deadline - stop_margin);
        let clean = *state.lifecycle.close_result.get_or_insert(delivered);
        // Whether or not everything went out, the sender stops now.
        state.sender.stop_at = Some(Instant::now());
        inner.waker.wake();
        while !state.sender.stopped {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = inner.progress.wait_timeout(state, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        if !state.sender.stopped {
            // The sender was not scheduled in time (a loaded machine): count
            // what it will not write here, so `stats()` is final now.
            state.counters.dropped += state.queued();
            state.pending.discard();
            state.delivery.in_flight = 0;
            state.lifecycle.abandoned = true;
        }
        clean
    }

    /// What `close` and drop both do first, once: unregister if registered
    /// (with `reason`), end the heartbeat, and refuse further calls. Returns
    /// whether this call closed the client.
    fn shut(inner: &Inner, state: &mut State, reason: &str) -> bool {
        if state.lifecycle.closed {
            return false;
        }
        if state.registration.is_registered() {
            let outcome = Self::queue_unregister(inner, state, Some(reason));
            state.record(outcome);
        }
        state.heartbeat.stop();
        state.lifecycle.closed = true;
        true
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let state = self.inner().lock();
        let counters = &state.counters;
        Stats {
            queued: state.queued(),
            sent: counters.sent,
            dropped: counters.dropped,
            coalesced: counters.coalesced,
            reconnects: counters.reconnects,
            connected: counters.connected,
            last_error: counters.last_error.clone(),
            acked: counters.acked,
            unacked: counters.unacked,
            resent: counters.resent,
            acks_active: counters.acks_active,
        }
    }

    /// Connection events since the last call, oldest first, for bindings
    /// that log them (at most 32 are kept).
    pub fn take_warnings(&self) -> Vec<String> {
        self.inner().lock().warnings.drain(..).collect()
    }

    /// The random id this client writes as `instance`.
    pub fn instance(&self) -> String {
        self.inner().instance.clone()
    }

    /// The pid this client reports.
    pub fn pid(&self) -> u32 {
        self.inner().pid
    }

    /// The channel this client reports for.
    pub fn channel(&self) -> &str {
        &self.inner().config.channel
    }
}

impl Drop for MonitorClient {
    /// Never blocks: the sender goes on delivering for up to [`DROP_GRACE`],
    /// unregistering first if still registered, then stops.
    fn drop(&mut self) {
        let inner = self.inner();
        let mut state = inner.lock();
        if Self::shut(inner, &mut state, "drop") {
            state.sender.connect_now = true;
            state.sender.stop_at = Some(Instant::now() + DROP_GRACE);
        }
        drop(state);
        inner.waker.wake();
        let ptr = *self.inner.get_mut();
        // SAFETY: this is the client's own reference, made by Arc::into_raw.
        drop(unsafe { Arc::from_raw(ptr) });
    }
}

impl std::fmt::Debug for MonitorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner();
        f.debug_struct("MonitorClient")
            .field("channel", &inner.config.channel)
            .field("pid", &inner.pid)
            .field("socket_path", &inner.config.socket_path)
            .field("instance", &inner.instance)
            .finish_non_exhaustive()
    }
}
