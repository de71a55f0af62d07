//! Folding llm_usage: calls with one key become one line with `count` and
//! summed tokens and cost, so totals survive when calls cannot each be
//! kept. One rule, used by the client (a full queue) and by the monitor (a
//! writer that fell behind):
//!
//! - `count`, tokens and cost are summed; a sum never leaves the protocol's
//!   limits (a folded line every monitor would refuse loses all its calls),
//!   so a fold that would is refused and the caller starts a new line;
//! - latency is the mean over the calls that reported one, weighted by the
//!   calls each folded line stands for;
//! - `ts` is the latest.

use crate::wire::MAX_TOKENS;

/// What folding sums, for one line or an aggregate of many.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageSums {
    /// The calls these sums stand for.
    pub count: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cache_read_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
    /// Latency summed over the calls that reported one, and how many did.
    pub latency_sum_ms: f64,
    pub latency_calls: u64,
    /// Unix seconds of the latest call.
    pub ts: f64,
}

impl UsageSums {
    /// One line standing for `count` calls, with `latency_ms` their mean.
    #[allow(clippy::too_many_arguments)]
    pub fn of_line(
        count: u64,
        tokens_in: u64,
        tokens_out: u64,
        cache_read_tokens: Option<u64>,
        reasoning_tokens: Option<u64>,
        cost_usd: Option<f64>,
        latency_ms: Option<f64>,
        ts: f64,
    ) -> UsageSums {
        let (latency_sum_ms, latency_calls) = match latency_ms {
            Some(mean) => (mean * count as f64, count),
            None => (0.0, 0),
        };
        UsageSums {
            count,
            tokens_in,
            tokens_out,
            cache_read_tokens,
            reasoning_tokens,
            cost_usd,
            latency_sum_ms,
            latency_calls,
            ts,
        }
    }

    /// Whether `other` folds into these sums with every sum within the protocol's limits.
    pub fn fits(&self, other: &UsageSums) -> bool {
        let fits = |a: u64, b: u64| a.checked_add(b).is_some_and(|sum| sum <= MAX_TOKENS);
        let fits_opt = |a: Option<u64>, b: Option<u64>| fits(a.unwrap_or(0), b.unwrap_or(0));
        fits(self.count, other.count)
            && fits(self.tokens_in, other.tokens_in)
            && fits(self.tokens_out, other.tokens_out)
            && fits_opt(self.cache_read_tokens, other.cache_read_tokens)
            && fits_opt(self.reasoning_tokens, other.reasoning_tokens)
            && (self.cost_usd.unwrap_or(0.0) + other.cost_usd.unwrap_or(0.0)).is_finite()
    }

    /// Folds `other` in. Call only when [`fits`](Self::fits) says so.
    pub fn add(&mut self, other: &UsageSums) {
        debug_assert!(self.fits(other));
        let add_opt = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.count += other.count;
        self.tokens_in += other.tokens_in;
        self.tokens_out += other.tokens_out;
        self.cache_read_tokens = add_opt(self.cache_read_tokens, other.cache_read_tokens);
        self.reasoning_tokens = add_opt(self.reasoning_tokens, other.reasoning_tokens);
        self.cost_usd = match (self.cost_usd, other.cost_usd) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        self.latency_sum_ms += other.latency_sum_ms;
        self.latency_calls += other.latency_calls;
        self.ts = self.ts.max(other.ts);
    }

    /// The mean latency of the calls that reported one.
    pub fn latency_ms(&self) -> Option<f64> {
        (self.latency_calls > 0).then(|| self.latency_sum_ms / self.latency_calls as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_add_and_latency_is_weighted_by_calls() {
        let mut sums = UsageSums::of_line(1, 10, 1, None, Some(2), None, Some(100.0), 5.0);
        let folded = UsageSums::of_line(3, 30, 3, Some(4), None, Some(0.5), Some(200.0), 4.0);
        assert!(sums.fits(&folded));
        sums.add(&folded);
        assert_eq!((sums.count, sums.tokens_in, sums.tokens_out), (4, 40, 4));
        assert_eq!((sums.cache_read_tokens, sums.reasoning_tokens, sums.cost_usd), (Some(4), Some(2), Some(0.5)));
        assert_eq!(sums.latency_ms(), Some(175.0), "(100 + 3 x 200) / 4");
        assert_eq!(sums.ts, 5.0, "the latest");
        sums.add(&UsageSums::of_line(1, 0, 0, None, None, None, None, 6.0));
        assert_eq!(sums.latency_ms(), Some(175.0), "a call without latency leaves the mean alone");
    }

    #[test]
    fn a_fold_past_the_protocols_limits_is_refused() {
        let big = UsageSums::of_line(1, MAX_TOKENS, 0, None, None, None, None, 0.0);
        assert!(!big.fits(&UsageSums::of_line(1, 1, 0, None, None, None, None, 0.0)));
        let costly = UsageSums::of_line(1, 0, 0, None, None, Some(f64::MAX), None, 0.0);
        assert!(!costly.fits(&costly));
    }
}
