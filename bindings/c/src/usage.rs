//! `kissmon_llm_usage`: one LLM call, converted to the core's `LlmUsage`.

use crate::boundary::Failure;
use crate::strings;
use kissmon_core::LlmUsage;
use std::ffi::c_char;

/// One LLM call for `kissmon_client_log_llm_usage`. Optional numbers have a
/// `has_` flag: a zero-initialised struct has none of them. Token counts are
/// signed so that a negative count is reported naming its field.
///
/// ```c
/// kissmon_llm_usage usage = {
///     .model = "gpt-4", .feature = "jokes", .tokens_in = 145, .tokens_out = 87,
///     .has_latency_ms = true, .latency_ms = 1850.0, .provider = "openai",
/// };
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct kissmon_llm_usage {
    /// The model called, NUL-terminated UTF-8, 1..=256 bytes. Required.
    pub model: *const c_char,
    /// The bot feature that made the call, 1..=128 bytes. Required.
    pub feature: *const c_char,
    /// Input tokens, 0..=2^53.
    pub tokens_in: i64,
    /// Output tokens, 0..=2^53.
    pub tokens_out: i64,
    /// Whether `latency_ms` is set.
    pub has_latency_ms: bool,
    /// Wall time of the call in milliseconds, finite and >= 0.
    pub latency_ms: f64,
    /// Who served the call ("openai", "anthropic", ...), 1..=64 bytes. NULL: absent.
    pub provider: *const c_char,
    /// Whether `cache_read_tokens` is set.
    pub has_cache_read_tokens: bool,
    /// Input tokens served from the provider's prompt cache, 0..=2^53.
    pub cache_read_tokens: i64,
    /// Whether `reasoning_tokens` is set.
    pub has_reasoning_tokens: bool,
    /// Output tokens spent on reasoning, 0..=2^53.
    pub reasoning_tokens: i64,
    /// Whether `cost_usd` is set.
    pub has_cost_usd: bool,
    /// What the call cost in US dollars, finite and >= 0.
    pub cost_usd: f64,
    /// Whether `ok` is set.
    pub has_ok: bool,
    /// Whether the call succeeded.
    pub ok: bool,
}

fn tokens(value: i64, argument: &'static str) -> Result<u64, Failure> {
    u64::try_from(value).map_err(|_| {
        Failure::out_of_range(
            argument,
            format!("must be an integer in 0..={}, got {value}", kissmon_core::wire::MAX_TOKENS),
        )
    })
}

/// The core's `LlmUsage` from the strings and the numbers of `fields`.
pub(crate) fn convert<'a>(
    model: &'a str,
    feature: &'a str,
    provider: Option<&'a str>,
    fields: &kissmon_llm_usage,
) -> Result<LlmUsage<'a>, Failure> {
    let mut usage =
        LlmUsage::new(model, feature, tokens(fields.tokens_in, "tokens_in")?, tokens(fields.tokens_out, "tokens_out")?);
    if fields.has_latency_ms {
        usage = usage.latency_ms(fields.latency_ms);
    }
    if let Some(provider) = provider {
        usage = usage.provider(provider);
    }
    if fields.has_cache_read_tokens {
        usage = usage.cache_read_tokens(tokens(fields.cache_read_tokens, "cache_read_tokens")?);
    }
    if fields.has_reasoning_tokens {
        usage = usage.reasoning_tokens(tokens(fields.reasoning_tokens, "reasoning_tokens")?);
    }
    if fields.has_cost_usd {
        usage = usage.cost_usd(fields.cost_usd);
    }
    if fields.has_ok {
        usage = usage.ok(fields.ok);
    }
    Ok(usage)
}

/// The strings of `fields` itself (the NUL-terminated form).
///
/// # Safety
/// The string pointers of `fields` are NULL or valid NUL-terminated strings.
pub(crate) unsafe fn from_struct(fields: &kissmon_llm_usage) -> Result<LlmUsage<'_>, Failure> {
    let model = strings::required(fields.model, "model")?;
    let feature = strings::required(fields.feature, "feature")?;
    let provider = strings::optional(fields.provider, "provider")?;
    convert(model, feature, provider, fields)
}
