//! /proc, read on a thread of its own, never on a reader or the state
//! worker: whether a bot's pid still runs (and is still the same process),
//! and its rss and cpu for `bot_metrics`.

use crate::counters::{Counter, Counters};
use crate::error::{Context, Result};
use crate::store::{MetricRow, Store};
use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};
use tokio::sync::mpsc::UnboundedSender;

/// What /proc says about one pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// The state letter: `R`, `S`, `Z` (exited, not reaped), ...
    pub state: u8,
    /// User plus system cpu time, in clock ticks.
    pub cpu_ticks: u64,
    /// When the process started, in clock ticks after boot: with the pid, it names one process.
    pub start: u64,
}

impl ProcStat {
    pub fn exited(&self) -> bool {
        matches!(self.state, b'Z' | b'X' | b'x')
    }
}

/// `/proc/<pid>/stat`, or `None` when no such process is visible here.
pub fn stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The fields after the command name, which may itself hold spaces and parentheses.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // `rest` starts at field 3 (state); utime, stime and starttime are fields 14, 15 and 22.
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(ProcStat {
        state: *fields.first()?.as_bytes().first()?,
        cpu_ticks: field(14)? + field(15)?,
        start: field(22)?,
    })
}

/// Resident memory of `pid` in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = text.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// VmRSS of this process, in KiB.
pub fn self_rss_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_ascii_whitespace().nth(1)?.parse().ok()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

fn uptime_secs() -> Option<f64> {
    std::fs::read_to_string("/proc/uptime").ok()?.split_ascii_whitespace().next()?.parse().ok()
}

/// A bot the state worker wants looked at.
#[derive(Debug, Clone)]
pub struct Target {
    pub channel: String,
    pub pid: u32,
    /// The start time seen before, when the pid is known to be local.
    pub start: Option<u64>,
    pub features_json: String,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub targets: Vec<Target>,
    pub sample_metrics: bool,
}

/// What the prober found, sent back to the state worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The pid runs here; `start` names the process. `sample`: (rss MiB, cpu %) when metrics were sampled.
    Alive { channel: String, pid: u32, start: u64, sample: Option<(f64, f64)> },
    /// The pid cannot be seen here (absent, exited, or another process since).
    Gone { channel: String, pid: u32, why: String },
}

/// Starts the prober thread. Requests that arrive while it is busy are
/// refused by `try_send` (the next check asks again); it stops when the
/// request sender is dropped.
pub fn spawn(
    store: Store,
    counters: std::sync::Arc<Counters>,
    findings: UnboundedSender<Vec<Finding>>,
) -> Result<(SyncSender<Request>, JoinHandle<()>)> {
    let (requests, receiver) = sync_channel::<Request>(1);
    let thread = std::thread::Builder::new()
        .name("kissmon-prober".into())
        .spawn(move || run(&receiver, &store, &counters, &findings))
        .context(|| "cannot start the /proc prober thread".into())?;
    Ok((requests, thread))
}

fn run(requests: &Receiver<Request>, store: &Store, counters: &Counters, findings: &UnboundedSender<Vec<Finding>>) {
    let mut cpu = CpuSampler::default();
    let ticks = clock_ticks();
    for request in requests {
        if let Some(kib) = self_rss_kib() {
            counters.set(Counter::monitor_rss_kib, kib);
        }
        let mut found = Vec::with_capacity(request.targets.len());
        let mut metrics = Vec::new();
        let now = SystemTime::now();
        // Several bots may share a process: read each pid once per request.
        let mut seen_pids: HashMap<u32, Looked> = HashMap::new();
        for target in request.targets {
            let Target { channel, pid, start, features_json } = target;
            let (seen, sample) = *seen_pids.entry(pid).or_insert_with(|| {
                let seen = stat(pid);
                let sample = match seen {
                    Some(seen) if request.sample_metrics && !seen.exited() => {
                        rss_bytes(pid).map(|rss| (rss, cpu.sample(pid, seen, ticks)))
                    }
                    _ => None,
                };
                (seen, sample)
            });
            let finding = match (seen, start) {
                (None, _) => Finding::Gone { channel, pid, why: format!("pid {pid} no longer exists") },
                (Some(seen), _) if seen.exited() => {
                    Finding::Gone { channel, pid, why: format!("pid {pid} has exited (zombie)") }
                }
                (Some(seen), Some(start)) if seen.start != start => {
                    Finding::Gone { channel, pid, why: format!("pid {pid} exited and now belongs to another process") }
                }
                (Some(seen), _) => {
                    let sample = sample.map(|(rss, cpu_pct)| (rss as f64 / (1024.0 * 1024.0), cpu_pct));
                    if let Some((rss_mb, cpu_pct)) = sample {
                        metrics.push(MetricRow {
                            at: now,
                            channel: channel.clone(),
                            pid,
                            rss_mb,
                            cpu_pct,
                            features_json,
                        });
                    }
                    Finding::Alive { channel, pid, start: seen.start, sample }
                }
            };
            found.push(finding);
        }
        if request.sample_metrics {
            cpu.forget_older_than(Instant::now() - std::time::Duration::from_secs(3600));
            store.push_metrics(metrics);
        }
        if findings.send(found).is_err() {
            return;
        }
    }
}

/// One pid's /proc stat, and its (rss bytes, cpu_pct) when sampled.
type Looked = (Option<ProcStat>, Option<(u64, f64)>);

/// cpu_pct between two samples of one process; the first sample of a
/// process gives its average over its lifetime so far.
#[derive(Default)]
struct CpuSampler {
    last: HashMap<(u32, u64), (u64, Instant)>,
}

impl CpuSampler {
    fn sample(&mut self, pid: u32, seen: ProcStat, ticks: f64) -> f64 {
        let now = Instant::now();
        let pct = match self.last.get(&(pid, seen.start)) {
            Some(&(cpu, at)) => {
                let wall = now.duration_since(at).as_secs_f64();
                if wall > 0.0 {
                    seen.cpu_ticks.saturating_sub(cpu) as f64 / ticks / wall * 100.0
                } else {
                    0.0
                }
            }
            None => match uptime_secs() {
                Some(uptime) if uptime > seen.start as f64 / ticks => {
                    seen.cpu_ticks as f64 / ticks / (uptime - seen.start as f64 / ticks) * 100.0
                }
                _ => 0.0,
            },
        };
        self.last.insert((pid, seen.start), (seen.cpu_ticks, now));
        pct
    }

    fn forget_older_than(&mut self, cutoff: Instant) {
        self.last.retain(|_, (_, at)| *at >= cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_command_name_holding_spaces_and_parens() {
        let text = "4242 (my (odd) bot) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 123456 1000 50";
        assert_eq!(parse_stat(text), Some(ProcStat { state: b'S', cpu_ticks: 10, start: 123456 }));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn sees_this_process() {
        let me = stat(std::process::id()).expect("this process is in /proc");
        assert!(!me.exited());
        assert!(rss_bytes(std::process::id()).unwrap() > 0);
        assert!(self_rss_kib().unwrap() > 0);
    }
}
