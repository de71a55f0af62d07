//! What a client holds between a call and the sender writing it: the
//! registration, at most one heartbeat, a bounded llm_usage queue that folds
//! into per-key aggregates when full, and a pending unregister.
//!
//! Everything here runs under the client's mutex and does no I/O.

use super::LlmUsage;
use crate::wire::MAX_TOKENS;
use std::collections::VecDeque;
use std::sync::Arc;

/// An llm_usage call waiting to be written.
#[derive(Debug, Clone)]
pub(crate) struct PendingUsage {
    pub(crate) usage: LlmUsage<'static>,
    pub(crate) ts: f64,
}

/// Several llm_usage calls with one (model, feature, provider, ok), folded
/// into one line: sums of tokens and cost, mean latency, the latest `ts`.
#[derive(Debug, Clone)]
pub(crate) struct Aggregate {
    pub(crate) first: LlmUsage<'static>,
    pub(crate) count: u64,
    pub(crate) latency_sum: f64,
    pub(crate) latency_n: u64,
    pub(crate) ts: f64,
}

impl Aggregate {
    fn new(usage: LlmUsage<'_>, ts: f64) -> Aggregate {
        let latency = usage.latency_ms;
        Aggregate {
            first: usage.into_owned(),
            count: 1,
            latency_sum: latency.unwrap_or(0.0),
            latency_n: latency.is_some() as u64,
            ts,
        }
    }

    /// Whether `usage` has this aggregate's key and fits in it: a folded
    /// line must stay within the protocol's limits, or every monitor would
    /// refuse it and all its calls with it.
    fn takes(&self, usage: &LlmUsage<'_>) -> bool {
        let first = &self.first;
        let same_key = first.model == usage.model
            && first.feature == usage.feature
            && first.provider == usage.provider
            && first.ok == usage.ok;
        let fits = |a: u64, b: u64| a.checked_add(b).is_some_and(|sum| sum <= MAX_TOKENS);
        let fits_opt = |a: Option<u64>, b: Option<u64>| fits(a.unwrap_or(0), b.unwrap_or(0));
        same_key
            && fits(self.count, 1)
            && fits(first.tokens_in, usage.tokens_in)
            && fits(first.tokens_out, usage.tokens_out)
            && fits_opt(first.cache_read_tokens, usage.cache_read_tokens)
            && fits_opt(first.reasoning_tokens, usage.reasoning_tokens)
            && (first.cost_usd.unwrap_or(0.0) + usage.cost_usd.unwrap_or(0.0)).is_finite()
    }

    fn fold(&mut self, add: &LlmUsage<'_>, ts: f64) {
        let sum = &mut self.first;
        // `takes` checked that every sum stays within the protocol's limits.
        sum.tokens_in += add.tokens_in;
        sum.tokens_out += add.tokens_out;
        sum.cache_read_tokens = add_opt(sum.cache_read_tokens, add.cache_read_tokens);
        sum.reasoning_tokens = add_opt(sum.reasoning_tokens, add.reasoning_tokens);
        sum.cost_usd = match (sum.cost_usd, add.cost_usd) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        if let Some(latency) = add.latency_ms {
            self.latency_sum += latency;
            self.latency_n += 1;
        }
        self.count += 1;
        self.ts = ts;
    }

    /// The folded line's fields.
    pub(crate) fn usage(&self) -> LlmUsage<'static> {
        let mut usage = self.first.clone();
        usage.latency_ms = (self.latency_n > 0).then(|| self.latency_sum / self.latency_n as f64);
        usage
    }
}

fn add_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingBeat {
    pub(crate) ts: f64,
    pub(crate) lag_ms: Option<f64>,
}

/// What happened to an accepted call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Queued,
    Coalesced,
    Dropped,
}

/// Everything waiting to be written, in the order it will be written.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// The encoded register line, when the current registration has not been
    /// written on the current connection yet.
    pub(crate) register: Option<Arc<[u8]>>,
    pub(crate) usage: VecDeque<PendingUsage>,
    pub(crate) aggregates: Vec<Aggregate>,
    pub(crate) heartbeat: Option<PendingBeat>,
    pub(crate) unregister: Option<Arc<[u8]>>,
}

impl Pending {
    pub(crate) fn is_empty(&self) -> bool {
        self.register.is_none()
            && self.usage.is_empty()
            && self.aggregates.is_empty()
            && self.heartbeat.is_none()
            && self.unregister.is_none()
    }

    /// How many lines writing all of this takes.
    pub(crate) fn lines(&self) -> u64 {
        (self.register.is_some() as u64)
            + self.usage.len() as u64
            + self.aggregates.len() as u64
            + (self.heartbeat.is_some() as u64)
            + (self.unregister.is_some() as u64)
    }

    /// At most one heartbeat waits: a newer one replaces its `ts` and keeps
    /// the larger lag, so a stall stays visible.
    pub(crate) fn push_heartbeat(&mut self, beat: PendingBeat) -> Outcome {
        match &mut self.heartbeat {
            Some(waiting) => {
                waiting.ts = beat.ts;
                waiting.lag_ms = match (waiting.lag_ms, beat.lag_ms) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                Outcome::Coalesced
            }
            None => {
                self.heartbeat = Some(beat);
                Outcome::Queued
            }
        }
    }

    /// Queues `pending` if the queue has room, else folds it into its
    /// aggregate, else (past `max_aggregates` keys) drops it.
    pub(crate) fn push_usage(
        &mut self,
        usage: LlmUsage<'_>,
        ts: f64,
        capacity: usize,
        max_aggregates: usize,
    ) -> Outcome {
        if self.usage.len() < capacity {
            self.usage.push_back(PendingUsage { usage: usage.into_owned(), ts });
            return Outcome::Queued;
        }
        if let Some(aggregate) = self.aggregates.iter_mut().find(|a| a.takes(&usage)) {
            aggregate.fold(&usage, ts);
            return Outcome::Coalesced;
        }
        if self.aggregates.len() < max_aggregates {
            self.aggregates.push(Aggregate::new(usage, ts));
            return Outcome::Queued;
        }
        Outcome::Dropped
    }

    /// Moves what is pending into `into` (which must be empty), keeping this
    /// side's allocations so the hot path does not reallocate. At most
    /// `max_usage` llm_usage calls move at once, so the sender stays
    /// responsive; the heartbeat always moves, so liveness never waits behind
    /// a backlog. Returns whether everything moved.
    pub(crate) fn take_into(&mut self, into: &mut Pending, max_usage: usize) -> bool {
        debug_assert!(into.is_empty());
        into.register = self.register.take();
        into.heartbeat = self.heartbeat.take();
        if self.usage.len() > max_usage {
            into.usage.extend(self.usage.drain(..max_usage));
            return false;
        }
        std::mem::swap(&mut self.usage, &mut into.usage);
        std::mem::swap(&mut self.aggregates, &mut into.aggregates);
        into.unregister = self.unregister.take();
        true
    }
}
