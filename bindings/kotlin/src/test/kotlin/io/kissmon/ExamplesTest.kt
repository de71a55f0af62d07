package io.kissmon

import io.kissmon.example.JavaExample
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The README's examples, compiled by the build and run here against a real monitor. */
class ExamplesTest {
    private fun runAgainstMonitor(main: (Array<String>) -> Unit) {
        TestMonitor.reading().use { monitor ->
            main(arrayOf(monitor.socket))
            // close() waited for delivery, so every line is in: register, the
            // first periodic beat and the usage in some order, then unregister.
            val lines = monitor.awaitLines(4).map(TestMonitor::parse)
            assertEquals("register", lines.first()["type"].asString)
            assertEquals("unregister", lines.last()["type"].asString)
            assertEquals(setOf("register", "heartbeat", "llm_usage", "unregister"), lines.map { it["type"].asString }.toSet())
            val usage = lines.single { it["type"].asString == "llm_usage" }
            assertEquals(145, usage["tokens_in"].asInt)
            assertEquals(1850.0, usage["latency_ms"].asDouble)
        }
    }

    @Test
    fun `the Java example`() = runAgainstMonitor { JavaExample.main(it) }

    @Test
    fun `the Kotlin example`() = runAgainstMonitor { io.kissmon.example.main(it) }
}
