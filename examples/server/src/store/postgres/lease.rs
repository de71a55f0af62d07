//! One running monitor per `--monitor-id` on a database. Two monitors with
//! one id would write the same bot_status rows and take each other's bots
//! for their own, so a monitor holds a session-level advisory lock keyed on
//! its id, on a connection of its own, for as long as it runs; a second
//! monitor with that id is refused at start, with what the first wrote
//! about itself.
//!
//! The lock lives and dies with its session: a clean stop closes the
//! connection, and a monitor killed with SIGKILL has its socket closed by
//! the kernel, so PostgreSQL ends the session and frees the id at once (a
//! host that vanishes without a word frees it when TCP keepalive gives up on
//! it). When the connection drops while the monitor runs (PostgreSQL
//! restarted, a network cut, the session terminated), the lease reconnects
//! with backoff and takes the lock again; should another monitor have taken
//! the id meanwhile, it says so in the log and in `/healthz` (503), naming
//! the other, until the lock is its own again.

use super::{explain, Target};
use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_postgres::{Client, NoTls};

/// How often an idle lease connection is checked.
const PING_EVERY: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The advisory lock key of a monitor id: the first 8 bytes of a SHA-256.
pub fn key(monitor_id: &str) -> i64 {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("kissmon monitor_id\0{monitor_id}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest.as_ref()[..8]);
    i64::from_be_bytes(bytes)
}

/// Why another monitor holds this monitor's id now (after a lost
/// connection), or `None` while the id is this monitor's.
pub type Conflict = Arc<Mutex<Option<String>>>;

/// Holds the lock on this monitor's id until dropped.
pub struct Lease {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    conflict: Conflict,
}

impl Lease {
    pub fn conflict(&self) -> Conflict {
        Arc::clone(&self.conflict)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Takes the lock on `target.monitor_id`, or fails naming the monitor that holds it.
pub fn acquire(target: &Target) -> Result<Lease> {
    let mut config = target.config.clone();
    config.application_name(format!("kissmon-server {} (monitor id lock)", target.monitor_id));
    // A dead peer is noticed within a minute or two rather than hours.
    config.keepalives(true).keepalives_idle(Duration::from_secs(30));
    let target = Target { config, ..target.clone() };
    let (taken_tx, taken_rx) = std::sync::mpsc::channel::<Result<()>>();
    let (stop, stopped) = oneshot::channel();
    let conflict = Conflict::default();
    let conflict_seen = Arc::clone(&conflict);
    let thread = std::thread::Builder::new()
        .name("kissmon-id-lease".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(err) => {
                    let _ = taken_tx.send(Err(Error::new(format!("cannot start a runtime for the lease: {err}"))));
                    return;
                }
            };
            runtime.block_on(hold(target, taken_tx, stopped, conflict_seen));
        })
        .map_err(|err| Error::new(format!("cannot start the monitor id lease thread: {err}")))?;
    let taken = taken_rx.recv().unwrap_or_else(|_| Err(Error::new("the monitor id lease thread ended")));
    let lease = Lease { stop: Some(stop), thread: Some(thread), conflict };
    taken.map(|()| lease)
}

/// What came of one try at the lock.
enum Try {
    Held(Client, tokio::task::JoinHandle<()>),
    Taken(String),
    Failed(String),
}

async fn try_lock(target: &Target, key: i64) -> Try {
    let (client, connection) = match target.config.connect(NoTls).await {
        Ok(pair) => pair,
        Err(err) => return Try::Failed(format!("cannot connect to {}: {}", target.shown, explain(&err))),
    };
    let connection = tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!("postgres: the monitor id lease connection ended: {err}");
        }
    });
    match client.query_one("SELECT pg_try_advisory_lock($1)", &[&key]).await {
        Ok(row) if row.get::<_, bool>(0) => Try::Held(client, connection),
        Ok(_) => Try::Taken(holder(&client, target, key).await),
        Err(err) => Try::Failed(format!("cannot lock --monitor-id in {}: {}", target.shown, explain(&err))),
    }
}

/// What PostgreSQL and kissmon_meta say about the monitor that holds `key`.
async fn holder(client: &Client, target: &Target, key: i64) -> String {
    let mut parts = Vec::new();
    let meta = client
        .query(
            "SELECT key, value FROM kissmon_meta WHERE monitor_id = $1
               AND key IN ('monitor_host', 'monitor_pid', 'monitor_started_at', 'http_addr')",
            &[&target.monitor_id],
        )
        .await
        .unwrap_or_default();
    let meta = |name: &str| {
        meta.iter()
            .find(|row| row.get::<_, &str>(0) == name)
            .map(|row| row.get::<_, String>(1))
            .filter(|v| !v.is_empty())
    };
    if let Some(pid) = meta("monitor_pid") {
        parts.push(format!("pid {pid}"));
    }
    if let Some(host) = meta("monitor_host") {
        parts.push(format!("on host {host}"));
    }
    if let Some(started) = meta("monitor_started_at") {
        parts.push(format!("started {started}"));
    }
    if let Some(http) = meta("http_addr") {
        parts.push(format!("HTTP on {http}"));
    }
    let (classid, objid) = ((key as u64 >> 32) as u32, key as u64 as u32);
    let session = client
        .query_opt(
            "SELECT COALESCE(host(a.client_addr), 'a local socket'), CAST(a.backend_start AS TEXT)
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1",
            &[&classid, &objid],
        )
        .await
        .ok()
        .flatten();
    if let Some(row) = session {
        let from: Option<String> = row.get(0);
        let since: Option<String> = row.get(1);
        parts.push(format!(
            "connected from {} since {}",
            from.unwrap_or_else(|| "an address this role may not see".into()),
            since.unwrap_or_else(|| "?".into())
        ));
    }
    if parts.is_empty() {
        "another monitor".to_owned()
    } else {
        format!("another monitor ({})", parts.join(", "))
    }
}

fn refused(target: &Target, who: &str) -> String {
    format!(
        "--monitor-id {} is in use by {who} on {}; give each monitor its own --monitor-id (the hostname by \
         default), or stop the other one first",
        target.monitor_id, target.shown
    )
}

async fn hold(
    target: Target,
    taken: std::sync::mpsc::Sender<Result<()>>,
    mut stop: oneshot::Receiver<()>,
    conflict: Conflict,
) {
    let set_conflict = |text: Option<String>| *conflict.lock().unwrap_or_else(|p| p.into_inner()) = text;
    let key = key(&target.monitor_id);
    let (mut client, mut connection) = match try_lock(&target, key).await {
        Try::Held(client, connection) => (client, connection),
        Try::Taken(who) => {
            let _ = taken.send(Err(Error::new(refused(&target, &who))));
            return;
        }
        Try::Failed(why) => {
            let _ = taken.send(Err(Error::new(why)));
            return;
        }
    };
    let _ = taken.send(Ok(()));
    loop {
        // Held: until the stop, or until the connection ends.
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.reset();
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = &mut connection => break,
                _ = ping.tick() => {
                    let alive = tokio::time::timeout(PING_TIMEOUT, client.simple_query("")).await;
                    if !matches!(alive, Ok(Ok(_))) {
                        break;
                    }
                }
            }
        }
        drop(client);
        connection.abort();
        tracing::warn!(
            "postgres: the connection that holds --monitor-id {} dropped; taking the lock again",
            target.monitor_id
        );
        let mut backoff = Duration::from_millis(100);
        let mut attempts = 0u32;
        (client, connection) = loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempts += 1;
            match try_lock(&target, key).await {
                Try::Held(client, connection) => {
                    set_conflict(None);
                    tracing::info!("postgres: this monitor holds --monitor-id {} again", target.monitor_id);
                    break (client, connection);
                }
                Try::Taken(who) => {
                    let text = refused(&target, &who);
                    tracing::error!("while this monitor's lock connection was down, {text}");
                    set_conflict(Some(text));
                }
                Try::Failed(why) if attempts == 1 || attempts.is_power_of_two() => {
                    tracing::warn!("postgres: {why} (attempt {attempts}); retrying")
                }
                Try::Failed(_) => {}
            }
        };
    }
}
