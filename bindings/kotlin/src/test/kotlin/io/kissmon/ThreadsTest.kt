package io.kissmon

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** Eight threads call one client at once: every call is delivered or folded, none lost, none thrown. */
class ThreadsTest {
    @Test
    fun `8 threads calling at once`() {
        TestMonitor.reading().use { monitor ->
            MonitorClient("threads", socketPath = monitor.socket, queueCapacity = 32).use { client ->
                client.register(mapOf("llm" to true))
                val start = CyclicBarrier(THREADS)
                val pool = Executors.newFixedThreadPool(THREADS)
                val work = (0 until THREADS).map { t ->
                    pool.submit {
                        start.await()
                        repeat(CALLS) { i ->
                            client.logLlmUsage(LlmUsage("model-$t", "feature", 1, t.toLong()))
                            if (i % 10 == 0) client.heartbeat()
                            if (i % 1000 == 0) client.stats()
                        }
                    }
                }
                work.forEach { it.get(60, TimeUnit.SECONDS) }
                pool.shutdown()
                assertTrue(client.flush(TestMonitor.WAIT), client.stats().toString())
                val stats = client.stats()
                val usage = monitor.awaitLines(stats.sent.toInt()).map(TestMonitor::parse)
                    .filter { it["type"].asString == "llm_usage" }
                assertEquals(THREADS * CALLS, usage.sumOf { if (it.has("count")) it["count"].asInt else 1 })
                for (t in 0 until THREADS) {
                    val mine = usage.filter { it["model"].asString == "model-$t" }
                    assertEquals(CALLS.toLong(), mine.sumOf { it["tokens_in"].asLong }, "thread $t")
                    assertEquals(CALLS.toLong() * t, mine.sumOf { it["tokens_out"].asLong }, "thread $t")
                }
                assertEquals(0, stats.dropped)
            }
        }
    }

    private companion object {
        const val THREADS = 8
        const val CALLS = 20_000
    }
}
