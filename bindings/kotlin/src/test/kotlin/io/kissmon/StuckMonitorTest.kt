package io.kissmon

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.time.Duration

/**
 * A monitor that accepts and never reads: no call waits on it, and once it
 * reads again every call logged arrives, alone or folded into an aggregate.
 */
class StuckMonitorTest {
    @Test
    fun `100,000 calls to a stuck monitor, none over 1 ms, and no call lost`() {
        TestMonitor.stuck().use { monitor ->
            MonitorClient("stuck", socketPath = monitor.socket, queueCapacity = 64).use { client ->
                client.register(mapOf("llm" to true))
                assertTrue(client.flush(TestMonitor.WAIT), "the kernel takes the first lines")
                monitor.awaitAccepted(1)
                // Fill the socket first, so that nothing more can be written whatever the
                // sender's timing (folded calls alone might fit in the socket's buffer): lines
                // the sender cannot write (queued), none taken (sent unchanged), 5 rounds running.
                val wide = LlmUsage("x".repeat(250), "fill", 1L, 1L)
                var filled = 0
                var quiet = 0
                var lastSent = -1L
                val fillDeadline = System.nanoTime() + 30_000_000_000L
                while (quiet < 5) {
                    assertTrue(System.nanoTime() < fillDeadline, "the socket never filled up: ${client.stats()}")
                    repeat(500) { client.logLlmUsage(wide) }
                    filled += 500
                    Thread.sleep(20)
                    val stats = client.stats()
                    quiet = if (stats.connected && stats.queued > 0 && stats.sent == lastSent) quiet + 1 else 0
                    lastSent = stats.sent
                }
                val usages = Array(CALLS) { i ->
                    LlmUsage(if (i % 2 == 0) "claude" else "gpt-4", "jokes", (i % 7 + 1).toLong(), (i % 3).toLong())
                }
                // A call that waited on the monitor would wait in every round,
                // since the monitor stays stuck. A call during which the OS gave
                // the CPU to another thread (a loaded machine: the thread's
                // involuntary context switches grew, its voluntary ones did
                // not) was not waiting on anything: it is counted apart. A
                // round is repeated (at most 5 times) until one has no other
                // call over 1 ms, which rules out a one-off GC pause.
                val rounds = mutableListOf<String>()
                var clean = false
                while (!clean && rounds.size < ROUNDS) {
                    var slowest = 0L
                    var overOneMs = 0
                    var preempted = 0
                    for (i in 0 until CALLS) {
                        val before = ContextSwitches.read()
                        val started = System.nanoTime()
                        if (i % 2 == 0) client.logLlmUsage(usages[i]) else client.heartbeat()
                        val took = System.nanoTime() - started
                        if (took > 1_000_000) {
                            val after = ContextSwitches.read()
                            val onlyPreempted = after.voluntary == before.voluntary && after.involuntary > before.involuntary
                            if (onlyPreempted) preempted++ else overOneMs++
                        }
                        if (took > slowest) slowest = took
                    }
                    rounds += "$overOneMs over 1 ms ($preempted more preempted by the OS), slowest ${slowest / 1000} µs"
                    clean = overOneMs == 0
                }
                println("stuck monitor, rounds of $CALLS calls: $rounds")
                assertTrue(clean, "every round had calls over 1 ms: $rounds")
                val logged = usages.filterIndexed { i, _ -> i % 2 == 0 }.let { once -> List(rounds.size) { once }.flatten() }

                val stuck = client.stats()
                assertTrue(stuck.queued in 1 until CALLS / 10, "the queue stays bounded: $stuck")
                assertTrue(stuck.coalesced > 0, "calls past the bound were folded: $stuck")
                assertEquals(0, stuck.dropped)
                assertFalse(client.flush(Duration.ofMillis(100)), "nothing more goes to a monitor that does not read")

                monitor.resumeReading()
                assertTrue(client.flush(TestMonitor.WAIT), client.stats().toString())
                val usage = monitor.awaitLines(client.stats().sent.toInt()).map(TestMonitor::parse)
                    .filter { it["type"].asString == "llm_usage" }
                assertEquals(logged.size + filled, usage.sumOf { if (it.has("count")) it["count"].asInt else 1 })
                assertEquals(logged.sumOf { it.tokensIn } + filled, usage.sumOf { it["tokens_in"].asLong })
                assertEquals(logged.sumOf { it.tokensOut } + filled, usage.sumOf { it["tokens_out"].asLong })
                assertEquals(0, client.stats().dropped)
            }
        }
    }

    /** This thread's context switches, from /proc/thread-self/status (Linux). */
    private data class ContextSwitches(val voluntary: Long, val involuntary: Long) {
        companion object {
            private val status = java.nio.file.Path.of("/proc/thread-self/status")

            fun read(): ContextSwitches {
                var voluntary = -1L
                var involuntary = -1L
                for (line in java.nio.file.Files.readAllLines(status)) {
                    when {
                        line.startsWith("voluntary_ctxt_switches:") -> voluntary = line.substringAfter(':').trim().toLong()
                        line.startsWith("nonvoluntary_ctxt_switches:") -> involuntary = line.substringAfter(':').trim().toLong()
                    }
                }
                check(voluntary >= 0 && involuntary >= 0) { "no context switch counts in $status" }
                return ContextSwitches(voluntary, involuntary)
            }
        }
    }

    private companion object {
        const val CALLS = 100_000
        const val ROUNDS = 5
    }
}
