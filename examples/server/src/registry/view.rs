//! The registry as readers see it: an immutable snapshot of every bot,
//! rebuilt by the state worker and shared behind an `Arc`, so a reader holds
//! no lock and never slows the worker, however long it takes.

use super::{Bot, Proc, Status};
use crate::config::Config;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

/// One bot as the registry knows it.
#[derive(Debug, Clone)]
pub struct BotView {
    pub channel: String,
    pub pid: u32,
    pub status: Status,
    pub status_reason: String,
    pub status_changed_at: SystemTime,
    pub registered_at: SystemTime,
    pub last_seen: SystemTime,
    pub lang: Option<String>,
    pub sdk_version: Option<String>,
    pub instance: Option<String>,
    pub features_json: String,
    pub heartbeat_interval_s: Option<f64>,
    /// When it turns stale without a heartbeat: max(2.5 x its interval, the floor).
    pub stale_after: Duration,
    pub lag_ms: Option<f64>,
    pub rss_mb: Option<f64>,
    pub cpu_pct: Option<f64>,
    pub pid_unverified: bool,
    pub peer_mismatch: bool,
    /// The view as JSON, written by the first reader that needs it: a view
    /// lives as long as its bot does not change, so most readers copy it.
    pub json: OnceLock<Box<str>>,
}

/// Every bot in the registry, sorted by channel. A bot that did not change
/// since the previous snapshot shares its view with it.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub bots: Vec<Arc<BotView>>,
    pub taken_at: SystemTime,
}

impl Fleet {
    pub fn new(bots: impl Iterator<Item = Arc<BotView>>) -> Fleet {
        let mut bots: Vec<Arc<BotView>> = bots.collect();
        bots.sort_unstable_by(|a, b| a.channel.cmp(&b.channel));
        Fleet { bots, taken_at: SystemTime::now() }
    }

    pub fn empty() -> Fleet {
        Fleet { bots: Vec::new(), taken_at: SystemTime::now() }
    }

    pub fn get(&self, channel: &str) -> Option<&BotView> {
        self.bots.binary_search_by(|bot| bot.channel.as_str().cmp(channel)).ok().map(|i| &*self.bots[i])
    }

    /// How many bots have each status, in [`Status::ALL`] order.
    pub fn counts(&self) -> [(Status, usize); 5] {
        Status::ALL.map(|status| (status, self.bots.iter().filter(|bot| bot.status == status).count()))
    }
}

impl BotView {
    /// A bot from its stored row, for one the registry no longer holds.
    pub fn from_row(row: crate::store::StatusRow, config: &Config) -> BotView {
        BotView {
            status: Status::parse(row.status).unwrap_or(Status::Unknown),
            stale_after: config.stale_after(row.heartbeat_interval_s),
            channel: row.channel,
            pid: row.pid,
            status_reason: row.status_reason,
            status_changed_at: row.status_changed_at,
            registered_at: row.registered_at,
            last_seen: row.last_seen,
            lang: row.lang,
            sdk_version: row.sdk_version,
            instance: row.instance,
            features_json: row.features_json,
            heartbeat_interval_s: row.heartbeat_interval_s,
            lag_ms: row.lag_ms,
            rss_mb: None,
            cpu_pct: None,
            pid_unverified: row.pid_unverified,
            peer_mismatch: row.peer_mismatch,
            json: OnceLock::new(),
        }
    }
}

/// The bot's view: the one published before when nothing in it changed
/// (compared field by field, so no change can be missed), else a new one.
pub(super) fn of(channel: &str, bot: &mut Bot, config: &Config) -> Arc<BotView> {
    if let Some(view) = &bot.view {
        if unchanged(view, channel, bot) {
            return Arc::clone(view);
        }
    }
    let view = Arc::new(build(channel, bot, config));
    bot.view = Some(Arc::clone(&view));
    view
}

fn unchanged(view: &BotView, channel: &str, bot: &Bot) -> bool {
    view.last_seen == bot.last_seen
        && view.status == bot.status
        && view.pid == bot.pid
        && view.status_changed_at == bot.status_changed_at
        && view.lag_ms == bot.lag_ms
        && view.rss_mb == bot.sample.map(|(rss, _)| rss)
        && view.cpu_pct == bot.sample.map(|(_, cpu)| cpu)
        && view.registered_at == bot.registered_at
        && view.heartbeat_interval_s == bot.interval
        && view.pid_unverified == (bot.proc == Proc::NotVisible)
        && view.peer_mismatch == bot.peer_mismatch
        && view.status_reason == bot.reason
        && view.features_json == bot.features_json
        && view.lang == bot.lang
        && view.sdk_version == bot.sdk_version
        && view.instance == bot.instance
        && view.channel == channel
}

fn build(channel: &str, bot: &Bot, config: &Config) -> BotView {
    BotView {
        channel: channel.to_owned(),
        pid: bot.pid,
        status: bot.status,
        status_reason: bot.reason.clone(),
        status_changed_at: bot.status_changed_at,
        registered_at: bot.registered_at,
        last_seen: bot.last_seen,
        lang: bot.lang.clone(),
        sdk_version: bot.sdk_version.clone(),
        instance: bot.instance.clone(),
        features_json: bot.features_json.clone(),
        heartbeat_interval_s: bot.interval,
        stale_after: config.stale_after(bot.interval),
        lag_ms: bot.lag_ms,
        rss_mb: bot.sample.map(|(rss, _)| rss),
        cpu_pct: bot.sample.map(|(_, cpu)| cpu),
        pid_unverified: bot.proc == Proc::NotVisible,
        peer_mismatch: bot.peer_mismatch,
        json: OnceLock::new(),
    }
}
