//! Delivery: one thread and one bounded queue per notifier, so a receiver
//! that hangs or fails delays only its own queue, never the engine, ingest,
//! storage or the other notifiers. Each request has a timeout; failures are
//! retried with capped exponential backoff; every attempt is recorded in
//! SQLite and counted in `kissmon_alert_notifications_total{notifier,outcome}`.
//! A full queue drops the notice and counts it (`outcome="dropped"`).

use super::db::{AttemptRow, Db};
use super::glob::Glob;
use super::payload::{self, Notice};
use crate::time::iso;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// A request (or a command) that takes longer than this has failed, unless the notifier says otherwise.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Notices that may wait for one notifier.
pub const QUEUE: usize = 256;
/// Tries per notice; the waits between them double from [`FIRST_BACKOFF`] up to [`MAX_BACKOFF`].
pub const ATTEMPTS: u32 = 8;
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The header a webhook with an `hmac_secret` signs its body in: `sha256=` and the hex HMAC-SHA256.
pub const SIGNATURE_HEADER: &str = "X-Kissmon-Signature";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Alertmanager's webhook payload (version 4), optionally signed.
    Webhook {
        url: String,
        hmac_secret: Option<String>,
    },
    Slack {
        url: String,
    },
    Discord {
        url: String,
    },
    /// A real Alertmanager: `POST {url}/api/v2/alerts`.
    Alertmanager {
        url: String,
    },
    /// The webhook payload on stdin; exit 0 is delivered.
    Command {
        argv: Vec<String>,
    },
}

impl Target {
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Webhook { .. } => "webhook",
            Target::Slack { .. } => "slack",
            Target::Discord { .. } => "discord",
            Target::Alertmanager { .. } => "alertmanager",
            Target::Command { .. } => "command",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifierConfig {
    pub name: String,
    pub target: Target,
    pub timeout: Duration,
    /// Alert names (globs) this notifier hears about.
    pub rules: Vec<Glob>,
}

impl NotifierConfig {
    /// A webhook for every rule: what `--alert-webhook URL` adds.
    pub fn webhook(name: String, url: String) -> NotifierConfig {
        NotifierConfig {
            name,
            target: Target::Webhook { url, hmac_secret: None },
            timeout: TIMEOUT,
            rules: vec![Glob::any()],
        }
    }

    pub fn hears(&self, alertname: &str) -> bool {
        self.rules.iter().any(|glob| glob.matches(alertname))
    }
}

/// Checks a notifier URL: http or https, with a host.
pub fn check_url(url: &str) -> Result<String, String> {
    let rest = match url.split_once("://") {
        Some(("http" | "https", rest)) => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "the scheme {scheme:?} cannot be reached; expected an http:// or https:// URL, got {url:?}"
            ))
        }
        None => return Err(format!("expected an http:// or https:// URL, got {url:?}")),
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("the URL has no host: {url:?}"));
    }
    Ok(url.to_owned())
}

/// Attempts by (notifier, outcome), for /metrics.
#[derive(Debug, Default)]
pub struct Stats(Mutex<BTreeMap<(String, &'static str), u64>>);

impl Stats {
    pub fn add(&self, notifier: &str, outcome: &'static str) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry((notifier.to_owned(), outcome)).or_default() += 1;
    }

    pub fn snapshot(&self) -> Vec<((String, &'static str), u64)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

/// The outcomes every notifier shows, even at zero.
pub const OUTCOMES: [&str; 4] = ["delivered", "failed", "gave_up", "dropped"];

/// One notice for one notifier: which alert instance it is about.
#[derive(Debug, Clone)]
pub struct Job {
    pub alert_key: String,
    pub notice: Arc<Notice>,
    /// A firing alert's `endsAt` for Alertmanager.
    pub until: String,
}

/// The engine's side of a notifier.
pub struct Notifier {
    pub config: NotifierConfig,
    queue: SyncSender<Job>,
}

impl Notifier {
    /// Starts the notifier's thread.
    pub fn start(config: NotifierConfig, stats: Arc<Stats>, db: Db, external_url: String) -> std::io::Result<Notifier> {
        let (queue, jobs) = sync_channel(QUEUE);
        for outcome in OUTCOMES {
            // Registered at zero so that every series exists from the start.
            let mut counts = stats.0.lock().unwrap_or_else(|p| p.into_inner());
            counts.entry((config.name.clone(), outcome)).or_default();
        }
        let worker = Worker { config: config.clone(), stats, db, external_url };
        std::thread::Builder::new().name(format!("kissmon-notify-{}", config.name)).spawn(move || worker.run(jobs))?;
        Ok(Notifier { config, queue })
    }

    /// Queues `job` without waiting; a full queue drops it (counted and recorded).
    pub fn offer(&self, job: Job, stats: &Stats, db: &Db) {
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                stats.add(&self.config.name, "dropped");
                tracing::warn!("alerts: notifier {} is {QUEUE} notices behind; dropped one", self.config.name);
                db.attempt(AttemptRow::new(&job, &self.config.name, 0, "dropped", Some("queue full".into())));
            }
        }
    }
}

struct Worker {
    config: NotifierConfig,
    stats: Arc<Stats>,
    db: Db,
    external_url: String,
}

impl Worker {
    fn run(self, jobs: Receiver<Job>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.config.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("kissmon-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        while let Ok(job) = jobs.recv() {
            let mut backoff = FIRST_BACKOFF;
            for attempt in 1..=ATTEMPTS {
                let result = self.send(&agent, &job);
                let (outcome, error) = match &result {
                    Ok(()) => ("delivered", None),
                    Err(why) => ("failed", Some(why.clone())),
                };
                self.stats.add(&self.config.name, outcome);
                self.db.attempt(AttemptRow::new(&job, &self.config.name, attempt, outcome, error));
                match result {
                    Ok(()) => break,
                    Err(why) if attempt == ATTEMPTS => {
                        self.stats.add(&self.config.name, "gave_up");
                        tracing::warn!(
                            "alerts: notifier {} gave up on {} after {ATTEMPTS} attempts: {why}",
                            self.config.name,
                            job.notice.alertname()
                        );
                    }
                    Err(why) => {
                        tracing::info!(
                            "alerts: notifier {} attempt {attempt} failed ({why}); retrying in {backoff:?}",
                            self.config.name
                        );
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        }
    }

    fn send(&self, agent: &ureq::Agent, job: &Job) -> Result<(), String> {
        let notice = &job.notice;
        let (url, body, signature) = match &self.config.target {
            Target::Webhook { url, hmac_secret } => {
                let body = payload::webhook(notice, &self.config.name, &self.external_url).to_string();
                let signature = hmac_secret.as_ref().map(|secret| sign(secret, body.as_bytes()));
                (url.clone(), body, signature)
            }
            Target::Slack { url } => (url.clone(), payload::slack(notice).to_string(), None),
            Target::Discord { url } => (url.clone(), payload::discord(notice).to_string(), None),
            Target::Alertmanager { url } => {
                let base = url.trim_end_matches('/');
                let url =
                    if base.ends_with("/api/v2/alerts") { base.to_owned() } else { format!("{base}/api/v2/alerts") };
                (url, payload::alertmanager(notice, &job.until).to_string(), None)
            }
            Target::Command { argv } => {
                let body = payload::webhook(notice, &self.config.name, &self.external_url).to_string();
                return run_command(argv, body.as_bytes(), self.config.timeout);
            }
        };
        let mut request = agent.post(&url).header("Content-Type", "application/json");
        if let Some(signature) = &signature {
            request = request.header(SIGNATURE_HEADER, signature);
        }
        let mut response = request.send(body.as_bytes()).map_err(|err| err.to_string())?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            let text = response.body_mut().with_config().limit(512).read_to_string().unwrap_or_default();
            Err(format!("HTTP {status} {}", text.trim()))
        }
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Runs `argv` with `input` on stdin; kills it past `timeout`.
fn run_command(argv: &[String], input: &[u8], timeout: Duration) -> Result<(), String> {
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run {}: {err}", argv[0]))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that does not read its stdin is its own business.
        let _ = stdin.write_all(input);
    }
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut std::io::Read::take(&mut stderr, 512), &mut err);
                }
                return Err(format!("{} exited with {status}: {}", argv[0], err.trim()));
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} took longer than {timeout:?}; killed", argv[0]));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => return Err(format!("cannot wait for {}: {err}", argv[0])),
        }
    }
}

/// When a job was made, for its row.
pub fn now_iso() -> String {
    iso(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_http_or_https_and_a_host() {
        assert!(check_url("http://127.0.0.1:9/hook").is_ok());
        assert!(check_url("https://hooks.slack.com/services/x").is_ok());
        assert!(check_url("ftp://x/").unwrap_err().contains("\"ftp\" cannot be reached"));
        assert!(check_url("hooks.slack.com").is_err());
        assert!(check_url("http:///path").unwrap_err().contains("no host"));
    }

    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_command_gets_the_body_and_a_timeout() {
        assert!(run_command(&["sh".into(), "-c".into(), "grep -q firing".into()], b"\"firing\"", TIMEOUT).is_ok());
        let err = run_command(&["sh".into(), "-c".into(), "echo nope >&2; exit 3".into()], b"", TIMEOUT).unwrap_err();
        assert!(err.contains("nope"), "{err}");
        let err = run_command(&["sleep".into(), "5".into()], b"", Duration::from_millis(100)).unwrap_err();
        assert!(err.contains("killed"), "{err}");
    }
}
