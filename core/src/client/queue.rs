//! What a client holds between a call and the sender writing it: the
//! registration, at most one heartbeat, a bounded llm_usage queue that folds
//! into per-key aggregates when full, and a pending unregister.
//!
//! Everything here runs under the client's mutex and does no I/O.

use super::LlmUsage;
use crate::fold::UsageSums;
use std::collections::VecDeque;
use std::sync::Arc;

/// Most distinct model, feature and provider names a client keeps in its
/// name table; a queued call whose name is not in the full table copies it.
const MAX_NAMES: usize = 64;

/// A name of a queued call: its index in the client's name table, or a copy.
/// Names come from a small set (models, features, providers), so a queued
/// call normally allocates nothing and shares no reference count with the
/// sender, which keeps a mirror of the table.
#[derive(Debug, Clone)]
pub(crate) enum Name {
    Known(u16),
    Copied(Box<str>),
}

/// The names queued calls refer to. It only grows (up to [`MAX_NAMES`]), so
/// a mirror stays valid once it has copied the entries it lacks.
#[derive(Debug, Default)]
pub(crate) struct Names(Vec<Arc<str>>);

impl Names {
    fn name(&mut self, text: &str) -> Name {
        if let Some(index) = self.0.iter().position(|known| **known == *text) {
            return Name::Known(index as u16);
        }
        if self.0.len() < MAX_NAMES {
            self.0.push(text.into());
            return Name::Known((self.0.len() - 1) as u16);
        }
        Name::Copied(text.into())
    }

    pub(crate) fn get<'a>(&'a self, name: &'a Name) -> &'a str {
        match name {
            Name::Known(index) => &self.0[usize::from(*index)],
            Name::Copied(text) => text,
        }
    }

    /// Copies into `mirror` the entries it lacks.
    pub(crate) fn update(&self, mirror: &mut Names) {
        if mirror.0.len() < self.0.len() {
            mirror.0.extend(self.0[mirror.0.len()..].iter().cloned());
        }
    }
}

/// An llm_usage call waiting to be written: its names in the client's
/// [`Names`], its numbers as given.
#[derive(Debug, Clone)]
pub(crate) struct PendingUsage {
    model: Name,
    feature: Name,
    provider: Option<Name>,
    /// The call's numbers; its names here are empty.
    numbers: LlmUsage<'static>,
    pub(crate) ts: f64,
}

impl PendingUsage {
    fn new(usage: LlmUsage<'_>, ts: f64, names: &mut Names) -> PendingUsage {
        PendingUsage {
            model: names.name(&usage.model),
            feature: names.name(&usage.feature),
            provider: usage.provider.as_deref().map(|provider| names.name(provider)),
            numbers: LlmUsage {
                model: "".into(),
                feature: "".into(),
                provider: None,
                tokens_in: usage.tokens_in,
                tokens_out: usage.tokens_out,
                latency_ms: usage.latency_ms,
                cache_read_tokens: usage.cache_read_tokens,
                reasoning_tokens: usage.reasoning_tokens,
                cost_usd: usage.cost_usd,
                ok: usage.ok,
            },
            ts,
        }
    }

    /// The call, with its names looked up in `names` (the client's table or a mirror of it).
    pub(crate) fn usage<'a>(&'a self, names: &'a Names) -> LlmUsage<'a> {
        LlmUsage {
            model: names.get(&self.model).into(),
            feature: names.get(&self.feature).into(),
            provider: self.provider.as_ref().map(|provider| names.get(provider).into()),
            ..self.numbers.clone()
        }
    }
}

/// Several llm_usage calls with one (model, feature, provider, ok), folded
/// into one line by the crate's one rule ([`crate::fold`]).
#[derive(Debug, Clone)]
pub(crate) struct Aggregate {
    /// The first call: its key, and its fields a folded line does not sum.
    pub(crate) first: LlmUsage<'static>,
    pub(crate) sums: UsageSums,
}

fn sums_of(usage: &LlmUsage<'_>, ts: f64) -> UsageSums {
    UsageSums::of_line(
        1,
        usage.tokens_in,
        usage.tokens_out,
        usage.cache_read_tokens,
        usage.reasoning_tokens,
        usage.cost_usd,
        usage.latency_ms,
        ts,
    )
}

impl Aggregate {
    fn new(usage: LlmUsage<'_>, ts: f64) -> Aggregate {
        let sums = sums_of(&usage, ts);
        Aggregate { first: usage.into_owned(), sums }
    }

    /// Whether `usage` has this aggregate's key and fits in it.
    fn takes(&self, usage: &LlmUsage<'_>, ts: f64) -> bool {
        let first = &self.first;
        first.model == usage.model
            && first.feature == usage.feature
            && first.provider == usage.provider
            && first.ok == usage.ok
            && self.sums.fits(&sums_of(usage, ts))
    }

    pub(crate) fn count(&self) -> u64 {
        self.sums.count
    }

    pub(crate) fn ts(&self) -> f64 {
        self.sums.ts
    }

    /// The folded line's fields.
    pub(crate) fn usage(&self) -> LlmUsage<'static> {
        let sums = &self.sums;
        LlmUsage {
            tokens_in: sums.tokens_in,
            tokens_out: sums.tokens_out,
            cache_read_tokens: sums.cache_read_tokens,
            reasoning_tokens: sums.reasoning_tokens,
            cost_usd: sums.cost_usd,
            latency_ms: sums.latency_ms(),
            ..self.first.clone()
        }
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
    /// The names queued calls refer to; not taken with them.
    pub(crate) names: Names,
}

impl Pending {
    pub(crate) fn is_empty(&self) -> bool {
        self.register.is_none()
            && self.usage.is_empty()
            && self.aggregates.is_empty()
            && self.heartbeat.is_none()
            && self.unregister.is_none()
    }

    /// Whether the sender may take something now, when `room` more
    /// llm_usage lines fit in the window of unacknowledged lines: control
    /// lines always go; llm_usage only with room; the unregister follows
    /// the last llm_usage line.
    pub(crate) fn sendable(&self, room: usize) -> bool {
        let usage_waits = !self.usage.is_empty() || !self.aggregates.is_empty();
        self.register.is_some()
            || self.heartbeat.is_some()
            || (usage_waits && room > 0)
            || (self.unregister.is_some() && !usage_waits)
    }

    /// How many lines writing all of this takes.
    pub(crate) fn lines(&self) -> u64 {
        (self.register.is_some() as u64)
            + self.usage.len() as u64
            + self.aggregates.len() as u64
            + (self.heartbeat.is_some() as u64)
            + (self.unregister.is_some() as u64)
    }

    /// Forgets everything pending. The name table stays: the sender's mirror
    /// of it must remain a prefix of it.
    pub(crate) fn discard(&mut self) {
        *self = Pending { names: std::mem::take(&mut self.names), ..Pending::default() };
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
            let pending = PendingUsage::new(usage, ts, &mut self.names);
            self.usage.push_back(pending);
            return Outcome::Queued;
        }
        if let Some(aggregate) = self.aggregates.iter_mut().find(|a| a.takes(&usage, ts)) {
            aggregate.sums.add(&sums_of(&usage, ts));
            return Outcome::Coalesced;
        }
        if self.aggregates.len() < max_aggregates {
            self.aggregates.push(Aggregate::new(usage, ts));
            return Outcome::Queued;
        }
        Outcome::Dropped
    }

    /// Moves what is pending into `into` (which must be empty, and whose name
    /// table mirrors this one's), keeping this side's allocations so the hot
    /// path does not reallocate. At most
    /// `max_usage` llm_usage lines (calls and aggregates) move at once, so the sender stays
    /// responsive; the heartbeat always moves, so liveness never waits behind
    /// a backlog. Returns whether everything moved.
    pub(crate) fn take_into(&mut self, into: &mut Pending, max_usage: usize) -> bool {
        debug_assert!(into.is_empty());
        into.register = self.register.take();
        into.heartbeat = self.heartbeat.take();
        self.names.update(&mut into.names);
        if self.usage.len() > max_usage {
            into.usage.extend(self.usage.drain(..max_usage));
            return false;
        }
        std::mem::swap(&mut self.usage, &mut into.usage);
        let room = max_usage - into.usage.len();
        if self.aggregates.len() > room {
            into.aggregates.extend(self.aggregates.drain(..room));
            return false;
        }
        std::mem::swap(&mut self.aggregates, &mut into.aggregates);
        into.unregister = self.unregister.take();
        true
    }
}
