package io.kissmon

import io.kissmon.ffi.NativeUsage

/**
 * One LLM call to report with [MonitorClient.logLlmUsage]: `model` served
 * `feature`, reading [tokensIn] and writing [tokensOut] tokens. The optional
 * fields are left out of the line when null.
 *
 * From Java: `new LlmUsage("gpt-4", "jokes", 145, 87)`, or the builder-style
 * `.withLatencyMs(1850.0).withProvider("openai")` copies.
 */
data class LlmUsage @JvmOverloads constructor(
    val model: String,
    val feature: String,
    val tokensIn: Long,
    val tokensOut: Long,
    /** Wall time of the call in milliseconds. */
    val latencyMs: Double? = null,
    /** Who served the call (`openai`, `anthropic`, ...). */
    val provider: String? = null,
    /** Input tokens served from the provider's prompt cache. */
    val cacheReadTokens: Long? = null,
    /** Output tokens spent on reasoning. */
    val reasoningTokens: Long? = null,
    /** What the call cost, in US dollars. */
    val costUsd: Double? = null,
    /** Whether the call succeeded. */
    val ok: Boolean? = null,
) {
    fun withLatencyMs(latencyMs: Double) = copy(latencyMs = latencyMs)
    fun withProvider(provider: String) = copy(provider = provider)
    fun withCacheReadTokens(tokens: Long) = copy(cacheReadTokens = tokens)
    fun withReasoningTokens(tokens: Long) = copy(reasoningTokens = tokens)
    fun withCostUsd(costUsd: Double) = copy(costUsd = costUsd)
    fun withOk(ok: Boolean) = copy(ok = ok)

    internal fun toNative() = NativeUsage(
        model, feature, tokensIn, tokensOut, latencyMs, provider, cacheReadTokens, reasoningTokens, costUsd, ok,
    )
}

/** The bits of the native `logLlmUsageIds` call's `present` argument, read once from the library. */
internal object Present {
    private val bits = run {
        NativeLibrary.load()
        io.kissmon.ffi.Kissmon.presentBits()
    }

    @JvmField val LATENCY_MS: Int = bits.latencyMs()

    @JvmField val CACHE_READ_TOKENS: Int = bits.cacheReadTokens()

    @JvmField val REASONING_TOKENS: Int = bits.reasoningTokens()

    @JvmField val COST_USD: Int = bits.costUsd()

    @JvmField val OK: Int = bits.ok()

    @JvmField val OK_TRUE: Int = bits.okTrue()
}
