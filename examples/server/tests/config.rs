//! `serve --config FILE` and `kissmon-server config`: the printed example is
//! the defaults and starts a monitor, flags override the file, file errors
//! name the file, line and key, and an exposed HTTP address needs a token.

mod support;

use kissmon_server::config::Settings;
use kissmon_server::{Config, DEFAULT_DB_PATH};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// Runs `kissmon-server args` where it must refuse to start: its exit code and stderr.
fn refused(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("KISSMON_HTTP_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} kept running where it had to refuse");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    (output.status.code(), stderr(&output))
}

/// A `serve` started with `args` alone, killed on drop.
struct Served(Child);

impl Served {
    /// Starts `serve args` and waits until `socket` accepts.
    fn start(args: &[&str], socket: &Path) -> Served {
        let child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("KISSMON_HTTP_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut served = Served(child);
        wait_for(&format!("a monitor on {}", socket.display()), Duration::from_secs(20), || {
            assert!(served.0.try_wait().unwrap().is_none(), "serve {args:?} exited");
            UnixStream::connect(socket).is_ok()
        });
        served
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn printed_example() -> String {
    let output = cli(&["config"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn the_printed_example_is_the_defaults_and_every_serve_flag_with_its_doc() {
    let example = printed_example();
    let settings = Settings::parse(&example, "example").unwrap();
    let mut config = Config::from_env();
    settings.clone().apply(&mut config);
    assert_eq!(config, Config::from_env());
    let mut every_default = Settings::of(&Config::new(kissmon::DEFAULT_SOCKET_PATH, DEFAULT_DB_PATH));
    every_default.socket = None;
    every_default.http_token = None;
    every_default.monitor_id = None;
    // The example's [alerts] section is commented out: the default rules apply.
    every_default.alerts = None;
    assert_eq!(settings, every_default, "every setting with a fixed default is set to it:\n{example}");

    let help = stdout(&cli(&["serve", "--help"]));
    let flags: Vec<&str> = help
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("--"))
        .map(|word| word.split(['=', '[', ' ', ',']).next().unwrap())
        .filter(|flag| !["help", "config", ""].contains(flag))
        .collect();
    assert!(flags.len() >= 20, "{flags:?}");
    for flag in flags {
        let key = flag.replace('-', "_");
        assert!(
            example
                .lines()
                .any(|line| line.starts_with(&format!("{key} = ")) || line.starts_with(&format!("# {key} = "))),
            "--{flag} is missing from the example:\n{example}"
        );
    }
    assert!(example.contains("# Least time without a heartbeat before a bot is stale"), "{example}");
    assert!(example.contains("\nstale_floor = \"15s\"\n"), "{example}");
    assert!(example.contains("\n# socket = \"/tmp/kissbot_monitor.sock\"\n"), "{example}");
    assert!(help.contains("[default: 15s]"), "the help shows the defaults too:\n{help}");
}

#[test]
fn serve_starts_from_the_printed_example() {
    let dir = TempDir::new();
    let file = dir.path("example.toml");
    std::fs::write(&file, printed_example()).unwrap();
    let file = file.to_str().unwrap();
    let mut monitor = Monitor::start_with_args(&dir.socket(), &dir.db(), &["--config", file, "--http", "127.0.0.1:0"]);
    assert_eq!(mode_of(&dir.socket()), 0o660, "socket_mode from the example");
    let bot = client(&monitor.socket, "from_example", Duration::from_secs(30));
    bot.register([("llm", true)]).unwrap();
    monitor.wait_status("from_example", "online");
    monitor.stop();
}

#[test]
fn a_monitor_takes_its_settings_from_the_file() {
    let dir = TempDir::new();
    let socket = dir.path("from-file.sock");
    let file = dir.path("monitor.toml");
    let text = format!(
        "socket = {socket:?}\ndb = {db:?}\nsocket_mode = \"0640\"\nhttp = \"off\"\n",
        socket = socket.to_str().unwrap(),
        db = dir.db().to_str().unwrap()
    );
    std::fs::write(&file, text).unwrap();
    let _monitor = Served::start(&["--config", file.to_str().unwrap()], &socket);
    assert_eq!(mode_of(&socket), 0o640);
    assert!(dir.db().exists());
}

#[test]
fn a_flag_overrides_the_file() {
    let dir = TempDir::new();
    let (in_file, on_command_line) = (dir.path("in-file.sock"), dir.path("flag.sock"));
    let file = dir.path("monitor.toml");
    let text = format!(
        "socket = {in_file:?}\ndb = {db:?}\nsocket_mode = \"0600\"\nhttp = \"0.0.0.0:9477\"\n",
        in_file = in_file.to_str().unwrap(),
        db = dir.db().to_str().unwrap()
    );
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let _monitor = Served::start(
        &["--config", file, "--socket", on_command_line.to_str().unwrap(), "--http", "off"],
        &on_command_line,
    );
    assert!(!in_file.exists(), "the file's socket was overridden");
    assert_eq!(mode_of(&on_command_line), 0o600, "the file's other settings still apply");
}

#[test]
fn file_errors_name_the_file_the_line_and_the_key() {
    let dir = TempDir::new();
    let file = dir.path("config.toml");
    let path = file.to_str().unwrap();
    for (text, expected) in [
        (
            "db = \"m.db\"\nstale_floor = \"fast\"\n",
            format!("{path}:2: stale_floor: expected a duration like 500ms, 15s, 24h or 7d, got \"fast\""),
        ),
        (
            "\nmax_pending_usage = \"lots\"\n",
            format!("{path}:2: max_pending_usage: expected a whole number like 256, got \"lots\""),
        ),
        ("socket_mode = 660\n", format!("{path}:1: socket_mode: expected octal permission bits like 0660, got 660")),
        ("stale_flor = \"15s\"\n", format!("{path}:1: stale_flor: not a setting")),
        ("stale-floor = \"15s\"\n", format!("{path}:1: stale-floor: not a setting; keys are snake_case: stale_floor")),
        (
            "log = \"info\"\n\nhttp = \"everywhere\"\n",
            format!("{path}:3: http: expected an address like 127.0.0.1:9477"),
        ),
        ("db = \"unterminated\n", format!("{path}:1: ")),
    ] {
        std::fs::write(&file, text).unwrap();
        let (code, err) = refused(&["serve", "--config", path, "--socket", dir.socket().to_str().unwrap()], &[]);
        assert_eq!(code, Some(1), "{text:?}: {err}");
        assert!(err.contains(&expected), "{text:?}: expected {expected:?} in:\n{err}");
    }
    assert!(!dir.socket().exists(), "nothing was bound");

    let missing = dir.path("missing.toml");
    let (code, err) = refused(&["serve", "--config", missing.to_str().unwrap()], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot read config file") && err.contains("missing.toml"), "{err}");
}

#[test]
fn an_address_beyond_loopback_needs_a_token() {
    let dir = TempDir::new();
    let socket = dir.socket();
    let socket = socket.to_str().unwrap();
    let file = dir.path("open.toml");
    std::fs::write(&file, "http = \"0.0.0.0:9477\"\n").unwrap();
    let file = file.to_str().unwrap();
    for args in [
        vec!["serve", "--socket", socket, "--http", "0.0.0.0:9477"],
        vec!["serve", "--socket", socket, "--config", file],
    ] {
        let (code, err) = refused(&args, &[]);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        for name in ["--http ", "--http-token", "KISSMON_HTTP_TOKEN", "http_token", "0.0.0.0:9477"] {
            assert!(err.contains(name), "{args:?}: {name} not in:\n{err}");
        }
    }
    assert!(!dir.socket().exists(), "refused before anything was bound");

    let (code, err) = refused(&["serve", "--socket", socket, "--http", "off", "--http-token", ""], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("the HTTP token is empty"), "{err}");
    let (code, err) = refused(&["serve", "--socket", socket, "--http", "off"], &[("KISSMON_HTTP_TOKEN", "")]);
    assert_eq!(code, Some(1));
    assert!(err.contains("the HTTP token is empty"), "an empty environment token is refused too: {err}");
    let (code, err) = refused(&["serve", "--socket", socket, "--http", "off", "--http-max-connections", "0"], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--http-max-connections") && err.contains("at least 1"), "{err}");
}
