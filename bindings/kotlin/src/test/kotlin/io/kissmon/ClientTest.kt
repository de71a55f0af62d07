package io.kissmon

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration

class ClientTest {
    @Test
    fun `lines reach a reading monitor in order, with the kotlin sdk`() {
        TestMonitor.reading().use { monitor ->
            MonitorClient("el_serda", pid = 4242, socketPath = monitor.socket).use { client ->
                client.register(mapOf("llm" to true, "translator" to false))
                assertTrue(client.flush(TestMonitor.WAIT))
                client.logLlmUsage(LlmUsage("gpt-4", "jokes", 145, 87, latencyMs = 1850.0, provider = "openai", ok = true))
                client.heartbeat()
                assertTrue(client.flush(TestMonitor.WAIT))
                val lines = monitor.awaitLines(3).map(TestMonitor::parse)
                assertEquals(listOf("register", "llm_usage", "heartbeat"), lines.map { it["type"].asString })
                val register = lines[0]
                assertEquals(4242, register["pid"].asInt)
                assertEquals("kotlin", register["sdk"].asJsonObject["lang"].asString)
                assertTrue(register["features"].asJsonObject["llm"].asBoolean)
                assertEquals(30.0, register["heartbeat_interval_s"].asDouble)
                val usage = lines[1]
                assertEquals(145, usage["tokens_in"].asInt)
                assertEquals("openai", usage["provider"].asString)
                assertFalse(usage.has("cost_usd"), "null fields are left out")
                val stats = client.stats()
                assertEquals(3, stats.sent)
                assertEquals(0, stats.dropped)
                assertTrue(stats.connected)
                assertNull(stats.lastError)
                assertEquals(4242, client.pid)
            }
            // close unregistered the bot.
            assertEquals("unregister", monitor.awaitLines(4).map(TestMonitor::parse)[3]["type"].asString)
        }
    }

    @Test
    fun `the pid defaults to this process`() {
        MonitorClient("me", socketPath = TestMonitor.freshSocket().toString()).use { client ->
            assertEquals(ProcessHandle.current().pid(), client.pid)
        }
    }

    @Test
    fun `bad arguments throw naming the argument`() {
        val absent = TestMonitor.freshSocket().toString()
        fun argument(block: () -> Unit) = assertThrows<InvalidArgumentException>(block).argument
        assertEquals("channel", argument { MonitorClient("", socketPath = absent) })
        assertEquals("pid", argument { MonitorClient("x", pid = -1, socketPath = absent) })
        assertEquals("queueCapacity", argument { MonitorClient("x", socketPath = absent, queueCapacity = 0) })
        assertEquals("maxAggregates", argument { MonitorClient("x", socketPath = absent, maxAggregates = -1) })
        assertEquals(
            "heartbeatInterval",
            argument { MonitorClient("x", socketPath = absent, heartbeatInterval = Duration.ofSeconds(-1)) },
        )
        assertEquals("channel", argument { MonitorClient("bad\uD800", socketPath = absent) })
        MonitorClient("x", socketPath = absent).use { client ->
            assertEquals("tokensIn", argument { client.logLlmUsage(LlmUsage("m", "f", -1, 0)) })
            assertEquals("model", argument { client.logLlmUsage(LlmUsage("", "f", 1, 0)) })
            assertEquals("provider", argument { client.logLlmUsage(LlmUsage("m", "f", 1, 0, provider = "\uDC00")) })
            assertEquals("costUsd", argument { client.logLlmUsage(LlmUsage("m", "f", 1, 0, costUsd = -0.5)) })
            assertEquals("features", argument { client.register(mapOf("ll\nm" to true)) })
            assertEquals("interval", argument { client.startHeartbeat(Duration.ZERO) })
            assertEquals("timeout", argument { client.flush(Duration.ofSeconds(-1)) })
            val message = assertThrows<InvalidArgumentException> { client.logLlmUsage(LlmUsage("m", "f", -3, 0)) }.message
            assertTrue(message!!.contains("tokensIn") && message.contains("-3"), message)
        }
    }

    @Test
    fun `an absent monitor is no error and close says what was not delivered`() {
        val client = MonitorClient("alone", socketPath = TestMonitor.freshSocket().toString())
        client.register(mapOf("llm" to true))
        client.heartbeat()
        assertFalse(client.flush(Duration.ofMillis(50)))
        assertFalse(client.close(Duration.ofMillis(50)))
        assertTrue(client.close(Duration.ZERO) == client.close(Duration.ZERO), "close is idempotent")
        val before = client.stats().dropped
        client.heartbeat()
        assertEquals(before + 1, client.stats().dropped, "a call after close is counted as dropped")
    }

    @Test
    fun `startHeartbeat beats from the core's thread until stopped`() {
        TestMonitor.reading().use { monitor ->
            MonitorClient("beats", socketPath = monitor.socket, heartbeatInterval = Duration.ofMillis(50)).use { client ->
                client.register()
                client.startHeartbeat()
                val beats = monitor.awaitLines(4).map(TestMonitor::parse).drop(1)
                assertTrue(beats.all { it["type"].asString == "heartbeat" && it.has("lag_ms") }, beats.toString())
                client.stopHeartbeat()
            }
        }
    }

    @Test
    fun `decodeLine returns canonical JSON or the error class and field`() {
        val canonical = decodeLine("""{"pid":7,"type":"heartbeat","channel":"x","unknown":1}""")
        assertEquals("""{"type":"heartbeat","channel":"x","pid":7}""", canonical)
        val error = assertThrows<DecodeException> { decodeLine("""{"type":"heartbeat","channel":"x","pid":0}""") }
        assertEquals("invalid_field", error.errorClass)
        assertEquals("pid", error.field)
        val utf8 = assertThrows<DecodeException> { decodeLine(byteArrayOf(0x7b, 0xff.toByte(), 0x7d)) }
        assertEquals("invalid_utf8", utf8.errorClass)
        assertNull(utf8.field)
    }

    @Test
    fun `the defaults are the core's`() {
        assertEquals(1024, Defaults.QUEUE_CAPACITY)
        assertEquals(Duration.ofSeconds(30), Defaults.HEARTBEAT_INTERVAL)
        assertEquals(Duration.ofMillis(200), Defaults.EXIT_FLUSH_BUDGET)
    }
}
