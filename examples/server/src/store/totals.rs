//! Running totals of everything in `llm_usage`, for /metrics: computed from
//! the table once at start, then advanced by the writer after each commit,
//! so they are the database's totals and never count a row that was lost.

use super::rows::UsageRow;
use rusqlite::Connection;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Upper bounds, in seconds, of the LLM latency histogram: OpenTelemetry's
/// advice for `gen_ai.client.operation.duration`.
pub const LATENCY_BUCKETS_S: [f64; 14] =
    [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/// One series of the usage counters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageSeries {
    pub channel: String,
    pub model: String,
    pub feature: String,
    /// Empty when the bot did not say.
    pub provider: String,
    pub ok: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageSums {
    pub calls: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cache_read_tokens: u64,
    pub reasoning_tokens: u64,
    pub cost_usd: f64,
}

impl UsageSums {
    /// Adds one stored row (an aggregate counts its `count` calls).
    fn add(&mut self, row: &UsageRow) {
        self.calls += row.count;
        self.tokens_in += row.tokens_in;
        self.tokens_out += row.tokens_out;
        self.cache_read_tokens += row.cache_read_tokens.unwrap_or(0);
        self.reasoning_tokens += row.reasoning_tokens.unwrap_or(0);
        self.cost_usd += row.cost_usd.unwrap_or(0.0);
    }
}

/// Latency of the calls of one (model, provider): counts per bucket (not
/// cumulative; the last slot is +Inf), and the sum in seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Latency {
    pub buckets: [u64; LATENCY_BUCKETS_S.len() + 1],
    pub sum_s: f64,
}

impl Latency {
    pub(crate) fn observe(&mut self, seconds: f64, calls: u64) {
        let slot = LATENCY_BUCKETS_S.iter().position(|&bound| seconds <= bound).unwrap_or(LATENCY_BUCKETS_S.len());
        self.buckets[slot] += calls;
        self.sum_s += seconds * calls as f64;
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

#[derive(Debug, Default, Clone)]
pub struct Totals {
    pub usage: HashMap<UsageSeries, UsageSums>,
    /// By (model, provider).
    pub latency: HashMap<(String, String), Latency>,
    /// What was added since the last [`UsageTotals::take_growth`], by
    /// (channel, model, feature, provider) over `ok`; None until someone asks
    /// (the live events' pump), so a monitor without it keeps nothing here.
    growth: Option<HashMap<GrowthKey, UsageSums>>,
}

/// (channel, model, feature, provider).
pub type GrowthKey = (String, String, String, String);

/// Sees every llm_usage row the writer committed, right after the commit (the OTLP exporter).
pub type Observer = Box<dyn Fn(&[UsageRow]) + Send + Sync>;

#[derive(Default)]
pub struct UsageTotals {
    totals: Mutex<Totals>,
    observer: std::sync::OnceLock<Observer>,
}

impl std::fmt::Debug for UsageTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageTotals").finish_non_exhaustive()
    }
}

impl From<Totals> for UsageTotals {
    fn from(totals: Totals) -> UsageTotals {
        UsageTotals { totals: Mutex::new(totals), observer: std::sync::OnceLock::new() }
    }
}

impl UsageTotals {
    pub fn lock(&self) -> MutexGuard<'_, Totals> {
        self.totals.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets the one observer of committed rows; a second is refused.
    pub fn observe(&self, observer: Observer) -> bool {
        self.observer.set(observer).is_ok()
    }

    /// From now on, keeps what is added until [`UsageTotals::take_growth`] takes it.
    pub fn track_growth(&self) {
        self.lock().growth.get_or_insert_with(HashMap::new);
    }

    /// What was committed since the previous call (or since [`UsageTotals::track_growth`]):
    /// only the series that grew, not the whole table. It used to be the
    /// difference of two full copies of the totals, made every second: with
    /// 10,000 series that was 40,000 strings and two maps of megabytes a
    /// second for about 1,000 series that changed.
    pub fn take_growth(&self) -> HashMap<GrowthKey, UsageSums> {
        let mut totals = self.lock();
        totals.growth.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Adds rows that were just committed.
    pub fn add(&self, rows: &[UsageRow]) {
        if let Some(observer) = self.observer.get() {
            observer(rows);
        }
        let mut totals = self.lock();
        if let Some(growth) = totals.growth.as_mut() {
            for row in rows {
                let key = (
                    row.channel.clone(),
                    row.model.clone(),
                    row.feature.clone(),
                    row.provider.clone().unwrap_or_default(),
                );
                growth.entry(key).or_default().add(row);
            }
        }
        for row in rows {
            let series = UsageSeries {
                channel: row.channel.clone(),
                model: row.model.clone(),
                feature: row.feature.clone(),
                provider: row.provider.clone().unwrap_or_default(),
                ok: row.ok,
            };
            totals.usage.entry(series).or_default().add(row);
            if let Some(ms) = row.latency_ms {
                let key = (row.model.clone(), row.provider.clone().unwrap_or_default());
                totals.latency.entry(key).or_default().observe(ms / 1000.0, row.count);
            }
        }
    }

    /// The totals of every row already in the database.
    pub fn load(conn: &Connection) -> rusqlite::Result<UsageTotals> {
        let mut totals = Totals::default();
        let mut statement = conn.prepare(
            "SELECT channel, model, feature, COALESCE(provider, ''), ok, SUM(count), SUM(tokens_in), SUM(tokens_out),
                    COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(reasoning_tokens), 0), COALESCE(SUM(cost_usd), 0)
             FROM llm_usage GROUP BY 1, 2, 3, 4, 5",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let series = UsageSeries {
                channel: row.get(0)?,
                model: row.get(1)?,
                feature: row.get(2)?,
                provider: row.get(3)?,
                ok: row.get(4)?,
            };
            let count = |i: usize| row.get::<_, i64>(i).map(|v| v.max(0) as u64);
            let sums = UsageSums {
                calls: count(5)?,
                tokens_in: count(6)?,
                tokens_out: count(7)?,
                cache_read_tokens: count(8)?,
                reasoning_tokens: count(9)?,
                cost_usd: row.get(10)?,
            };
            totals.usage.insert(series, sums);
        }
        // One row per (model, provider, bucket): the bucket is found in SQL.
        let mut slot = String::from("CASE");
        for (i, bound) in LATENCY_BUCKETS_S.iter().enumerate() {
            slot.push_str(&format!(" WHEN latency_ms <= {} THEN {i}", bound * 1000.0));
        }
        slot.push_str(&format!(" ELSE {} END", LATENCY_BUCKETS_S.len()));
        let mut statement = conn.prepare(&format!(
            "SELECT model, COALESCE(provider, ''), {slot}, SUM(count), SUM(latency_ms * count) / 1000.0
             FROM llm_usage WHERE latency_ms IS NOT NULL GROUP BY 1, 2, 3"
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let latency = totals.latency.entry((row.get(0)?, row.get(1)?)).or_default();
            let slot: usize = row.get::<_, i64>(2)?.clamp(0, LATENCY_BUCKETS_S.len() as i64) as usize;
            latency.buckets[slot] += row.get::<_, i64>(3)?.max(0) as u64;
            latency.sum_s += row.get::<_, f64>(4)?;
        }
        Ok(UsageTotals::from(totals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_lands_in_the_first_bucket_that_holds_it() {
        let mut latency = Latency::default();
        latency.observe(0.01, 1);
        latency.observe(0.011, 2);
        latency.observe(100.0, 3);
        assert_eq!(latency.buckets[0], 1);
        assert_eq!(latency.buckets[1], 2);
        assert_eq!(latency.buckets[LATENCY_BUCKETS_S.len()], 3);
        assert_eq!(latency.count(), 6);
    }

    fn row(channel: &str, ok: Option<bool>, count: u64, tokens_in: u64) -> UsageRow {
        UsageRow {
            ts: 0.0,
            channel: channel.into(),
            model: "m".into(),
            feature: "f".into(),
            tokens_in,
            tokens_out: 1,
            latency_ms: None,
            pid: None,
            instance: None,
            provider: None,
            cache_read_tokens: None,
            reasoning_tokens: None,
            cost_usd: Some(0.5),
            ok,
            count,
            peer_mismatch: false,
            seq: None,
        }
    }

    #[test]
    fn growth_is_what_was_added_since_it_was_last_taken() {
        let totals = UsageTotals::default();
        totals.add(&[row("before", None, 1, 1)]);
        assert!(totals.take_growth().is_empty(), "nothing is kept until someone asks");
        totals.track_growth();
        // ok and not ok land in one series of the growth, as in the events' rows.
        totals.add(&[row("a", Some(true), 2, 10), row("a", Some(false), 1, 5), row("b", None, 1, 7)]);
        let growth = totals.take_growth();
        let key = |channel: &str| (channel.to_owned(), "m".to_owned(), "f".to_owned(), String::new());
        assert_eq!(growth.len(), 2);
        assert_eq!((growth[&key("a")].calls, growth[&key("a")].tokens_in, growth[&key("a")].tokens_out), (3, 15, 2));
        assert_eq!(growth[&key("a")].cost_usd, 1.0);
        assert_eq!(growth[&key("b")].calls, 1);
        assert!(totals.take_growth().is_empty(), "taking it empties it");
        totals.add(&[row("b", None, 4, 1)]);
        assert_eq!(totals.take_growth()[&key("b")].calls, 4);
        // The totals themselves still hold everything.
        assert_eq!(totals.lock().usage.values().map(|sums| sums.calls).sum::<u64>(), 1 + 3 + 1 + 4);
    }
}
