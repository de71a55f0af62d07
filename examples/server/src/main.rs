//! `kissmon-server`: serve (the default), status, usage, config, demo.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use kissmon_server::config::{self, Settings};
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

/// Asking a running monitor over HTTP instead of reading its database.
#[derive(Args, Clone)]
struct RemoteArgs {
    /// A monitor's HTTP address (e.g. http://10.0.0.5:9477) to ask instead of reading --db.
    #[arg(long, conflicts_with = "db")]
    url: Option<String>,
    /// The monitor's bearer token (its --http-token). Default: $KISSMON_HTTP_TOKEN.
    #[arg(long, requires = "url")]
    token: Option<String>,
}

impl RemoteArgs {
    fn remote(&self) -> Option<kissmon_server::Result<kissmon_server::remote::Remote>> {
        let url = self.url.as_deref()?;
        let token = self.token.clone().or_else(|| std::env::var(config::HTTP_TOKEN_ENV).ok().filter(|t| !t.is_empty()));
        Some(kissmon_server::remote::Remote::new(url, token))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the monitor (the default when no command is given).
    Serve(Box<ServeArgs>),
    /// Print the bots in a monitor database: channel, pid, status, age of the last heartbeat, language, features.
    Status {
        #[arg(long, default_value = DEFAULT_DB_PATH)]
        db: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print LLM calls and tokens by channel, model and feature.
    Usage {
        #[arg(long, default_value = DEFAULT_DB_PATH)]
        db: PathBuf,
        #[command(flatten)]
        remote: RemoteArgs,
        /// How far back: a duration like 30m, 24h or 7d, or `all`.
        #[arg(long, default_value = "24h", value_parser = parse_since)]
        since: Since,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Hold back alert notifications: add, list or expire silences (in the database, or through --url).
    Silence {
        #[command(subcommand)]
        action: SilenceAction,
    },
    /// Print a commented example config file for `serve --config`: every setting, what it does, its default.
    #[command(name = "config")]
    PrintConfig,
    /// Start a monitor on a private socket and database with a small fleet of
    /// demo bots, and print the live status table as it changes.
    Demo {
        /// How long the demo runs, in seconds (at least 8).
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Keep the demo's database and print its path, for `status` and `usage`.
        #[arg(long)]
        keep: bool,
        /// Where the demo monitor serves its dashboard and API, or `off`. When the default
        /// port is taken, the demo takes a free one and prints it.
        #[arg(long)]
        http: Option<String>,
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

#[derive(Subcommand)]
enum SilenceAction {
    /// Silence alerts by rule, channel glob or both, for a while or until a time.
    Add {
        /// A glob on the alert name (e.g. BotDead, Bot*).
        #[arg(long)]
        rule: Option<String>,
        /// A glob on the channel (e.g. worker-*).
        #[arg(long)]
        channel: Option<String>,
        /// How long, from now (e.g. 2h).
        #[arg(long = "for", value_name = "DURATION", conflicts_with = "until")]
        duration: Option<String>,
        /// Until when, RFC 3339 (e.g. 2026-12-01T18:00:00Z).
        #[arg(long)]
        until: Option<String>,
        /// Why.
        #[arg(long)]
        comment: String,
        /// Who (default: $USER).
        #[arg(long)]
        by: Option<String>,
        #[command(flatten)]
        target: SilenceTarget,
    },
    /// Print the silences that have not ended (with --all, every one).
    List {
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: SilenceTarget,
    },
    /// End a silence now.
    Expire {
        id: i64,
        #[command(flatten)]
        target: SilenceTarget,
    },
}

#[derive(Args, Clone)]
struct SilenceTarget {
    #[arg(long, default_value = DEFAULT_DB_PATH)]
    db: PathBuf,
    #[command(flatten)]
    remote: RemoteArgs,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Read settings from this TOML file (keys are these flags in snake_case; `kissmon-server config`
    /// prints one). Flags given here override it.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
    /// Send every alert to this URL as Alertmanager's webhook payload (version 4). Repeatable.
    #[arg(long, value_name = "URL", value_parser = alert_url)]
    alert_webhook: Vec<String>,
}

fn alert_url(text: &str) -> Result<String, String> {
    kissmon_server::alerts::notify::check_url(text)
}

/// The CLI, with each serve flag's default (from `Config::new`) in its help.
fn command() -> clap::Command {
    fn show_defaults(command: clap::Command) -> clap::Command {
        let defaults = Settings::shown_defaults();
        command.mut_args(|arg| match defaults.iter().find(|(key, _)| key.as_str() == arg.get_id().as_str()) {
            Some((_, default)) => {
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                arg.help(format!("{help} [default: {default}]"))
            }
            None => arg,
        })
    }
    show_defaults(Cli::command()).mut_subcommand("serve", show_defaults)
}

#[derive(Clone, Copy)]
struct Since(Option<Duration>);

fn parse_since(text: &str) -> Result<Since, String> {
    if text == "all" {
        return Ok(Since(None));
    }
    config::value::duration(text).map(|d| Since(Some(d))).map_err(|expected| format!("expected {expected}, or `all`"))
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
    limit_malloc_arenas();
    let cli = Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|err| err.exit());
    let result = match cli.command {
        None => serve(&cli.serve),
        Some(Command::Serve(args)) => serve(&args),
        Some(Command::Status { db, remote, json }) => match remote.remote() {
            Some(remote) => remote.and_then(|remote| remote.status()),
            None => report::read_status(&db),
        }
        .map(|status| {
            if json {
                println!("{}", serde_json::to_string_pretty(&status).expect("a status report serializes"));
            } else {
                print!("{}", report::render_status(&status));
            }
        }),
        Some(Command::Usage { db, remote, since, json }) => match remote.remote() {
            Some(remote) => remote.and_then(|remote| remote.usage(since.0)),
            None => report::read_usage(&db, since.0),
        }
        .map(|usage| {
            if json {
                println!("{}", serde_json::to_string_pretty(&usage).expect("a usage report serializes"));
            } else {
                print!("{}", report::render_usage(&usage));
            }
        }),
        Some(Command::Silence { action }) => silence(action),
        Some(Command::PrintConfig) => {
            print!("{}", config::example());
            Ok(())
        }
        Some(Command::Demo { duration, keep, http }) => {
            init_logging("warn");
            let program = std::env::current_exe().ok();
            let http = match http.as_deref().map(kissmon_server::config::value::http).transpose() {
                Ok(http) => http.map_or(demo::Http::Default, |value| demo::Http::Given(value.0)),
                Err(err) => {
                    eprintln!("kissmon-server: error: --http: {err}");
                    return ExitCode::FAILURE;
                }
            };
            demo::run(Duration::from_secs(duration), keep, http, program, &mut std::io::stdout())
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

/// glibc gives threads that allocate at once arenas of their own, up to 8
/// per core, and memory freed into one arena serves only that arena: with
/// readers, the writer and tokio's short-lived blocking threads all
/// allocating, the soak's RSS settled 40 % higher and spiked. Two arenas
/// (unless `MALLOC_ARENA_MAX` says otherwise) keep it flat.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: sets an allocator parameter, before any other thread exists.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    }
}

fn serve(args: &ServeArgs) -> kissmon_server::Result<()> {
    let mut config = Config::resolve(args.config.as_deref(), args.settings.clone())?;
    for url in &args.alert_webhook {
        config.alerts.add_webhook(url.clone());
    }
    init_logging(&config.log);
    if config.socket_mode & 0o002 != 0 {
        tracing::warn!("--socket-mode {:o} lets any local user write to the monitor", config.socket_mode);
    }
    if let Some(limit) = kissmon_server::raise_open_files_limit() {
        tracing::debug!("open files limit: {limit}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| kissmon_server::Error::new(format!("cannot start the tokio runtime: {err}")))?;
    // SIGINT and SIGTERM are caught before the socket exists: a stop that
    // comes as soon as a bot can connect is an orderly one.
    let stop = {
        let _runtime = runtime.enter();
        shutdown_signal()?
    };
    let server = Server::bind(config)?;
    runtime.block_on(server.run(stop))
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

fn silence(action: SilenceAction) -> kissmon_server::Result<()> {
    use kissmon_server::alerts::db;
    use kissmon_server::Error;
    let (target, remote) = match &action {
        SilenceAction::Add { target, .. }
        | SilenceAction::List { target, .. }
        | SilenceAction::Expire { target, .. } => (target.clone(), target.remote.remote().transpose()?),
    };
    let show = |silence: &serde_json::Value| {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            silence["id"],
            silence["rule"].as_str().unwrap_or(""),
            silence["channel"].as_str().unwrap_or(""),
            silence["ends_at"].as_str().unwrap_or(""),
            silence["created_by"].as_str().unwrap_or(""),
            silence["comment"].as_str().unwrap_or("")
        )
    };
    let to_json = |value: &db::Silence| serde_json::to_value(value).expect("a silence serializes");
    match action {
        SilenceAction::Add { rule, channel, duration, until, comment, by, .. } => {
            let by = by.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "cli".into());
            let request = serde_json::json!({
                "rule": rule, "channel": channel, "duration": duration, "ends_at": until,
                "comment": comment, "created_by": by,
            });
            let silence = match remote {
                Some(remote) => remote.send("POST", "/api/v1/silences", Some(&request))?,
                None => {
                    let request = serde_json::from_value(request).expect("the request is well-formed");
                    let new = kissmon_server::http::alerts::new_silence(request, std::time::SystemTime::now())
                        .map_err(|err| {
                            Error::new(err.message.replace("duration:", "--for:").replace("ends_at:", "--until:"))
                        })?;
                    let dialect = match kissmon_server::store::postgres::url(&target.db) {
                        Some(_) => kissmon_server::store::sql::Dialect::Postgres,
                        None => kissmon_server::store::sql::Dialect::Sqlite,
                    };
                    let rows = db::run_on(&target.db, &[db::add_silence(dialect, &new, "cli")])?.concat();
                    let added = rows.first().map(db::silence_row);
                    to_json(&added.ok_or_else(|| Error::new("cannot add the silence: nothing was stored"))?)
                }
            };
            println!("silence {} added: until {}", silence["id"], silence["ends_at"].as_str().unwrap_or(""));
        }
        SilenceAction::List { all, json, .. } => {
            let silences: Vec<serde_json::Value> = match remote {
                Some(remote) => {
                    let path = if all { "/api/v1/silences?all=true" } else { "/api/v1/silences" };
                    remote.send_get(path)?["silences"].as_array().cloned().unwrap_or_default()
                }
                None => {
                    let rows = db::run_on(&target.db, &[db::silences(std::time::SystemTime::now(), all)])?.concat();
                    rows.iter().map(|row| to_json(&db::silence_row(row))).collect()
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&silences).expect("JSON"));
            } else if silences.is_empty() {
                println!("no silences");
            } else {
                println!("ID\tRULE\tCHANNEL\tENDS\tBY\tCOMMENT");
                for silence in &silences {
                    println!("{}", show(silence));
                }
            }
        }
        SilenceAction::Expire { id, .. } => {
            let silence = match remote {
                Some(remote) => remote.send("DELETE", &format!("/api/v1/silences/{id}"), None)?,
                None => match db::run_on(&target.db, &db::expire_silence(id))?.concat().first() {
                    Some(row) => to_json(&db::silence_row(row)),
                    None => {
                        let shown = kissmon_server::store::postgres::hide_password(&target.db.to_string_lossy());
                        return Err(Error::new(format!("no silence with id {id} in {shown}")));
                    }
                },
            };
            println!("silence {} ends at {}", silence["id"], silence["ends_at"].as_str().unwrap_or(""));
        }
    }
    Ok(())
}
