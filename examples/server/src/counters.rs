//! The monitor's counters: what it accepted, skipped, folded and shed. The
//! state worker writes a snapshot to the `monitor_counters` table every
//! status flush, so `kissmon-server status` shows them.

use kissmon::ErrorClass;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($name:ident),* $(,)?) => {
        /// One counter of [`Counters`]; its snake_case name is the row name in `monitor_counters`.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Counter { $($name),* }

        impl Counter {
            pub const ALL: &'static [Counter] = &[$(Counter::$name),*];

            pub fn name(self) -> &'static str {
                match self { $(Counter::$name => stringify!($name)),* }
            }
        }
    };
}

counters! {
    connections_accepted,
    connections_open,
    connections_shed,
    lines_register,
    lines_heartbeat,
    lines_unregister,
    lines_llm_usage,
    lines_blank,
    bad_line_too_long,
    bad_invalid_utf8,
    bad_invalid_json,
    bad_not_object,
    bad_unknown_type,
    bad_missing_field,
    bad_invalid_field,
    peer_mismatch_flagged,
    peer_mismatch_rejected,
    lines_shed_overload,
    unregister_ignored,
    transitions,
    usage_rows_written,
    usage_calls_written,
    usage_folded,
    usage_shed,
    usage_duplicates,
    usage_refused,
    usage_acks_pruned,
    acks_written,
    status_rows_written,
    metrics_rows_written,
    metrics_rows_deleted,
    metrics_shed,
    transitions_shed,
    alert_rows_shed,
    storage_errors,
    storage_rows_lost,
    monitor_rss_kib,
    otlp_exports,
    otlp_export_failures,
    otlp_exports_deferred,
}

impl Counter {
    /// The counter of lines rejected for `class`.
    pub fn bad_line(class: ErrorClass) -> Counter {
        match class {
            ErrorClass::LineTooLong => Counter::bad_line_too_long,
            ErrorClass::InvalidUtf8 => Counter::bad_invalid_utf8,
            ErrorClass::InvalidJson => Counter::bad_invalid_json,
            ErrorClass::NotObject => Counter::bad_not_object,
            ErrorClass::UnknownType => Counter::bad_unknown_type,
            ErrorClass::MissingField => Counter::bad_missing_field,
            ErrorClass::InvalidField => Counter::bad_invalid_field,
        }
    }
}

/// Shared by every task and thread of one monitor. Hot paths add their
/// tallies once per read, not once per line.
#[derive(Debug)]
pub struct Counters {
    values: Vec<AtomicU64>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters { values: Counter::ALL.iter().map(|_| AtomicU64::new(0)).collect() }
    }
}

impl Counters {
    pub fn add(&self, counter: Counter, n: u64) {
        if n != 0 {
            self.values[counter as usize].fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn sub(&self, counter: Counter, n: u64) {
        self.values[counter as usize].fetch_sub(n, Ordering::Relaxed);
    }

    pub fn set(&self, counter: Counter, n: u64) {
        self.values[counter as usize].store(n, Ordering::Relaxed);
    }

    pub fn get(&self, counter: Counter) -> u64 {
        self.values[counter as usize].load(Ordering::Relaxed)
    }

    /// Every counter with its name, in declaration order.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        Counter::ALL.iter().map(|&c| (c.name(), self.get(c))).collect()
    }
}

/// Counts gathered by one reader over one read, added to [`Counters`] at once.
#[derive(Debug, Default)]
pub struct Tally {
    values: Vec<(Counter, u64)>,
}

impl Tally {
    pub fn add(&mut self, counter: Counter, n: u64) {
        match self.values.iter_mut().find(|(c, _)| *c == counter) {
            Some((_, value)) => *value += n,
            None => self.values.push((counter, n)),
        }
    }

    pub fn get(&self, counter: Counter) -> u64 {
        self.values.iter().find(|(c, _)| *c == counter).map_or(0, |(_, n)| *n)
    }

    pub fn drain_into(&mut self, counters: &Counters) {
        for (counter, n) in self.values.drain(..) {
            counters.add(counter, n);
        }
    }
}
