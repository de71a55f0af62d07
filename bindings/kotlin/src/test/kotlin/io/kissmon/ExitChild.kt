package io.kissmon

/**
 * A bot that reports and falls off the end of main without closing its
 * client: `ExitChild <socket path>`. ExitTest runs it in a JVM of its own.
 */
object ExitChild {
    @JvmStatic
    fun main(args: Array<String>) {
        val client = MonitorClient("exiting", socketPath = args[0], queueCapacity = 8)
        client.register(mapOf("llm" to true))
        client.startHeartbeat(java.time.Duration.ofMillis(100))
        repeat(1000) { client.logLlmUsage(LlmUsage("gpt-4", "jokes", 1, 1)) }
        println("main returns")
        System.out.flush()
    }
}
