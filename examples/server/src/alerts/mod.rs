//! Alerts: rules on liveness, the fleet, usage budgets, LLM health and bot
//! resources, evaluated by one engine task and delivered by one thread per
//! notifier (webhook, Slack, Discord, Alertmanager, a command).
//!
//! - `rules`: the kinds of rule and the defaults; `config`: `[alerts]` of the config file.
//! - `engine`: evaluation and each alert's life (pending, firing, resolved), silences applied.
//! - `notify`: queues, retries, timeouts; `payload`: what each notifier sends, escaped for its format.
//! - `db`: alerts, attempts and silences in the monitor's database (SQLite, or PostgreSQL with `monitor_id`).
//!
//! Nothing here may slow ingest or storage: the engine reads the registry's
//! published snapshot and read-only connections; it never waits for a
//! notifier or for its own writer, whose queues are bounded and whose drops
//! are counted.

pub mod config;
pub mod db;
pub mod engine;
pub mod glob;
pub mod notify;
pub mod payload;
pub mod rules;

use crate::counters::Counters;
use crate::registry::Fleet;
use crate::store::read::Backend;
use crate::Result;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Every alerting setting: the rules, the notifiers, and how often rules are evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertsConfig {
    pub rules: Vec<rules::Rule>,
    pub notifiers: Vec<notify::NotifierConfig>,
    /// How often `for` timers and silences are checked (status changes are evaluated as they are published).
    pub evaluate_every: Duration,
    /// How often llm_usage is read for budget and LLM-health rules.
    pub usage_every: Duration,
}

impl Default for AlertsConfig {
    fn default() -> AlertsConfig {
        AlertsConfig {
            rules: rules::defaults(),
            notifiers: Vec::new(),
            evaluate_every: Duration::from_secs(1),
            usage_every: Duration::from_secs(15),
        }
    }
}

impl AlertsConfig {
    /// Adds a webhook notifier for every rule (`--alert-webhook URL`).
    pub fn add_webhook(&mut self, url: String) {
        let n = self.notifiers.iter().filter(|n| n.name.starts_with("webhook")).count();
        let name = if n == 0 { "webhook".to_owned() } else { format!("webhook-{}", n + 1) };
        self.notifiers.push(notify::NotifierConfig::webhook(name, url));
    }
}

/// What the HTTP side and `status` read of a running engine.
#[derive(Clone)]
pub struct Alerts {
    pub view: watch::Receiver<Arc<engine::View>>,
    pub stats: Arc<notify::Stats>,
    /// Wakes the engine to re-read silences (one was just added or expired).
    pub reload: Arc<Notify>,
}

/// Starts the engine on the current runtime and a thread per notifier; the
/// engine's task ends, its rows stored, once `stop` turns true. Alert rows
/// go where `backend` reads: the SQLite file, or PostgreSQL as `monitor_id`.
pub async fn start(
    config: &AlertsConfig,
    backend: Backend,
    monitor_id: &str,
    http: Option<SocketAddr>,
    counters: Arc<Counters>,
    fleet: watch::Receiver<Arc<Fleet>>,
    stop: watch::Receiver<bool>,
) -> Result<(Alerts, tokio::task::JoinHandle<()>)> {
    let storage = match &backend {
        Backend::Sqlite { path, .. } => db::Storage::Sqlite(path),
        Backend::Postgres(pool) => db::Storage::Postgres(Box::new(crate::store::postgres::Target {
            monitor_id: monitor_id.to_owned(),
            ..pool.target.clone()
        })),
    };
    let db = db::Db::start(storage, counters)?;
    let restored: Vec<db::AlertRow> = backend
        .read(vec![db::firing(Some(monitor_id))])
        .await
        .map_err(|err| crate::Error::new(format!("alerts: cannot read the alerts that were firing: {err}")))?
        .concat()
        .iter()
        .map(db::alert_row)
        .collect();
    if !restored.is_empty() {
        tracing::info!("alerts: {} alerts were firing when the monitor last stopped", restored.len());
    }
    let external_url = http.map_or_else(String::new, |addr| format!("http://{addr}/"));
    let stats = Arc::new(notify::Stats::default());
    let notifiers = config
        .notifiers
        .iter()
        .map(|n| notify::Notifier::start(n.clone(), Arc::clone(&stats), db.clone(), external_url.clone()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|err| crate::Error::new(format!("alerts: cannot start a notifier thread: {err}")))?;
    let (publish, view) = watch::channel(Arc::new(engine::View::default()));
    let label_monitor = backend.postgres().is_some();
    let engine = engine::Engine::new(
        config.rules.clone(),
        notifiers,
        Arc::clone(&stats),
        db,
        restored,
        publish,
        engine::Monitor { id: monitor_id.to_owned(), shared: label_monitor, external_url },
    );
    let reload = Arc::new(Notify::new());
    let engine =
        tokio::spawn(engine.run(fleet, backend, config.evaluate_every, config.usage_every, Arc::clone(&reload), stop));
    tracing::info!(
        "alerts: {} rules, notifiers: {}",
        config.rules.len(),
        if config.notifiers.is_empty() {
            "none (add one with --alert-webhook URL or [[alerts.notifier]] in --config)".to_owned()
        } else {
            config.notifiers.iter().map(|n| format!("{} ({})", n.name, n.target.kind())).collect::<Vec<_>>().join(", ")
        }
    );
    Ok((Alerts { view, stats, reload }, engine))
}
