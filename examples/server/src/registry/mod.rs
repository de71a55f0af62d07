//! The state worker: the live registry of bots, in memory, on one task.
//! Heartbeats touch memory only; status changes go to the store at once,
//! `last_seen` of heartbeating bots once per status flush. It never waits
//! on storage, /proc or HTTP: storage and the prober are handed work and
//! answer later, and readers of the live state (the HTTP API, /metrics) get
//! an immutable snapshot it publishes at most every [`PUBLISH_EVERY`].
//!
//! Dead and offline bots stay in the registry, unwatched, for
//! `forget_after`, so the API and /metrics show them; their rows stay in
//! the database for good.

pub mod events;
mod view;

pub use view::{BotView, Fleet};

use crate::config::Config;
use crate::counters::{Counter, Counters};
use crate::probe::{self, Finding, Target};
use crate::store::{StatusRow, Store, TransitionRow};
use kissmon::wire::{Heartbeat, Message, Register, Unregister};
use std::collections::HashMap;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc::{Receiver, UnboundedReceiver};
use tokio::sync::watch;
use tokio::time::{interval, MissedTickBehavior};

/// How stale the published snapshot may be while bots change.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(200);

/// The connection a batch came from (SO_PEERCRED).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peer {
    pub pid: Option<u32>,
    pub uid: Option<u32>,
}

/// A register, heartbeat or unregister, and whether its pid differs from the peer's.
#[derive(Debug)]
pub struct Accepted {
    pub message: Message,
    pub peer_mismatch: bool,
}

/// What one reader read in one go, for the state worker.
#[derive(Debug)]
pub struct Batch {
    pub peer: Peer,
    pub received: SystemTime,
    pub messages: Vec<Accepted>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Stale,
    Dead,
    Offline,
    /// The monitor stopped while the bot was online or stale; nothing is known since.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Stale => "stale",
            Status::Dead => "dead",
            Status::Offline => "offline",
            Status::Unknown => "unknown",
        }
    }

    pub const ALL: [Status; 5] = [Status::Online, Status::Stale, Status::Dead, Status::Offline, Status::Unknown];

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Dead or offline: kept for the live view only, never watched.
    fn gone(self) -> bool {
        matches!(self, Status::Dead | Status::Offline)
    }

    /// Online, stale or unknown: the bot may still run, so it is watched.
    fn watched(self) -> bool {
        matches!(self, Status::Online | Status::Stale | Status::Unknown)
    }
}

/// What is known of a bot's pid on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proc {
    /// Not looked up yet. `peer_verified`: the kernel said the sender has this pid.
    Unchecked { peer_verified: bool },
    /// Seen in /proc with this start time.
    Local { start: u64 },
    /// Not visible here (another pid namespace or host): kept, flagged, never declared dead.
    NotVisible,
}

#[derive(Debug)]
struct Bot {
    pid: u32,
    status: Status,
    reason: String,
    features_json: String,
    registered_at: SystemTime,
    last_seen: SystemTime,
    last_beat: Instant,
    lang: Option<String>,
    sdk_version: Option<String>,
    instance: Option<String>,
    interval: Option<f64>,
    lag_ms: Option<f64>,
    status_changed_at: SystemTime,
    peer_mismatch: bool,
    peer: Peer,
    proc: Proc,
    /// The latest rss (MiB) and cpu (%) the prober sampled.
    sample: Option<(f64, f64)>,
    /// The view last published, reused while it still matches.
    view: Option<Arc<BotView>>,
    /// `last_seen` or another field changed since the row was last written.
    dirty: bool,
}

impl Bot {
    /// A bot this monitor did not know, online from `at`; the caller fills
    /// in what its first message said.
    fn arrived(pid: u32, reason: String, at: SystemTime, now: Instant, peer: Peer, peer_mismatch: bool) -> Bot {
        Bot {
            pid,
            status: Status::Online,
            reason,
            features_json: "{}".into(),
            registered_at: at,
            last_seen: at,
            last_beat: now,
            lang: None,
            sdk_version: None,
            instance: None,
            interval: None,
            lag_ms: None,
            status_changed_at: at,
            peer_mismatch,
            proc: Proc::Unchecked { peer_verified: peer.pid == Some(pid) },
            peer,
            sample: None,
            view: None,
            dirty: false,
        }
    }

    fn row(&self, channel: &str) -> StatusRow {
        StatusRow {
            channel: channel.to_owned(),
            pid: self.pid,
            status: self.status.as_str(),
            features_json: self.features_json.clone(),
            registered_at: self.registered_at,
            last_seen: self.last_seen,
            lang: self.lang.clone(),
            sdk_version: self.sdk_version.clone(),
            instance: self.instance.clone(),
            heartbeat_interval_s: self.interval,
            lag_ms: self.lag_ms,
            status_reason: self.reason.clone(),
            status_changed_at: self.status_changed_at,
            pid_unverified: self.proc == Proc::NotVisible,
            peer_mismatch: self.peer_mismatch,
            peer_pid: self.peer.pid,
            peer_uid: self.peer.uid,
            proc_start: match self.proc {
                Proc::Local { start } => Some(start),
                _ => None,
            },
        }
    }

    fn from_row(row: StatusRow, now: Instant) -> (String, Bot) {
        let proc = match (row.pid_unverified, row.proc_start) {
            (true, _) => Proc::NotVisible,
            (false, Some(start)) => Proc::Local { start },
            (false, None) => Proc::Unchecked { peer_verified: false },
        };
        let bot = Bot {
            pid: row.pid,
            status: Status::parse(row.status).unwrap_or(Status::Unknown),
            reason: row.status_reason,
            features_json: row.features_json,
            registered_at: row.registered_at,
            last_seen: row.last_seen,
            // The stale clock of a bot found in the database starts now.
            last_beat: now,
            lang: row.lang,
            sdk_version: row.sdk_version,
            instance: row.instance,
            interval: row.heartbeat_interval_s,
            lag_ms: row.lag_ms,
            status_changed_at: row.status_changed_at,
            peer_mismatch: row.peer_mismatch,
            peer: Peer { pid: row.peer_pid, uid: row.peer_uid },
            proc,
            sample: None,
            view: None,
            dirty: false,
        };
        (row.channel, bot)
    }
}

pub struct StateWorker {
    config: Arc<Config>,
    bots: HashMap<String, Bot>,
    store: Store,
    counters: Arc<Counters>,
    prober: Option<SyncSender<probe::Request>>,
    /// Rows and transitions to hand to the store at the end of this step.
    rows: Vec<StatusRow>,
    transitions: Vec<TransitionRow>,
    /// Where the snapshot for readers goes, and whether it is behind.
    publish: watch::Sender<Arc<Fleet>>,
    changed: bool,
    /// Live events for dashboards (`GET /api/v1/events`), when HTTP is on.
    events: Option<Arc<events::Hub>>,
}

impl StateWorker {
    /// A registry that starts from the bots a previous monitor left watched
    /// (and those that went dead or offline less than `forget_after` ago).
    pub fn new(
        config: Arc<Config>,
        previous: Vec<StatusRow>,
        store: Store,
        counters: Arc<Counters>,
        prober: SyncSender<probe::Request>,
        publish: watch::Sender<Arc<Fleet>>,
    ) -> StateWorker {
        let now = Instant::now();
        let bots = previous.into_iter().map(|row| Bot::from_row(row, now)).collect();
        let mut worker = StateWorker {
            config,
            bots,
            store,
            counters,
            prober: Some(prober),
            rows: Vec::new(),
            transitions: Vec::new(),
            publish,
            changed: true,
            events: None,
        };
        worker.publish();
        worker
    }

    /// Publishes every status change to `hub` as well.
    pub fn with_events(mut self, hub: Arc<events::Hub>) -> StateWorker {
        self.events = Some(hub);
        self
    }

    /// Replaces the readers' snapshot if anything changed since the last one.
    fn publish(&mut self) {
        if std::mem::take(&mut self.changed) {
            let config = &self.config;
            let fleet = Fleet::new(self.bots.iter_mut().map(|(channel, bot)| view::of(channel, bot, config)));
            self.publish.send_replace(Arc::new(fleet));
        }
    }

    /// Dead and offline bots whose last change is older than `forget_after` leave memory.
    fn forget_gone(&mut self, now: SystemTime) {
        let Some(cutoff) = now.checked_sub(self.config.forget_after) else { return };
        let before = self.bots.len();
        self.bots.retain(|_, bot| !(bot.status.gone() && bot.status_changed_at < cutoff));
        self.changed |= self.bots.len() != before;
    }

    /// Runs until every reader has gone (`lines` closed), then marks the
    /// watched bots `unknown` (the monitor stopped) and hands the last rows over.
    pub async fn run(mut self, mut lines: Receiver<Batch>, mut findings: UnboundedReceiver<Vec<Finding>>) {
        let ticker = |period: Duration| {
            let mut ticker = interval(period.max(Duration::from_millis(10)));
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticker
        };
        let mut check = ticker(self.config.check_every);
        let mut metrics = ticker(self.config.metrics_every);
        let mut flush = ticker(self.config.status_flush_every);
        let mut publish = ticker(PUBLISH_EVERY);
        loop {
            tokio::select! {
                batch = lines.recv() => {
                    let Some(batch) = batch else { break };
                    self.apply(batch);
                    // Take what else is waiting before writing, up to a bound that keeps ticks on time.
                    for _ in 0..1024 {
                        match lines.try_recv() {
                            Ok(batch) => self.apply(batch),
                            Err(_) => break,
                        }
                    }
                }
                Some(found) = findings.recv() => self.apply_findings(found),
                _ = check.tick() => {
                    self.check_liveness(Instant::now());
                    self.forget_gone(SystemTime::now());
                    self.request_probe(false);
                }
                _ = metrics.tick() => {
                    self.request_probe(true);
                    if let Some(before) = SystemTime::now().checked_sub(self.config.retention) {
                        self.store.delete_before(before);
                    }
                }
                _ = flush.tick() => self.flush_dirty(),
                _ = publish.tick() => self.publish(),
            }
            self.hand_over();
        }
        self.stop();
    }

    fn hand_over(&mut self) {
        if !self.transitions.is_empty() {
            self.store.push_transitions(std::mem::take(&mut self.transitions));
        }
        if !self.rows.is_empty() {
            self.store.push_status(std::mem::take(&mut self.rows));
        }
    }

    fn apply(&mut self, batch: Batch) {
        self.changed = true;
        for Accepted { message, peer_mismatch } in batch.messages {
            match message {
                Message::Register(register) => self.register(register, batch.peer, peer_mismatch, batch.received),
                Message::Heartbeat(beat) => self.heartbeat(beat, batch.peer, peer_mismatch, batch.received),
                Message::Unregister(unregister) => self.unregister(unregister, batch.received),
                // llm_usage goes from the readers to the store directly.
                Message::LlmUsage(_) => {}
            }
        }
    }

    fn transition(&mut self, channel: &str, to: Status, reason: String, at: SystemTime) {
        let Some(bot) = self.bots.get_mut(channel) else { return };
        let from = bot.status;
        bot.status = to;
        bot.reason = reason;
        bot.status_changed_at = at;
        self.record_transition(channel, Some(from), at);
    }

    /// Logs the bot's latest change and queues its row and transition.
    fn record_transition(&mut self, channel: &str, from: Option<Status>, at: SystemTime) {
        let Some(bot) = self.bots.get_mut(channel) else { return };
        bot.dirty = false;
        let to = bot.status;
        match from {
            Some(from) => {
                tracing::info!("bot {channel} (pid {}): {} -> {} ({})", bot.pid, from.as_str(), to.as_str(), bot.reason)
            }
            None => tracing::info!("bot {channel} (pid {}): {} ({})", bot.pid, to.as_str(), bot.reason),
        }
        self.counters.add(Counter::transitions, 1);
        if let Some(hub) = &self.events {
            let (pid, to, reason, at) = (bot.pid, to.as_str(), bot.reason.as_str(), crate::time::iso(at));
            hub.status(&events::StatusChange { channel, pid, from: from.map(Status::as_str), to, reason, at });
        }
        self.transitions.push(TransitionRow {
            at,
            channel: channel.to_owned(),
            pid: bot.pid,
            from: from.map(Status::as_str),
            to: to.as_str(),
            reason: bot.reason.clone(),
        });
        self.rows.push(bot.row(channel));
        self.changed = true;
    }

    fn register(&mut self, register: Register, peer: Peer, peer_mismatch: bool, at: SystemTime) {
        let Register { channel, pid, features, heartbeat_interval_s, sdk, envelope, .. } = register;
        let features_json = serde_json::to_string(&features).unwrap_or_else(|_| "{}".into());
        let (lang, sdk_version) = sdk.map_or((None, None), |sdk| (Some(sdk.lang), Some(sdk.version)));
        let peer_verified = peer.pid == Some(pid);
        let now = Instant::now();
        match self.bots.get_mut(&channel) {
            Some(bot) => {
                let same_process = bot.pid == pid
                    && (bot.instance.is_none() || envelope.instance.is_none() || bot.instance == envelope.instance);
                if !same_process {
                    bot.registered_at = at;
                    bot.proc = Proc::Unchecked { peer_verified };
                }
                bot.pid = pid;
                bot.features_json = features_json;
                bot.lang = lang;
                bot.sdk_version = sdk_version;
                bot.instance = envelope.instance;
                bot.interval = heartbeat_interval_s;
                bot.peer = peer;
                bot.peer_mismatch = peer_mismatch;
                bot.last_seen = at;
                bot.last_beat = now;
                if bot.status == Status::Online {
                    self.rows.push(bot.row(&channel));
                    bot.dirty = false;
                } else {
                    self.transition(&channel, Status::Online, "register".into(), at);
                }
            }
            None => {
                let bot = Bot {
                    features_json,
                    lang,
                    sdk_version,
                    instance: envelope.instance,
                    interval: heartbeat_interval_s,
                    ..Bot::arrived(pid, "register".into(), at, now, peer, peer_mismatch)
                };
                self.bots.insert(channel.clone(), bot);
                self.record_transition(&channel, None, at);
            }
        }
    }

    fn heartbeat(&mut self, beat: Heartbeat, peer: Peer, peer_mismatch: bool, at: SystemTime) {
        let Heartbeat { channel, pid, lag_ms, envelope } = beat;
        let peer_verified = peer.pid == Some(pid);
        let now = Instant::now();
        match self.bots.get_mut(&channel) {
            Some(bot) => {
                if bot.pid != pid {
                    bot.pid = pid;
                    bot.proc = Proc::Unchecked { peer_verified };
                }
                if envelope.instance.is_some() {
                    bot.instance = envelope.instance;
                }
                bot.last_seen = at;
                bot.last_beat = now;
                bot.lag_ms = lag_ms.or(bot.lag_ms);
                bot.peer = peer;
                bot.peer_mismatch = peer_mismatch;
                if bot.status == Status::Online {
                    bot.dirty = true;
                } else {
                    self.transition(&channel, Status::Online, "heartbeat".into(), at);
                }
            }
            None => {
                let reason = "heartbeat from a bot not registered with this monitor".into();
                let bot = Bot {
                    instance: envelope.instance,
                    lag_ms,
                    ..Bot::arrived(pid, reason, at, now, peer, peer_mismatch)
                };
                self.bots.insert(channel.clone(), bot);
                self.record_transition(&channel, None, at);
            }
        }
    }

    fn unregister(&mut self, unregister: Unregister, at: SystemTime) {
        let Unregister { channel, pid, reason, .. } = unregister;
        match self.bots.get(&channel) {
            Some(bot) if bot.pid == pid && !bot.status.gone() => {
                let reason = match reason {
                    Some(reason) => format!("unregister: {reason}"),
                    None => "unregister".into(),
                };
                self.transition(&channel, Status::Offline, reason, at);
            }
            Some(bot) if !bot.status.gone() => {
                self.counters.add(Counter::unregister_ignored, 1);
                tracing::info!("ignored unregister of {channel} from pid {pid}: the bot registered as pid {}", bot.pid);
            }
            Some(_) | None => {
                self.counters.add(Counter::unregister_ignored, 1);
                tracing::debug!("ignored unregister of {channel} (pid {pid}): not a watched bot");
            }
        }
    }

    /// Online (or unknown) bots past their stale threshold become stale.
    fn check_liveness(&mut self, now: Instant) {
        let mut late = Vec::new();
        for (channel, bot) in &self.bots {
            if !matches!(bot.status, Status::Online | Status::Unknown) {
                continue;
            }
            let limit = self.config.stale_after(bot.interval);
            let silent = now.saturating_duration_since(bot.last_beat);
            if silent > limit {
                let reason = if bot.status == Status::Unknown {
                    format!("no heartbeat for {:.1}s since the monitor restarted", silent.as_secs_f64())
                } else {
                    format!("no heartbeat for {:.1}s, stale after {:.1}s", silent.as_secs_f64(), limit.as_secs_f64())
                };
                late.push((channel.clone(), reason));
            }
        }
        let at = SystemTime::now();
        for (channel, reason) in late {
            self.transition(&channel, Status::Stale, reason, at);
        }
    }

    /// Asks the prober about every watched bot whose pid may be local. A busy
    /// prober refuses; the next tick asks again.
    fn request_probe(&mut self, sample_metrics: bool) {
        let Some(prober) = &self.prober else { return };
        let targets: Vec<Target> = self
            .bots
            .iter()
            .filter(|(_, bot)| bot.status.watched() && bot.proc != Proc::NotVisible)
            .map(|(channel, bot)| Target {
                channel: channel.clone(),
                pid: bot.pid,
                start: match bot.proc {
                    Proc::Local { start } => Some(start),
                    _ => None,
                },
                features_json: bot.features_json.clone(),
            })
            .collect();
        if targets.is_empty() && !sample_metrics {
            return;
        }
        match prober.try_send(probe::Request { targets, sample_metrics }) {
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => self.prober = None,
        }
    }

    fn apply_findings(&mut self, found: Vec<Finding>) {
        let at = SystemTime::now();
        for finding in found {
            match finding {
                Finding::Alive { channel, pid, start, sample } => {
                    let Some(bot) = self.bots.get_mut(&channel) else { continue };
                    if bot.pid != pid {
                        continue;
                    }
                    if matches!(bot.proc, Proc::Unchecked { .. }) {
                        bot.proc = Proc::Local { start };
                        bot.dirty = true;
                    }
                    if sample.is_some() {
                        bot.sample = sample;
                        self.changed = true;
                    }
                }
                Finding::Gone { channel, pid, why } => {
                    let Some(bot) = self.bots.get_mut(&channel) else { continue };
                    if bot.pid != pid || !bot.status.watched() {
                        continue;
                    }
                    match bot.proc {
                        Proc::Unchecked { peer_verified: false } => {
                            bot.proc = Proc::NotVisible;
                            bot.dirty = true;
                            tracing::warn!(
                                "bot {channel}: pid {pid} is not visible in /proc here (another pid namespace or \
                                 host?); kept and flagged pid_unverified, never declared dead"
                            );
                        }
                        Proc::Unchecked { peer_verified: true } | Proc::Local { .. } => {
                            self.transition(&channel, Status::Dead, why, at);
                        }
                        Proc::NotVisible => {}
                    }
                }
            }
        }
    }

    fn flush_dirty(&mut self) {
        for (channel, bot) in &mut self.bots {
            if std::mem::take(&mut bot.dirty) {
                self.rows.push(bot.row(channel));
            }
        }
        self.store.push_counters(self.counters.snapshot());
    }

    /// The monitor stops: watched bots become `unknown` with reason
    /// `monitor_stopped`, since nothing is known of them from now on.
    fn stop(mut self) {
        self.prober = None;
        let at = SystemTime::now();
        let mut marked = 0;
        let channels: Vec<String> = self.bots.keys().cloned().collect();
        for channel in channels {
            let Some(bot) = self.bots.get_mut(&channel) else { continue };
            match bot.status {
                Status::Online | Status::Stale => {
                    let from = bot.status;
                    bot.status = Status::Unknown;
                    bot.reason = "monitor_stopped".into();
                    bot.status_changed_at = at;
                    bot.dirty = false;
                    self.counters.add(Counter::transitions, 1);
                    self.transitions.push(TransitionRow {
                        at,
                        channel: channel.clone(),
                        pid: bot.pid,
                        from: Some(from.as_str()),
                        to: Status::Unknown.as_str(),
                        reason: "monitor_stopped".into(),
                    });
                    self.rows.push(bot.row(&channel));
                    marked += 1;
                }
                _ if bot.dirty => self.rows.push(bot.row(&channel)),
                _ => {}
            }
        }
        tracing::info!("marked {marked} bots unknown: monitor_stopped");
        self.changed = true;
        self.publish();
        self.hand_over();
        self.store.push_counters(self.counters.snapshot());
    }
}
