//! `kissmon-server demo`: a monitor on a private socket and database, a
//! small fleet of bots on the Rust client (`kissmon::MonitorClient`), and
//! the live status table printed as it changes.
//!
//! The fleet: two busy bots that stay online; `silent_sam` stops its
//! heartbeat (stale) and later resumes (online again); `crashy` runs in a
//! child process that is killed (dead, seen through /proc); `short_lived`
//! closes cleanly (offline); `legacy_larry` talks like a client of the
//! earlier monitor (one connection per line, no `ts`, llm_usage without pid).
//! At the end the monitor stops first, so the bots still running show
//! `unknown` (monitor_stopped), not offline.

use crate::config::Config;
use crate::error::{Context, Error, Result};
use crate::report::{self, StatusReport};
use crate::server::Background;
use kissmon::{LlmUsage, MonitorClient};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const MIN_DURATION: Duration = Duration::from_secs(8);
const HEARTBEAT: Duration = Duration::from_secs(1);

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Ctrl-C ends the demo early but in order (child killed, temp dir removed).
fn catch_interrupt() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_interrupt as *const () as libc::sighandler_t);
    }
}

/// Schedule points as fractions of the run.
struct Plan {
    silent_at: Duration,
    crash_at: Duration,
    leave_at: Duration,
    resume_at: Duration,
    end: Duration,
}

impl Plan {
    fn new(duration: Duration) -> Plan {
        let at = |fraction: f64| duration.mul_f64(fraction);
        Plan { silent_at: at(0.2), crash_at: at(0.35), leave_at: at(0.5), resume_at: at(0.65), end: duration }
    }
}

/// A private directory, removed on drop unless kept.
struct DemoDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs the demo for `duration`. `bot_program` is this binary, run as
/// `demo-bot` for the bot that gets killed; without it that bot is left out.
/// Where the demo's HTTP API and dashboard listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Http {
    /// The monitor's default address, or a free loopback port when it is taken.
    Default,
    /// Exactly this (`None`: off).
    Given(Option<std::net::SocketAddr>),
}

pub fn run(
    duration: Duration,
    keep: bool,
    http: Http,
    bot_program: Option<PathBuf>,
    out: &mut dyn Write,
) -> Result<()> {
    if duration < MIN_DURATION {
        return Err(Error::new(format!(
            "--duration must be at least {} seconds so that a bot can go stale and come back, got {}",
            MIN_DURATION.as_secs(),
            duration.as_secs()
        )));
    }
    catch_interrupt();
    let dir = DemoDir {
        path: std::env::temp_dir().join(format!("kissmon-demo-{}-{:x}", std::process::id(), fastrand::u32(..))),
        keep,
    };
    std::fs::create_dir_all(&dir.path).context(|| format!("cannot create {}", dir.path.display()))?;
    let socket = dir.path.join("monitor.sock");
    let db = dir.path.join("monitor.db");
    let mut config = Config::new(&socket, &db);
    config.stale_floor = Duration::from_secs(1);
    config.check_every = Duration::from_millis(250);
    config.metrics_every = Duration::from_secs(2);
    config.status_flush_every = Duration::from_millis(250);
    let monitor = match http {
        Http::Given(addr) => {
            config.http = addr;
            Background::start(config)?
        }
        Http::Default => match Background::start(config.clone()) {
            Ok(monitor) => monitor,
            Err(err) if err.to_string().contains("cannot listen on --http") => {
                let _ = writeln!(out, "({err}; the demo takes a free port instead)");
                config.http = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
                Background::start(config)?
            }
            Err(err) => return Err(err),
        },
    };
    let plan = Plan::new(duration);
    let started = Instant::now();
    let say = |out: &mut dyn Write, text: &str| {
        let _ = writeln!(out, "[{:>5.1}s] {text}", started.elapsed().as_secs_f64());
        let _ = out.flush();
    };
    let _ = writeln!(
        out,
        "kissmon demo: monitor on {}, database {}\n\
         dashboard and API: {} (curl it: /api/v1/bots, /metrics)\n\
         fleet: translator and quizbot stay busy; silent_sam stops its heartbeat at {:.1}s and resumes at {:.1}s; \
         crashy (a child process) is killed at {:.1}s; short_lived leaves at {:.1}s; legacy_larry speaks the \
         earlier monitor's protocol.\n\
         heartbeats every {}s, stale after 2.5 missed intervals; the run ends at {:.1}s.\n",
        socket.display(),
        db.display(),
        monitor.http_addr().map_or_else(|| "off".to_owned(), |addr| format!("http://{addr}/")),
        plan.silent_at.as_secs_f64(),
        plan.resume_at.as_secs_f64(),
        plan.crash_at.as_secs_f64(),
        plan.leave_at.as_secs_f64(),
        HEARTBEAT.as_secs(),
        plan.end.as_secs_f64(),
    );

    let stop_bots = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let client = |channel: &str| {
        MonitorClient::builder(channel)
            .socket_path(&socket)
            .heartbeat_interval(HEARTBEAT)
            .build()
            .map_err(|err| Error::new(format!("demo bot {channel}: {err}")))
    };
    let translator = Arc::new(client("translator")?);
    let quizbot = Arc::new(client("quizbot")?);
    let silent = Arc::new(client("silent_sam")?);
    let short_lived = client("short_lived")?;
    for (bot, features, model, provider) in [
        (&translator, &[("llm", true), ("translate", true)][..], "gpt-4o-mini", "openai"),
        (&quizbot, &[("llm", true), ("quiz", true), ("voice", false)][..], "claude-3-5-haiku", "anthropic"),
        (&silent, &[("llm", true)][..], "llama-3.1-8b", "local"),
    ] {
        bot.register(features.iter().copied()).map_err(|err| Error::new(err.to_string()))?;
        bot.start_heartbeat(HEARTBEAT).map_err(|err| Error::new(err.to_string()))?;
        let (bot, stop) = (Arc::clone(bot), Arc::clone(&stop_bots));
        threads.push(std::thread::spawn(move || chat(&bot, model, provider, &stop)));
    }
    short_lived.register([("translate", false)]).map_err(|err| Error::new(err.to_string()))?;
    short_lived.start_heartbeat(HEARTBEAT).map_err(|err| Error::new(err.to_string()))?;
    {
        let (socket, stop) = (socket.clone(), Arc::clone(&stop_bots));
        threads.push(std::thread::spawn(move || legacy_bot(&socket, &stop)));
    }
    let mut crashy = match &bot_program {
        Some(program) => Some(
            std::process::Command::new(program)
                .args(["demo-bot", "--channel", "crashy", "--lifetime"])
                .arg((duration.as_secs() + 10).to_string())
                .arg("--socket")
                .arg(&socket)
                .stdin(std::process::Stdio::null())
                .spawn()
                .context(|| format!("cannot start the crashy demo bot {}", program.display()))?,
        ),
        None => None,
    };

    let mut shown = Shown::default();
    let (mut went_silent, mut crashed, mut left, mut resumed) = (false, false, false, false);
    let mut short_lived = Some(short_lived);
    while started.elapsed() < plan.end && !INTERRUPTED.load(Ordering::Relaxed) {
        let now = started.elapsed();
        if !went_silent && now >= plan.silent_at {
            went_silent = true;
            silent.stop_heartbeat();
            say(out, "silent_sam stops sending heartbeats (its process keeps running)");
        }
        if !crashed && now >= plan.crash_at {
            crashed = true;
            if let Some(child) = &mut crashy {
                let _ = child.kill();
                let _ = child.wait();
                say(out, &format!("crashy (pid {}) is killed with SIGKILL", child.id()));
            }
        }
        if !left && now >= plan.leave_at {
            left = true;
            if let Some(bot) = short_lived.take() {
                bot.close(Duration::from_secs(1));
                say(out, "short_lived closes its client: it unregisters and leaves");
            }
        }
        if !resumed && now >= plan.resume_at {
            resumed = true;
            let _ = silent.start_heartbeat(HEARTBEAT);
            say(out, "silent_sam sends heartbeats again");
        }
        shown.update(&db, started, out);
        std::thread::sleep(Duration::from_millis(200));
    }
    if let Some(mut child) = crashy {
        let _ = child.kill();
        let _ = child.wait();
    }
    shown.update(&db, started, out);

    match report::read_usage(&db, None) {
        Ok(usage) => {
            let _ = writeln!(out, "\nLLM usage of the run (kissmon-server usage):\n{}", report::render_usage(&usage));
        }
        Err(err) => {
            let _ = writeln!(out, "cannot read the usage: {err}");
        }
    }
    say(
        out,
        "stopping the monitor while translator, quizbot, silent_sam and legacy_larry still run: \
         their rows say unknown (monitor_stopped), not offline",
    );
    monitor.stop()?;
    if let Ok(status) = report::read_status(&db) {
        let _ = writeln!(out, "{}", report::render_status(&status));
    }
    stop_bots.store(true, Ordering::Relaxed);
    for bot in [&translator, &quizbot, &silent] {
        bot.close(Duration::from_millis(100));
    }
    for thread in threads {
        let _ = thread.join();
    }
    if keep {
        let _ = writeln!(
            out,
            "the database is kept: kissmon-server status --db {0}\n                      kissmon-server usage --db {0} --since all",
            db.display()
        );
    }
    Ok(())
}

/// What the demo printed last, to print again only on change.
#[derive(Default)]
struct Shown {
    last_transition: i64,
    statuses: Vec<(String, String)>,
}

impl Shown {
    fn update(&mut self, db: &Path, started: Instant, out: &mut dyn Write) {
        let Ok(conn) = crate::store::open_for_reading(db, "bot_transitions") else { return };
        // One read transaction: the transitions and the table agree.
        if conn.execute_batch("BEGIN").is_err() {
            return;
        }
        let transitions = conn
            .prepare(
                "SELECT id, channel, pid, from_status, to_status, reason FROM bot_transitions WHERE id > ?1 ORDER BY id",
            )
            .and_then(|mut statement| {
                statement
                    .query_map([self.last_transition], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, i64>(2)?,
                            row.get::<_, Option<String>>(3)?,
                            row.get::<_, String>(4)?,
                            row.get::<_, String>(5)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap_or_default();
        let status = report::status_from(&conn, db);
        drop(conn);
        for (id, channel, pid, from, to, reason) in transitions {
            self.last_transition = id;
            let change = match from {
                Some(from) => format!("{from} -> {to}"),
                None => to,
            };
            let _ =
                writeln!(out, "[{:>5.1}s] {channel} (pid {pid}): {change} ({reason})", started.elapsed().as_secs_f64());
        }
        let Ok(status) = status else { return };
        let statuses = statuses(&status);
        if statuses != self.statuses {
            self.statuses = statuses;
            let _ =
                writeln!(out, "\n{}", report::render_status(&StatusReport { counters: Default::default(), ..status }));
        }
        let _ = out.flush();
    }
}

fn statuses(status: &StatusReport) -> Vec<(String, String)> {
    status.bots.iter().map(|bot| (bot.channel.clone(), bot.status.clone())).collect()
}

/// A busy bot: an LLM call every few hundred milliseconds.
fn chat(bot: &MonitorClient, model: &str, provider: &str, stop: &AtomicBool) {
    let features = ["chat", "jokes", "translate"];
    while !stop.load(Ordering::Relaxed) && !INTERRUPTED.load(Ordering::Relaxed) {
        let tokens_in = fastrand::u64(40..400);
        let tokens_out = fastrand::u64(20..300);
        let usage = LlmUsage::new(model, features[fastrand::usize(..features.len())], tokens_in, tokens_out)
            .latency_ms(fastrand::f64() * 1500.0 + 200.0)
            .provider(provider)
            .cost_usd((tokens_in + 3 * tokens_out) as f64 * 1e-6)
            .ok(fastrand::u8(..20) != 0);
        let _ = bot.log_llm_usage(usage);
        std::thread::sleep(Duration::from_millis(fastrand::u64(200..600)));
    }
}

/// A client of the earlier monitor: a new connection per line, no `ts`,
/// llm_usage without pid.
fn legacy_bot(socket: &Path, stop: &AtomicBool) {
    let pid = std::process::id();
    let send = |line: String| {
        if let Ok(mut conn) = std::os::unix::net::UnixStream::connect(socket) {
            let _ = conn.write_all(line.as_bytes());
        }
    };
    send(
        format!(r#"{{"type": "register", "channel": "legacy_larry", "pid": {pid}, "features": {{"llm": true}}}}"#)
            + "\n",
    );
    while !stop.load(Ordering::Relaxed) && !INTERRUPTED.load(Ordering::Relaxed) {
        send(format!(r#"{{"type": "heartbeat", "channel": "legacy_larry", "pid": {pid}}}"#) + "\n");
        send(
            r#"{"type": "llm_usage", "channel": "legacy_larry", "model": "gpt-3.5-turbo", "feature": "chat", "tokens_in": 120, "tokens_out": 80, "latency_ms": 900.0}"#
                .to_owned()
                + "\n",
        );
        for _ in 0..10 {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `demo-bot`: one bot in a process of its own, until killed or `lifetime` ends.
pub fn run_bot(socket: &Path, channel: &str, lifetime: Duration) -> Result<()> {
    // Die with the demo, even if the demo itself is killed.
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
    let bot = MonitorClient::builder(channel)
        .socket_path(socket)
        .heartbeat_interval(HEARTBEAT)
        .build()
        .map_err(|err| Error::new(err.to_string()))?;
    bot.register([("llm", true)]).map_err(|err| Error::new(err.to_string()))?;
    bot.start_heartbeat(HEARTBEAT).map_err(|err| Error::new(err.to_string()))?;
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| chat(&bot, "gpt-4o", "openai", &stop));
        while started.elapsed() < lifetime {
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
    });
    bot.close(Duration::from_secs(1));
    Ok(())
}
