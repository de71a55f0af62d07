use crate::error::{Error, Result};
use crate::validate;
use std::borrow::Cow;

/// One LLM call to report with [`MonitorClient::log_llm_usage`](super::MonitorClient::log_llm_usage).
///
/// ```
/// let usage = kissmon::LlmUsage::new("gpt-4", "jokes", 145, 87)
///     .latency_ms(1850.0)
///     .provider("openai")
///     .cost_usd(0.0042);
/// ```
///
/// The strings may be borrowed (`&str`) or owned (`String`). A client copies
/// them only when the call is queued or starts a new aggregate; a call that
/// folds into an existing aggregate allocates nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmUsage<'a> {
    pub(crate) model: Cow<'a, str>,
    pub(crate) feature: Cow<'a, str>,
    pub(crate) tokens_in: u64,
    pub(crate) tokens_out: u64,
    pub(crate) latency_ms: Option<f64>,
    pub(crate) provider: Option<Cow<'a, str>>,
    pub(crate) cache_read_tokens: Option<u64>,
    pub(crate) reasoning_tokens: Option<u64>,
    pub(crate) cost_usd: Option<f64>,
    pub(crate) ok: Option<bool>,
}

impl<'a> LlmUsage<'a> {
    /// A call to `model` for `feature` that read `tokens_in` and wrote `tokens_out` tokens.
    pub fn new(
        model: impl Into<Cow<'a, str>>,
        feature: impl Into<Cow<'a, str>>,
        tokens_in: u64,
        tokens_out: u64,
    ) -> Self {
        LlmUsage {
            model: model.into(),
            feature: feature.into(),
            tokens_in,
            tokens_out,
            latency_ms: None,
            provider: None,
            cache_read_tokens: None,
            reasoning_tokens: None,
            cost_usd: None,
            ok: None,
        }
    }

    /// Wall time of the call in milliseconds.
    pub fn latency_ms(mut self, latency_ms: f64) -> Self {
        self.latency_ms = Some(latency_ms);
        self
    }

    /// Who served the call (`gen_ai.provider.name`: "openai", "anthropic", ...).
    pub fn provider(mut self, provider: impl Into<Cow<'a, str>>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Input tokens served from the provider's prompt cache.
    pub fn cache_read_tokens(mut self, tokens: u64) -> Self {
        self.cache_read_tokens = Some(tokens);
        self
    }

    /// Output tokens spent on reasoning.
    pub fn reasoning_tokens(mut self, tokens: u64) -> Self {
        self.reasoning_tokens = Some(tokens);
        self
    }

    /// What the call cost, in US dollars.
    pub fn cost_usd(mut self, cost_usd: f64) -> Self {
        self.cost_usd = Some(cost_usd);
        self
    }

    /// Whether the call succeeded.
    pub fn ok(mut self, ok: bool) -> Self {
        self.ok = Some(ok);
        self
    }

    /// The same call with its strings owned, to keep it past the caller's borrow.
    pub(crate) fn into_owned(self) -> LlmUsage<'static> {
        LlmUsage {
            model: Cow::Owned(self.model.into_owned()),
            feature: Cow::Owned(self.feature.into_owned()),
            provider: self.provider.map(|p| Cow::Owned(p.into_owned())),
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            latency_ms: self.latency_ms,
            cache_read_tokens: self.cache_read_tokens,
            reasoning_tokens: self.reasoning_tokens,
            cost_usd: self.cost_usd,
            ok: self.ok,
        }
    }

    /// Checks every field against the protocol's limits, naming the first bad one.
    pub(crate) fn validate(&self) -> Result<()> {
        let check = |argument, rule: validate::Rule| rule.map_err(|reason| Error::invalid(argument, reason));
        check("model", validate::model(&self.model))?;
        check("feature", validate::feature(&self.feature))?;
        check("tokens_in", validate::tokens(self.tokens_in))?;
        check("tokens_out", validate::tokens(self.tokens_out))?;
        if let Some(value) = self.latency_ms {
            check("latency_ms", validate::non_negative(value))?;
        }
        if let Some(value) = &self.provider {
            check("provider", validate::provider(value))?;
        }
        if let Some(value) = self.cache_read_tokens {
            check("cache_read_tokens", validate::tokens(value))?;
        }
        if let Some(value) = self.reasoning_tokens {
            check("reasoning_tokens", validate::tokens(value))?;
        }
        if let Some(value) = self.cost_usd {
            check("cost_usd", validate::non_negative(value))?;
        }
        Ok(())
    }
}
