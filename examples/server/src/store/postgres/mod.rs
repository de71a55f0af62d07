//! Storage in PostgreSQL (`serve --db postgres://...`): several monitors,
//! one per host, share one database, and every row carries the
//! `monitor_id` of the monitor that wrote it (`--monitor-id`, the hostname
//! by default). A bot is identified by (monitor_id, channel).
//!
//! The push side is the SQLite one ([`Store`]: folding, shedding, health);
//! only the writer differs (`write`): COPY for the row tables, one
//! transaction per batch, and a PostgreSQL that is down or restarting costs
//! nothing: the batch is kept and retried on a new connection while new rows
//! wait (and fold, and past every bound are shed and counted) as they do
//! behind a slow SQLite. Reads for `status`, `usage` and the HTTP API show
//! every monitor (`read`). The schema has its own numbered steps (`migrate`),
//! kept equivalent to SQLite's by a test.
//!
//! Nothing here runs on the ingest path: the writer has its own thread and
//! its own single-threaded runtime.

pub mod lease;
pub mod migrate;
pub mod read;
mod write;

use super::rows::StatusRow;
use super::totals::{Totals, UsageTotals};
use super::Store;
use crate::config::Config;
use crate::counters::Counters;
use crate::error::{Error, Result};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_postgres::{Client, NoTls};

/// How `--db` names a PostgreSQL database instead of a SQLite file.
pub const SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// Longest wait for a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The PostgreSQL URL in `--db`, if it is one.
pub fn url(db: &Path) -> Option<&str> {
    db.to_str().filter(|text| SCHEMES.iter().any(|scheme| text.starts_with(scheme)))
}

/// Where a monitor's PostgreSQL is, and who this monitor is in it.
#[derive(Clone)]
pub struct Target {
    pub config: tokio_postgres::Config,
    /// The URL without its password, for messages.
    pub shown: String,
    pub monitor_id: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (monitor {})", self.shown, self.monitor_id)
    }
}

impl Target {
    pub fn parse(url: &str, monitor_id: &str) -> Result<Target> {
        let shown = hide_password(url);
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|err| Error::new(format!("--db {shown}: not a PostgreSQL URL: {err}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name(format!("kissmon-server {monitor_id}"));
        }
        Ok(Target { config, shown, monitor_id: monitor_id.to_owned() })
    }

    /// A new connection; its I/O task runs on the current runtime.
    pub async fn connect(&self) -> std::result::Result<Client, tokio_postgres::Error> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!("postgres: connection ended: {err}");
            }
        });
        Ok(client)
    }

    /// [`Target::connect`], with the error as operators should read it.
    pub async fn connect_or_explain(&self) -> Result<Client> {
        self.connect().await.map_err(|err| Error::new(format!("cannot connect to {}: {}", self.shown, explain(&err))))
    }
}

/// The URL with any password (in the authority or a `password=` parameter) replaced by `***`.
pub fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let mut shown = match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    if let Some(start) = shown.find("password=").map(|i| i + "password=".len()) {
        let end = shown[start..].find('&').map_or(shown.len(), |i| start + i);
        shown.replace_range(start..end, "***");
    }
    shown
}

/// An error with the server's message and SQLSTATE when there is one.
pub fn explain(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} ({}: {})", db.message(), db.severity(), db.code().code()),
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

/// Whether a new attempt can clear `err`: errors of the server's own making
/// (connection exceptions, shutdown, lack of resources, conflicts, a lock
/// not available) and every error without a SQLSTATE (I/O, a closed
/// connection). The others are the statement's own fault.
pub fn is_transient(err: &tokio_postgres::Error) -> bool {
    let Some(db) = err.as_db_error() else { return true };
    let code = db.code().code();
    ["08", "53", "57", "58", "40"].iter().any(|class| code.starts_with(class)) || code == "55P03" || code == "55006"
}

/// Runs `future` to completion on a single-threaded runtime of its own, on a
/// thread of its own, so that it may be called from anywhere, an async
/// context included (the CLI, `Server::bind`).
pub fn block_on<T: Send>(future: impl Future<Output = Result<T>> + Send) -> Result<T> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|err| Error::new(format!("cannot start a runtime for PostgreSQL: {err}")))?;
                runtime.block_on(future)
            })
            .join()
            .unwrap_or_else(|_| Err(Error::new("the PostgreSQL thread panicked")))
    })
}

/// A monitor's PostgreSQL, migrated, with what the monitor starts from.
pub struct Opened {
    pub target: Target,
    /// The bots this monitor left watched (or gone less than `forget_after` ago).
    pub previous: Vec<StatusRow>,
    /// This monitor's llm_usage totals, for /metrics.
    totals: Totals,
    /// Per client instance, the highest llm_usage `seq` stored (protocol 1.1 acks).
    marks: Vec<(String, u64)>,
    /// The lock on `--monitor-id`, held until the writer has stored its last batch.
    lease: lease::Lease,
}

impl Opened {
    /// Set while another monitor holds this monitor's id (for `/healthz`).
    pub fn id_conflict(&self) -> lease::Conflict {
        self.lease.conflict()
    }
}

/// Connects, brings the schema to [`migrate::LATEST`], takes the lock on
/// `config.monitor_id` (refused while another monitor runs with it), and
/// reads what this monitor left behind.
pub fn open(url: &str, config: &Config) -> Result<Opened> {
    let target = Target::parse(url, &config.monitor_id)?;
    let forget_before = SystemTime::now().checked_sub(config.forget_after).unwrap_or(SystemTime::UNIX_EPOCH);
    block_on(async {
        let mut client = target.connect_or_explain().await?;
        migrate::migrate(&mut client, &target.shown).await
    })?;
    let lease = lease::acquire(&target)?;
    block_on(async {
        let client = target.connect_or_explain().await?;
        let monitor_id = &target.monitor_id;
        let previous = read::load_bots(&client, monitor_id, forget_before)
            .await
            .map_err(|err| Error::new(format!("cannot read bot_status in {}: {}", target.shown, explain(&err))))?;
        let totals = read::load_totals(&client, monitor_id)
            .await
            .map_err(|err| Error::new(format!("cannot sum llm_usage in {}: {}", target.shown, explain(&err))))?;
        let marks = read::load_marks(&client, monitor_id)
            .await
            .map_err(|err| Error::new(format!("cannot read usage_acks in {}: {}", target.shown, explain(&err))))?;
        Ok((previous, totals, marks))
    })
    .map(|(previous, totals, marks)| Opened { target, previous, totals, marks, lease })
}

impl Store {
    /// Starts the PostgreSQL writer thread for a database [`open`] prepared.
    pub fn start_postgres(opened: Opened, counters: Arc<Counters>, config: &Config) -> Result<Store> {
        let Opened { target, totals, marks, lease, .. } = opened;
        let acks = super::acks::Acks::from_marks(marks, config.retention);
        Store::spawn(UsageTotals::from(totals), acks, counters, config, move |shared| {
            write::run(target, shared);
            drop(lease);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths_and_passwords_are_hidden() {
        assert_eq!(url(Path::new("postgres://u@h/db")), Some("postgres://u@h/db"));
        assert_eq!(url(Path::new("postgresql://h/db")), Some("postgresql://h/db"));
        assert_eq!(url(Path::new("./kissbot_monitor.db")), None);
        assert_eq!(hide_password("postgres://u:s3cret@h:5/db"), "postgres://u:***@h:5/db");
        assert_eq!(hide_password("postgres://u@h/db?password=x&a=b"), "postgres://u@h/db?password=***&a=b");
        assert_eq!(hide_password("postgres://h/db"), "postgres://h/db");
        let err = Target::parse("postgres://h:notaport/db", "m").unwrap_err().to_string();
        assert!(err.contains("--db") && err.contains("not a PostgreSQL URL"), "{err}");
    }
}
