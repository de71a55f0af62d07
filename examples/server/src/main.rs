//! `kissmon-server`: serve (the default), status, usage, demo.

use clap::{Args, Parser, Subcommand};
use kissmon_server::{demo, report, Config, Server, DEFAULT_DB_PATH};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "kissmon-server",
    version,
    about = "The reference kissmon monitor: bots report over a Unix socket, status and LLM usage land in SQLite",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the monitor (the default when no command is given).
    Serve(ServeArgs),
    /// Print the bots in a monitor database: channel, pid, status, age of the last heartbeat, language, features.
    Status {
        #[arg(long, default_value = DEFAULT_DB_PATH)]
        db: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print LLM calls and tokens by channel, model and feature.
    Usage {
        #[arg(long, default_value = DEFAULT_DB_PATH)]
        db: PathBuf,
        /// How far back: a duration like 30m, 24h or 7d, or `all`.
        #[arg(long, default_value = "24h", value_parser = parse_since)]
        since: Since,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Start a monitor on a private socket and database with a small fleet of
    /// demo bots, and print the live status table as it changes.
    Demo {
        /// How long the demo runs, in seconds (at least 8).
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Keep the demo's database and print its path, for `status` and `usage`.
        #[arg(long)]
        keep: bool,
    },
    /// One demo bot in a process of its own (the demo kills it to show `dead`).
    #[command(hide = true)]
    DemoBot {
        #[arg(long)]
        socket: PathBuf,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        lifetime: u64,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Socket path. Default: $KISSBOT_MONITOR_SOCKET, else /tmp/kissbot_monitor.sock.
    #[arg(long)]
    socket: Option<PathBuf>,
    /// SQLite database file, created if absent; an earlier monitor's database is extended in place.
    #[arg(long, default_value = DEFAULT_DB_PATH)]
    db: PathBuf,
    /// Permission bits of the socket file, in octal.
    #[arg(long, default_value = "0660", value_parser = parse_mode)]
    socket_mode: u32,
    /// Least time without a heartbeat before a bot is stale (threshold: max(2.5 x its interval, this)).
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    stale_floor: Duration,
    /// Stale threshold of a bot that announced no heartbeat interval.
    #[arg(long, default_value = "75s", value_parser = parse_duration)]
    stale_default: Duration,
    /// How often staleness is checked and bot pids are looked up in /proc.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    check_every: Duration,
    /// How often rss and cpu of local bots are sampled into bot_metrics.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    metrics_every: Duration,
    /// bot_metrics and bot_transitions rows older than this are deleted.
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    retention: Duration,
    /// How often last_seen of heartbeating bots and the counters are written.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    status_flush_every: Duration,
    /// Reject (and count) messages whose pid differs from the connection's peer pid, instead of flagging them.
    #[arg(long)]
    reject_peer_mismatch: bool,
    /// llm_usage rows that may wait for the writer before further ones fold into aggregates.
    #[arg(long, default_value_t = 200_000)]
    max_pending_usage: usize,
    /// Distinct llm_usage aggregates allowed while rows fold; past this, calls are shed and counted.
    #[arg(long, default_value_t = 10_000)]
    max_usage_aggregates: usize,
    /// Address of the HTTP API, dashboard and /metrics (e.g. 127.0.0.1:9477, [::1]:9477), or `off`.
    /// A non-loopback address needs --http-token.
    #[arg(long, default_value = kissmon_server::config::DEFAULT_HTTP_ADDR, value_parser = parse_http)]
    http: HttpAddr,
    /// Bearer token that every HTTP endpoint but /healthz requires. Default: $KISSMON_HTTP_TOKEN.
    #[arg(long)]
    http_token: Option<String>,
    /// Serve /metrics without the token (Prometheus scrapers that cannot send one).
    #[arg(long)]
    metrics_public: bool,
    /// HTTP connections served at once; further ones wait until one closes.
    #[arg(long, default_value_t = 256)]
    http_max_connections: usize,
    /// How long one HTTP request may take, headers included, before the connection is closed.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    http_request_timeout: Duration,
    /// /healthz reports 503 when rows wait for the writer and none were committed for this long.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    writer_stall: Duration,
    /// Dead and offline bots leave the live view (API, /metrics) this long after their last change; their rows stay.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    forget_after: Duration,
    /// Log filter (tracing syntax); RUST_LOG overrides it.
    #[arg(long, default_value = "info")]
    log: String,
}

impl ServeArgs {
    fn config(&self) -> Config {
        let mut config = Config::new(self.socket.clone().unwrap_or_else(kissmon::default_socket_path), &self.db);
        config.socket_mode = self.socket_mode;
        config.stale_floor = self.stale_floor;
        config.stale_default = self.stale_default;
        config.check_every = self.check_every;
        config.metrics_every = self.metrics_every;
        config.retention = self.retention;
        config.status_flush_every = self.status_flush_every;
        config.reject_peer_mismatch = self.reject_peer_mismatch;
        config.max_pending_usage = self.max_pending_usage;
        config.max_usage_aggregates = self.max_usage_aggregates;
        config.http = self.http.0;
        config.http_token = self.http_token.clone().or_else(|| std::env::var("KISSMON_HTTP_TOKEN").ok());
        config.metrics_public = self.metrics_public;
        config.http_max_connections = self.http_max_connections;
        config.http_request_timeout = self.http_request_timeout;
        config.writer_stall = self.writer_stall;
        config.forget_after = self.forget_after;
        config
    }
}

#[derive(Clone, Copy)]
struct HttpAddr(Option<std::net::SocketAddr>);

fn parse_http(text: &str) -> Result<HttpAddr, String> {
    if text == "off" {
        return Ok(HttpAddr(None));
    }
    text.parse()
        .map(|addr| HttpAddr(Some(addr)))
        .map_err(|_| format!("expected an address like 127.0.0.1:9477 or [::1]:9477, or `off`, got {text:?}"))
}

#[derive(Clone, Copy)]
struct Since(Option<Duration>);

fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|err| format!("expected a duration like 500ms, 15s, 24h or 7d ({err})"))?;
    if duration.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(duration)
}

fn parse_since(text: &str) -> Result<Since, String> {
    if text == "all" {
        return Ok(Since(None));
    }
    parse_duration(text).map(|d| Since(Some(d)))
}

fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if mode <= 0o777 => Ok(mode),
        _ => Err(format!("expected octal permission bits like 0660, got {text:?}")),
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(&cli.serve),
        Some(Command::Serve(args)) => serve(&args),
        Some(Command::Status { db, json }) => report::read_status(&db).map(|status| {
            if json {
                println!("{}", serde_json::to_string_pretty(&status).expect("a status report serializes"));
            } else {
                print!("{}", report::render_status(&status));
            }
        }),
        Some(Command::Usage { db, since, json }) => report::read_usage(&db, since.0).map(|usage| {
            if json {
                println!("{}", serde_json::to_string_pretty(&usage).expect("a usage report serializes"));
            } else {
                print!("{}", report::render_usage(&usage));
            }
        }),
        Some(Command::Demo { duration, keep }) => {
            init_logging("warn");
            let program = std::env::current_exe().ok();
            demo::run(Duration::from_secs(duration), keep, program, &mut std::io::stdout())
        }
        Some(Command::DemoBot { socket, channel, lifetime }) => {
            demo::run_bot(&socket, &channel, Duration::from_secs(lifetime))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kissmon-server: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &ServeArgs) -> kissmon_server::Result<()> {
    init_logging(&args.log);
    let config = args.config();
    if config.socket_mode & 0o002 != 0 {
        tracing::warn!("--socket-mode {:o} lets any local user write to the monitor", config.socket_mode);
    }
    if let Some(limit) = kissmon_server::raise_open_files_limit() {
        tracing::debug!("open files limit: {limit}");
    }
    let server = Server::bind(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| kissmon_server::Error::new(format!("cannot start the tokio runtime: {err}")))?;
    runtime.block_on(async {
        let stop = shutdown_signal()?;
        server.run(stop).await
    })
}

/// Completes on SIGINT or SIGTERM.
fn shutdown_signal() -> kissmon_server::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|err| kissmon_server::Error::new(format!("cannot handle SIGINT: {err}")))?;
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|err| kissmon_server::Error::new(format!("cannot handle SIGTERM: {err}")))?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT"),
            _ = terminate.recv() => tracing::info!("SIGTERM"),
        }
    })
}
