package io.kissmon

import java.time.Duration

/** The core's defaults, read from the native library: the one place they live. */
object Defaults {
    private val native = run {
        NativeLibrary.load()
        io.kissmon.ffi.Kissmon.defaults()
    }

    /** How many llm_usage calls may wait before further ones fold into aggregates. */
    @JvmField val QUEUE_CAPACITY: Int = native.queueCapacity()

    /** How many distinct aggregates may exist once the queue is full; past this, calls are dropped and counted. */
    @JvmField val MAX_AGGREGATES: Int = native.maxAggregates()

    /** The heartbeat interval a client announces. */
    @JvmField val HEARTBEAT_INTERVAL: Duration = seconds(native.heartbeatIntervalS())

    /** What [MonitorClient.flush] waits at most when given no timeout. */
    @JvmField val FLUSH_TIMEOUT: Duration = seconds(native.flushTimeoutS())

    /** What [MonitorClient.close] waits at most when given no timeout. */
    @JvmField val CLOSE_TIMEOUT: Duration = seconds(native.closeTimeoutS())

    /** What the JVM shutdown hook spends, at most, closing every open client together. */
    @JvmField val EXIT_FLUSH_BUDGET: Duration = seconds(native.exitFlushBudgetS())

    private fun seconds(value: Double): Duration = Duration.ofNanos(Math.round(value * 1e9))
}

/** A [Duration] as the seconds the native library takes; the core checks the range. */
internal fun Duration.toSecondsDouble(): Double = seconds.toDouble() + nano / 1e9
