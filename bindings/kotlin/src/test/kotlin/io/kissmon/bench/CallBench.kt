// Per-call cost of heartbeat() and logLlmUsage() next to the peer,
// java-dogstatsd-client's incrementCounter to an unused UDP port, in one run,
// both as it comes (client-side aggregation on: a map update in the JVM) and
// with aggregation off (each call queues a metric for its sender thread, as
// ours do), on two paths:
// - stuck: a monitor that accepts and never reads (calls back to back);
// - paced: a monitor in another process that reads everything, one call per
//   200 µs, so that the client's sender sleeps between calls.
// Each call is timed alone (System.nanoTime around it; the "timer only" row is
// that overhead) for p50/p99/max; "batch p50" times 100 calls together.
//
//   bash bindings/kotlin/bench.sh            the figures for the README
//   bash bindings/kotlin/bench.sh --smoke    a few calls, to check that it runs
package io.kissmon.bench

import com.timgroup.statsd.NonBlockingStatsDClientBuilder
import com.timgroup.statsd.StatsDClient
import io.kissmon.LlmUsage
import io.kissmon.MonitorClient
import io.kissmon.TestMonitor
import java.io.File
import java.net.DatagramSocket
import java.nio.file.Path
import java.util.concurrent.TimeUnit

private class Sizes(smoke: Boolean) {
    val warmup = if (smoke) 2_000 else 300_000
    val backToBack = if (smoke) 2_000 else 1_000_000
    val batches = if (smoke) 20 else 10_000
    val paced = if (smoke) 500 else 20_000
}

private const val BATCH = 100
private const val PACE_NS = 200_000L
private const val TARGET_P50_NS = 1000.0
private const val TARGET_RATIO = 0.5
private const val PEER = "statsd incrementCounter()"
private const val PEER_NO_AGGREGATION = "statsd incrementCounter(), no aggregation"

private class Row(val path: String, val call: String, val single: LongArray, val batchP50: Double?) {
    init {
        single.sort()
    }

    fun percentile(p: Double) = single[minOf(single.size - 1, (p / 100 * single.size).toInt())].toDouble()
    val p50 get() = percentile(50.0)
}

/** Times [calls] calls one by one, each alone, [paceNs] apart (0: back to back). */
private fun single(calls: Int, paceNs: Long, call: (Int) -> Unit): LongArray {
    val took = LongArray(calls)
    var next = System.nanoTime()
    for (i in 0 until calls) {
        if (paceNs > 0) {
            next += paceNs
            while (System.nanoTime() < next) Thread.onSpinWait()
        }
        val start = System.nanoTime()
        call(i)
        took[i] = System.nanoTime() - start
    }
    return took
}

private fun batchP50(batches: Int, call: (Int) -> Unit): Double {
    val perCall = DoubleArray(batches)
    for (b in 0 until batches) {
        val start = System.nanoTime()
        for (i in 0 until BATCH) call(i)
        perCall[b] = (System.nanoTime() - start).toDouble() / BATCH
    }
    perCall.sort()
    return perCall[batches / 2]
}

private fun measure(sizes: Sizes, path: String, name: String, paced: Boolean, call: (Int) -> Unit): Row {
    single(sizes.warmup, 0, call)
    return if (paced) {
        Row(path, name, single(sizes.paced, PACE_NS, call), null)
    } else {
        Row(path, name, single(sizes.backToBack, 0, call), batchP50(sizes.batches, call))
    }
}

private val usages = Array(64) { i -> LlmUsage(if (i % 2 == 0) "gpt-4" else "claude", "jokes", 145L + i, 87, latencyMs = 1850.0) }

private fun kissmonRows(sizes: Sizes, path: String, client: MonitorClient, paced: Boolean) = listOf(
    measure(sizes, path, "heartbeat()", paced) { client.heartbeat() },
    measure(sizes, path, "logLlmUsage()", paced) { client.logLlmUsage(usages[it and 63]) },
)

private fun statsdRows(sizes: Sizes, path: String, peers: Map<String, StatsDClient>, paced: Boolean) =
    peers.map { (name, statsd) -> measure(sizes, path, name, paced) { statsd.incrementCounter("llm.calls", "model:gpt-4") } }

/** A reading monitor in a JVM of its own (this class's main), so that its reads do not share this JVM. */
private fun readingMonitorProcess(socket: Path): Process {
    val java = ProcessHandle.current().info().command().orElseThrow()
    val process = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ReadingMonitor::class.java.name, socket.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start()
    check(process.inputReader().readLine() == "listening") { "the reading monitor did not start" }
    return process
}

object ReadingMonitor {
    @JvmStatic
    fun main(args: Array<String>) {
        TestMonitor.reading(Path.of(args[0])).use {
            println("listening")
            System.out.flush()
            System.`in`.read() // until the benchmark closes our stdin
        }
    }
}

private fun fmt(ns: Double) = if (ns >= 10_000) "%.1f µs".format(ns / 1000) else "%.0f ns".format(ns)

fun main(args: Array<String>) {
    val sizes = Sizes(smoke = "--smoke" in args)
    val unusedPort = DatagramSocket(0).use { it.localPort }
    fun statsd(aggregation: Boolean) =
        NonBlockingStatsDClientBuilder().prefix("bench").hostname("127.0.0.1").port(unusedPort).enableAggregation(aggregation).build()
    val peers = mapOf(PEER to statsd(true), PEER_NO_AGGREGATION to statsd(false))
    val rows = mutableListOf<Row>()
    rows += measure(sizes, "-", "timer only", false) { }

    TestMonitor.stuck().use { monitor ->
        MonitorClient("bench-stuck", socketPath = monitor.socket, queueCapacity = 1024).use { client ->
            client.register(mapOf("llm" to true))
            client.flush(TestMonitor.WAIT)
            rows += kissmonRows(sizes, "stuck", client, paced = false)
            val stats = client.stats()
            check(stats.coalesced > 0 && stats.queued > 0) { "the monitor was not stuck: $stats" }
            client.close(java.time.Duration.ZERO)
        }
    }
    rows += statsdRows(sizes, "stuck", peers, paced = false)

    val socket = TestMonitor.freshSocket()
    val monitor = readingMonitorProcess(socket)
    try {
        MonitorClient("bench-paced", socketPath = socket.toString()).use { client ->
            client.register(mapOf("llm" to true))
            check(client.flush(TestMonitor.WAIT)) { "the reading monitor took nothing" }
            rows += kissmonRows(sizes, "paced", client, paced = true)
            check(client.flush(TestMonitor.WAIT) && client.stats().dropped == 0L) { "paced: ${client.stats()}" }
        }
        rows += statsdRows(sizes, "paced", peers, paced = true)
    } finally {
        monitor.outputStream.close()
        monitor.waitFor(15, TimeUnit.SECONDS)
        monitor.destroyForcibly()
    }
    peers.values.forEach(StatsDClient::stop)

    val load = File("/proc/loadavg").readText().split(" ").take(3).joinToString(" ")
    println("kissmon JVM per-call cost (java ${System.getProperty("java.version")}, load average $load)")
    println("%-6s %-40s %9s %9s %10s %10s".format("path", "call", "p50", "p99", "max", "batch p50"))
    for (r in rows) {
        println(
            "%-6s %-40s %9s %9s %10s %10s".format(
                r.path, r.call, fmt(r.p50), fmt(r.percentile(99.0)), fmt(r.single.last().toDouble()),
                r.batchP50?.let(::fmt) ?: "-",
            ),
        )
    }
    for (path in listOf("stuck", "paced")) {
        val peer = rows.single { it.path == path && it.call == PEER }.p50
        val unaggregated = rows.single { it.path == path && it.call == PEER_NO_AGGREGATION }.p50
        for (call in listOf("heartbeat()", "logLlmUsage()")) {
            val p50 = rows.single { it.path == path && it.call == call }.p50
            val ratio = p50 / peer
            val verdict = if (p50 <= TARGET_P50_NS && ratio <= TARGET_RATIO) "meets" else "MISSES"
            println(
                "target: $path $call p50 ${fmt(p50)} (≤ 1 µs), ${"%.2f".format(ratio)}× the peer's ${fmt(peer)} (≤ 0.5×): $verdict" +
                    "; ${"%.2f".format(p50 / unaggregated)}× the peer without aggregation (${fmt(unaggregated)})",
            )
        }
    }
}
