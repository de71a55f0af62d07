//! Putting it together: the socket (never stolen from a live monitor), the
//! database, and the tasks and threads of a running monitor, and an orderly
//! stop that flushes storage and removes the socket file.

use crate::config::Config;
use crate::counters::Counters;
use crate::error::{Context, Error, Result};
use crate::http::HttpState;
use crate::ingest::{self, Ingest};
use crate::registry::{Fleet, StateWorker};
use crate::store::read::Backend;
use crate::store::{self, Store};
use crate::time::iso;
use std::future::Future;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener as StdUnixListener, UnixStream as StdUnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::{mpsc, oneshot, watch};

/// Batches that may wait for the state worker (each one read of one connection).
const STATE_QUEUE: usize = 4096;
/// `sun_path` less its NUL.
const MAX_SOCKET_PATH_BYTES: usize = 107;

/// A monitor whose socket is bound and whose database is open; [`Server::run`] serves it.
pub struct Server {
    config: Arc<Config>,
    listener: StdUnixListener,
    http: Option<std::net::TcpListener>,
    /// (device, inode) of our socket file, so that a stop removes only our own.
    socket_id: (u64, u64),
    storage: Opened,
    counters: Arc<Counters>,
}

/// The database `--db` names, open and migrated: a SQLite file, or a PostgreSQL several monitors share.
enum Opened {
    Sqlite(rusqlite::Connection),
    Postgres(Box<store::postgres::Opened>),
}

impl Server {
    /// Opens the database, then binds the socket. Fails with a clear message
    /// when another monitor answers on the socket path or the database is not
    /// a monitor database. Must be called outside an async context or inside
    /// one that allows blocking (it does file I/O).
    pub fn bind(config: Config) -> Result<Server> {
        config.validate()?;
        let storage = match config.postgres_url() {
            Some(url) => Opened::Postgres(Box::new(store::postgres::open(url, &config)?)),
            None => Opened::Sqlite(store::open_for_writing(&config.db_path)?),
        };
        let http = config.http.map(bind_http).transpose()?;
        let (listener, socket_id) = bind_socket(&config.socket_path, config.socket_mode)?;
        Ok(Server { config: Arc::new(config), listener, http, socket_id, storage, counters: Arc::default() })
    }

    /// The address the HTTP API listens on (with the port the kernel chose for port 0).
    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.http.as_ref().and_then(|listener| listener.local_addr().ok())
    }

    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }

    pub fn socket_path(&self) -> &Path {
        &self.config.socket_path
    }

    /// Serves until `shutdown` completes, then stops in order: no more
    /// accepts, socket file removed, each reader takes what its socket holds,
    /// watched bots marked `unknown` (monitor_stopped), storage flushed.
    ///
    /// Readers run on the calling runtime. The accept loop and the state
    /// worker run on a control thread of their own, so that neither waits for
    /// a turn behind thousands of busy readers.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let http_addr = self.http_addr();
        let Server { config, listener, http, socket_id, storage, counters } = self;
        let forget_before = SystemTime::now().checked_sub(config.forget_after).unwrap_or(SystemTime::UNIX_EPOCH);
        // Reads (the HTTP API, the alert engine) and alert state go where the rest is stored.
        let id_conflict = match &storage {
            Opened::Sqlite(_) => None,
            Opened::Postgres(opened) => Some(opened.id_conflict()),
        };
        let backend = match &storage {
            Opened::Sqlite(_) => Backend::sqlite(&config.db_path),
            Opened::Postgres(opened) => Backend::Postgres(
                store::postgres::read::Pool::of(&config)?
                    .ok_or_else(|| Error::new(format!("--db {}: not a PostgreSQL URL", opened.target.shown)))?,
            ),
        };
        let (previous, store) = match storage {
            Opened::Sqlite(conn) => {
                let previous = store::load_bots(&conn, forget_before)?;
                (previous, Store::start(conn, Arc::clone(&counters), &config)?)
            }
            Opened::Postgres(mut opened) => {
                let previous = std::mem::take(&mut opened.previous);
                (previous, Store::start_postgres(*opened, Arc::clone(&counters), &config)?)
            }
        };
        store.push_meta("monitor_pid", std::process::id().to_string());
        store.push_meta("monitor_host", crate::config::hostname());
        store.push_meta("monitor_started_at", iso(SystemTime::now()));
        store.push_meta("monitor_stopped_at", String::new());
        store.push_meta("socket_path", config.socket_path.display().to_string());

        let (findings_tx, findings_rx) = mpsc::unbounded_channel();
        let (prober, prober_thread) = crate::probe::spawn(store.clone(), Arc::clone(&counters), findings_tx)?;
        let (state_tx, state_rx) = mpsc::channel(STATE_QUEUE);
        if !previous.is_empty() {
            tracing::info!("{} bots from the previous run are watched until they report again", previous.len());
        }
        let (fleet_tx, fleet_rx) = watch::channel(Arc::new(Fleet::empty()));
        let otlp = match &config.otlp_endpoint {
            Some(endpoint) => Some(crate::otlp::Otlp::start(
                endpoint,
                &config.monitor_id,
                &store.totals(),
                fleet_rx.clone(),
                Arc::clone(&counters),
            )?),
            None => None,
        };
        let state =
            StateWorker::new(Arc::clone(&config), previous, store.clone(), Arc::clone(&counters), prober, fleet_tx);
        let events = Arc::new(crate::registry::events::Hub::default());
        let state = if http.is_some() { state.with_events(Arc::clone(&events)) } else { state };
        let ingest = Arc::new(Ingest::new(Arc::clone(&counters), store.clone(), state_tx, config.reject_peer_mismatch));
        let (stop_tx, stop_rx) = watch::channel(false);
        let (alerts, alerts_task) = crate::alerts::start(
            &config.alerts,
            backend.clone(),
            &config.monitor_id,
            http_addr,
            Arc::clone(&counters),
            fleet_rx.clone(),
            stop_rx.clone(),
        )
        .await?;
        listener.set_nonblocking(true).context(|| "cannot make the listener non-blocking".into())?;
        let readers = tokio::runtime::Handle::current();
        let socket_path = config.socket_path.clone();
        let (ended_tx, mut ended) = oneshot::channel::<()>();
        let accepting = Arc::new(AtomicBool::new(true));
        let http_task = match (http, http_addr) {
            (Some(http), Some(http_addr)) => {
                http.set_nonblocking(true).context(|| "cannot make the HTTP listener non-blocking".into())?;
                let http =
                    tokio::net::TcpListener::from_std(http).context(|| "cannot register the HTTP listener".into())?;
                let state = Arc::new(HttpState {
                    config: Arc::clone(&config),
                    fleet: fleet_rx.clone(),
                    counters: Arc::clone(&counters),
                    store: store.clone(),
                    backend: backend.clone(),
                    id_conflict,
                    read_permits: tokio::sync::Semaphore::new(crate::http::DB_READS_AT_ONCE),
                    started_at: SystemTime::now(),
                    accepting: Arc::clone(&accepting),
                    http_addr,
                    events: Arc::clone(&events),
                    alerts,
                });
                let (hub, totals) = (Arc::clone(&events), store.totals());
                let pump =
                    crate::http::events::pump(hub, Arc::clone(&counters), totals, fleet_rx.clone(), stop_rx.clone());
                tokio::spawn(pump);
                tokio::spawn(crate::http::api::warm(fleet_rx.clone(), stop_rx.clone()));
                store.push_meta("http_addr", http_addr.to_string());
                let limits = crate::http::listener_limits(&config);
                tracing::info!("HTTP API on http://{http_addr}/api/v1/ (metrics at /metrics)");
                Some(tokio::spawn(crate::http::serve(http, crate::http::router(state), limits, stop_rx.clone())))
            }
            _ => {
                store.push_meta("http_addr", String::new());
                None
            }
        };
        let accept_ended = Arc::clone(&accepting);
        let max_connections = connection_limit(config.max_connections, config.http_max_connections);
        let control = std::thread::Builder::new()
            .name("kissmon-control".into())
            .spawn(move || -> Result<()> {
                let _ended = EndSignal(Some(ended_tx));
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context(|| "cannot start the control runtime".into())?;
                runtime.block_on(async move {
                    let listener = tokio::net::UnixListener::from_std(listener)
                        .context(|| "cannot register the listener".into())?;
                    let state_task = tokio::spawn(state.run(state_rx, findings_rx));
                    ingest::accept_loop(listener, ingest, stop_rx, readers, max_connections).await;
                    accept_ended.store(false, Ordering::Relaxed);
                    remove_own_socket(&socket_path, socket_id);
                    // The state worker ends once every reader has handed on its last lines.
                    let _ = state_task.await;
                    Ok(())
                })
            })
            .context(|| "cannot start the control thread".into())?;
        tracing::info!(
            "kissmon-server listening on {} (mode {:o}), database {}",
            config.socket_path.display(),
            config.socket_mode,
            config.db_shown()
        );

        tokio::select! {
            _ = shutdown => {}
            // Only a failure ends the control thread before a stop.
            _ = &mut ended => tracing::error!("the control thread ended; stopping"),
        }
        tracing::info!("stopping: flushing storage and removing {}", config.socket_path.display());
        let _ = stop_tx.send(true);
        events.close();
        if let Some(http_task) = http_task {
            let _ = http_task.await;
        }
        let _ = alerts_task.await;
        tokio::task::spawn_blocking(move || {
            let served = control.join().map_err(|_| Error::new("the control thread panicked"))?;
            store.push_meta("monitor_stopped_at", iso(SystemTime::now()));
            store.close();
            if let Some(otlp) = otlp {
                otlp.shutdown();
            }
            let _ = prober_thread.join();
            served
        })
        .await
        .context(|| "stopping failed".into())??;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Binds the HTTP listener ([`Config::validate`] has checked the address against the token).
fn bind_http(addr: std::net::SocketAddr) -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind(addr).map_err(|err| {
        let hint = if err.kind() == std::io::ErrorKind::AddrInUse {
            " (another monitor? choose another --http, or --http off)"
        } else {
            ""
        };
        Error::new(format!("cannot listen on --http {addr}: {err}{hint}"))
    })
}

/// Fires when dropped, however the control thread ends.
struct EndSignal(Option<oneshot::Sender<()>>);

impl Drop for EndSignal {
    fn drop(&mut self) {
        if let Some(ended) = self.0.take() {
            let _ = ended.send(());
        }
    }
}

/// Binds `path` unless a monitor answers there; a leftover file nobody
/// answers on is replaced. The socket is bound under a private name, given
/// `mode`, then renamed into place, so it is never reachable with looser rights.
fn bind_socket(path: &Path, mode: u32) -> Result<(StdUnixListener, (u64, u64))> {
    let shown = path.display();
    if path.as_os_str().len() > MAX_SOCKET_PATH_BYTES {
        return Err(Error::new(format!("--socket {shown} is longer than {MAX_SOCKET_PATH_BYTES} bytes")));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Error::new(format!("--socket {shown}: the directory {} does not exist", parent.display())));
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(Error::new(format!("--socket {shown} exists and is not a socket; not replacing it")));
        }
        match StdUnixStream::connect(path) {
            Ok(stream) => {
                let who = peer_pid(&stream).map_or_else(String::new, |pid| format!(" (pid {pid})"));
                return Err(Error::new(format!(
                    "another monitor is already listening on {shown}{who}; stop it first or choose another --socket"
                )));
            }
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                tracing::info!("replacing the stale socket file {shown}: nothing answers on it");
            }
            Err(err) => return Err(Error::new(format!("cannot tell whether a monitor listens on {shown}: {err}"))),
        }
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let private = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let listener = if private.as_os_str().len() <= MAX_SOCKET_PATH_BYTES {
        let _ = std::fs::remove_file(&private);
        let listener = StdUnixListener::bind(&private).context(|| format!("cannot bind {}", private.display()))?;
        let placed = std::fs::set_permissions(&private, std::fs::Permissions::from_mode(mode))
            .context(|| format!("cannot set mode {mode:o} on {}", private.display()))
            .and_then(|()| std::fs::rename(&private, path).context(|| format!("cannot move the socket to {shown}")));
        if let Err(err) = placed {
            let _ = std::fs::remove_file(&private);
            return Err(err);
        }
        listener
    } else {
        // No room for a private name: bind in place and set the mode right after.
        let _ = std::fs::remove_file(path);
        let listener = StdUnixListener::bind(path).context(|| format!("cannot bind {shown}"))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .context(|| format!("cannot set mode {mode:o} on {shown}"))?;
        listener
    };
    let meta = std::fs::metadata(path).context(|| format!("cannot stat {shown}"))?;
    Ok((listener, (meta.dev(), meta.ino())))
}

fn remove_own_socket(path: &Path, id: (u64, u64)) {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if (meta.dev(), meta.ino()) == id => {
            if let Err(err) = std::fs::remove_file(path) {
                tracing::warn!("cannot remove the socket file {}: {err}", path.display());
            }
        }
        Ok(_) => tracing::info!("{} is no longer our socket; leaving it", path.display()),
        Err(_) => {}
    }
}

fn peer_pid(stream: &StdUnixStream) -> Option<i32> {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`.
    let ret = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (ret == 0 && cred.pid > 0).then_some(cred.pid)
}

/// Raises this process's soft limit on open files to the hard limit, so
/// that 10,000 connections fit. Returns the new soft limit.
pub fn raise_open_files_limit() -> Option<libc::rlim_t> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit read and write one rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return Some(raised.rlim_cur);
            }
        }
    }
    Some(limit.rlim_cur)
}

/// `--max-connections`, lowered so that the open-files limit leaves room for
/// the HTTP connections, the database and the notifiers: past it a new
/// connection is then shed (closed and counted), never refused by the kernel
/// for want of a file descriptor.
fn connection_limit(configured: usize, http_max_connections: usize) -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
        return configured;
    }
    let room = usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX).saturating_sub(http_max_connections + 128).max(1);
    if room < configured {
        tracing::info!(
            "--max-connections {configured} lowered to {room}: the open-files limit is {} (raise it with ulimit -n)",
            limit.rlim_cur
        );
    }
    configured.min(room)
}

/// A monitor running on a thread of its own, for the demo and for tests
/// that want one in-process. Stopped by [`Background::stop`] or on drop.
pub struct Background {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
    counters: Arc<Counters>,
    socket_path: PathBuf,
    http_addr: Option<std::net::SocketAddr>,
}

impl Background {
    /// Binds (errors come back here) and starts serving on a new thread.
    pub fn start(config: Config) -> Result<Background> {
        let server = Server::bind(config)?;
        let counters = server.counters();
        let socket_path = server.socket_path().to_path_buf();
        let http_addr = server.http_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("kissmon-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .context(|| "cannot start the tokio runtime".into())?;
                runtime.block_on(server.run(async {
                    let _ = stopped.await;
                }))
            })
            .context(|| "cannot start the monitor thread".into())?;
        Ok(Background { stop: Some(stop), thread: Some(thread), counters, socket_path, http_addr })
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn socket_path(&self) -> &Path {
        &self.socket_path
    }

    /// Where its HTTP API listens, unless HTTP is off.
    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.http_addr
    }

    /// Stops as SIGTERM would and waits until storage is flushed.
    pub fn stop(mut self) -> Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| Error::new("the monitor thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}
