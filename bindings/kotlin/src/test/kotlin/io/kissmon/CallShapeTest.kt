package io.kissmon

import com.google.gson.JsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * logLlmUsage sends names as ids of the client's native table (bounded at
 * 4096 names) and numbers as primitives, or the whole call as a record for a
 * name without an id. Every line must carry exactly its call, either way.
 */
class CallShapeTest {
    /** Call [i], with every optional field set or left out by turns. */
    private fun call(i: Int, model: String, feature: String, provider: String?) = LlmUsage(
        model, feature, tokensIn = i.toLong(), tokensOut = 2L * i + 1,
        latencyMs = if (i % 2 == 0) i + 0.5 else null,
        provider = provider,
        cacheReadTokens = if (i % 3 == 0) 7L * i else null,
        reasoningTokens = if (i % 5 == 0) 11L * i else null,
        costUsd = if (i % 4 == 0) i / 1000.0 else null,
        ok = when (i % 3) {
            0 -> true
            1 -> false
            else -> null
        },
    )

    private fun assertCarries(call: LlmUsage, line: JsonObject) {
        val what = "$call -> $line"
        assertEquals("llm_usage", line["type"].asString, what)
        assertEquals(call.model, line["model"].asString, what)
        assertEquals(call.feature, line["feature"].asString, what)
        assertEquals(call.provider, line["provider"]?.asString, what)
        assertEquals(call.tokensIn, line["tokens_in"].asLong, what)
        assertEquals(call.tokensOut, line["tokens_out"].asLong, what)
        assertEquals(call.latencyMs, line["latency_ms"]?.asDouble, what)
        assertEquals(call.cacheReadTokens, line["cache_read_tokens"]?.asLong, what)
        assertEquals(call.reasoningTokens, line["reasoning_tokens"]?.asLong, what)
        assertEquals(call.costUsd, line["cost_usd"]?.asDouble, what)
        assertEquals(call.ok, line["ok"]?.asBoolean, what)
        assertFalse(line.has("count"), "not folded: $what")
    }

    @Test
    fun `every line carries its call's names and numbers, through ids and past the table's bound`() {
        TestMonitor.reading().use { monitor ->
            MonitorClient("names", socketPath = monitor.socket, queueCapacity = 10_000).use { client ->
                // 3 new names per call: the table (4096 names) is full from call 1365 on.
                val calls = (0 until 1500).map { i -> call(i, "model-$i", "feature-$i", "provider-$i") }.toMutableList()
                // Names seen before, as other String instances, mixed with names that got no id.
                calls += (0 until 500).map { j ->
                    val i = 1500 + j
                    val old = (j * 7) % 1500
                    call(i, StringBuilder("model-").append(old).toString(), "feature-${(j * 3) % 1500}", if (j % 2 == 0) null else "provider-$old")
                }
                calls += call(2000, "m".repeat(256), "f".repeat(128), "p".repeat(64)) // the longest names the core takes
                calls.forEach(client::logLlmUsage)
                assertTrue(client.flush(TestMonitor.WAIT), client.stats().toString())
                val lines = monitor.awaitLines(calls.size).map(TestMonitor::parse)
                assertEquals(calls.size, lines.size)
                calls.zip(lines).forEach { (call, line) -> assertCarries(call, line) }
                assertEquals(0, client.stats().dropped)
            }
        }
    }

    @Test
    fun `a bad name is refused alike whether or not it has an id`() {
        MonitorClient("bad-names", socketPath = TestMonitor.freshSocket().toString()).use { client ->
            fun refused(usage: LlmUsage): InvalidArgumentException {
                val first = assertThrows<InvalidArgumentException> { client.logLlmUsage(usage) }
                // The second time, every name short enough has an id.
                val again = assertThrows<InvalidArgumentException> { client.logLlmUsage(usage) }
                assertEquals(first.message, again.message)
                return first
            }
            client.logLlmUsage(LlmUsage("m", "f", 1, 1, provider = "p"))
            val cases = listOf(
                LlmUsage("", "f", 1, 0) to "model",
                LlmUsage("a\nb", "f", 1, 0) to "model",
                LlmUsage("m".repeat(257), "f", 1, 0) to "model",
                LlmUsage("m".repeat(10_000), "f", 1, 0) to "model",
                LlmUsage("m", "f".repeat(129), 1, 0) to "feature",
                LlmUsage("m", "", 1, 0) to "feature",
                LlmUsage("m", "f", 1, 0, provider = "p".repeat(65)) to "provider",
                LlmUsage("m", "f", 1, 0, provider = "") to "provider",
                LlmUsage("m", "f", 1, 0, provider = "\uDC00") to "provider",
                LlmUsage("m\uD800", "f", 1, 0) to "model",
                LlmUsage("m", "f", -1, 0) to "tokensIn",
                LlmUsage("m", "f", 1, -2) to "tokensOut",
                LlmUsage("m", "f", 1, 0, latencyMs = -1.0) to "latencyMs",
                LlmUsage("m", "f", 1, 0, cacheReadTokens = -3) to "cacheReadTokens",
                LlmUsage("m", "f", 1, 0, reasoningTokens = -4) to "reasoningTokens",
                LlmUsage("m", "f", 1, 0, costUsd = Double.NaN) to "costUsd",
            )
            for ((usage, argument) in cases) {
                assertEquals(argument, refused(usage).argument, usage.toString())
            }
            val message = refused(LlmUsage("m", "f".repeat(129), 1, 0)).message!!
            assertTrue(message.contains("129"), message)
        }
    }

    @Test
    fun `8 threads with names of their own and names in common each get theirs`() {
        TestMonitor.reading().use { monitor ->
            MonitorClient("thread-names", socketPath = monitor.socket, queueCapacity = 10_000).use { client ->
                val start = CyclicBarrier(THREADS)
                val pool = Executors.newFixedThreadPool(THREADS)
                fun callOf(t: Int, i: Int) = call(
                    t * CALLS + i, "t$t-model-${i % 50}", "shared-feature-${i % 5}", if (i % 3 == 0) null else "provider-$t",
                )
                val work = (0 until THREADS).map { t ->
                    pool.submit {
                        start.await()
                        repeat(CALLS) { i -> client.logLlmUsage(callOf(t, i)) }
                    }
                }
                work.forEach { it.get(60, TimeUnit.SECONDS) }
                pool.shutdown()
                assertTrue(client.flush(TestMonitor.WAIT), client.stats().toString())
                val lines = monitor.awaitLines(THREADS * CALLS).map(TestMonitor::parse)
                assertEquals(THREADS * CALLS, lines.size)
                // tokens_in says which call a line is: thread * CALLS + i.
                for (line in lines) {
                    val n = line["tokens_in"].asInt
                    assertCarries(callOf(n / CALLS, n % CALLS), line)
                }
                assertEquals((0 until THREADS * CALLS).toSet(), lines.map { it["tokens_in"].asInt }.toSet())
            }
        }
    }

    private companion object {
        const val THREADS = 8
        const val CALLS = 500
    }
}
