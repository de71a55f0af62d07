package io.kissmon.example

import io.kissmon.LlmUsage
import io.kissmon.MonitorClient
import java.time.Duration

/** The README's Kotlin example. ExamplesTest runs it. */
fun main(args: Array<String>) {
    val socketPath = args.firstOrNull() ?: "/tmp/kissbot_monitor.sock"
    // README example begins
    MonitorClient("el_serda", socketPath = socketPath, queueCapacity = 1024).use { client ->
        client.register(mapOf("llm" to true, "translator" to false))
        client.startHeartbeat(Duration.ofSeconds(30))
        client.logLlmUsage(LlmUsage("gpt-4", "jokes", tokensIn = 145, tokensOut = 87, latencyMs = 1850.0))
        val stats = client.stats()
        println("sent ${stats.sent} lines, ${stats.dropped} dropped")
    } // close() unregisters and waits up to 2 s for the lines to go out
    // README example ends
}
