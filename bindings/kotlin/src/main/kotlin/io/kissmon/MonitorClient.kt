package io.kissmon

import io.kissmon.ffi.NativeException
import io.kissmon.ffi.NativeClient
import java.time.Duration
import java.util.concurrent.ConcurrentHashMap

/**
 * The non-blocking client of one bot, over the Rust core.
 *
 * ```kotlin
 * MonitorClient("el_serda", socketPath = "/tmp/kissbot_monitor.sock").use { client ->
 *     client.register(mapOf("llm" to true))
 *     client.startHeartbeat(Duration.ofSeconds(30))
 *     client.logLlmUsage(LlmUsage("gpt-4", "jokes", 145, 87, latencyMs = 1850.0))
 * }
 * ```
 *
 * No method waits on the monitor except [flush] and [close], and those never
 * past their timeout: calls only touch an in-memory queue, and one native
 * thread per client owns the connection. An absent, slow, stuck or restarting
 * monitor is never an error: what cannot be written yet waits in a bounded
 * queue, and what cannot wait is folded or counted in [stats]. Only invalid
 * arguments throw ([InvalidArgumentException], naming the argument).
 *
 * Safe to use from many threads at once. A client not closed when the JVM
 * exits is closed by a shutdown hook within the core's exit budget; no thread
 * of it keeps the JVM alive. From Java, [builder] names the settings.
 *
 * @param channel the bot's channel (1..=128 bytes of UTF-8, no control characters).
 * @param pid the pid to report; null for this process.
 * @param socketPath where the monitor listens; null for `$KISSBOT_MONITOR_SOCKET`, else `/tmp/kissbot_monitor.sock`.
 * @param queueCapacity how many llm_usage calls may wait before further ones fold into aggregates.
 * @param maxAggregates how many distinct aggregates may exist once the queue is full.
 * @param heartbeatInterval the heartbeat interval announced on register.
 */
class MonitorClient @JvmOverloads constructor(
    val channel: String,
    pid: Long? = null,
    socketPath: String? = null,
    queueCapacity: Int = Defaults.QUEUE_CAPACITY,
    maxAggregates: Int = Defaults.MAX_AGGREGATES,
    val heartbeatInterval: Duration = Defaults.HEARTBEAT_INTERVAL,
) : AutoCloseable {
    private val native: NativeClient

    /**
     * This client's ids of the names in its native table (one table per
     * client, freed with it). Shared by every thread: an id, once given, never
     * changes.
     */
    private val nameIds = ConcurrentHashMap<String, Int>()

    /** The native table is full (`intern` said so, with a negative id): new names go with the record, without asking first. */
    @Volatile private var namesFull = false

    init {
        NativeLibrary.load()
        native = try {
            NativeClient(channel, pid, socketPath, queueCapacity, maxAggregates, heartbeatInterval.toSecondsDouble())
        } catch (e: NativeException) {
            throw e.toKissmon()
        } catch (e: RuntimeException) {
            throw e.unencodable("channel" to channel, "socketPath" to socketPath)
        }
        OpenClients.add(this)
    }

    /** The pid this client reports. */
    val pid: Long get() = native.pid()

    /** The random id this client writes as `instance`. */
    val instance: String get() = native.instance()

    /**
     * Announces this bot with its features. The registration is replayed
     * first on every new connection, so a restarted monitor learns of the bot.
     */
    @JvmOverloads
    fun register(features: Map<String, Boolean> = emptyMap()) {
        try {
            native.register(features)
        } catch (e: NativeException) {
            throw e.toKissmon()
        } catch (e: RuntimeException) {
            throw e.unencodable(*features.keys.map { "features" to it }.toTypedArray())
        }
    }

    /** Reports that the bot is alive. At most one heartbeat waits: more are coalesced. */
    fun heartbeat() = native.heartbeat()

    /**
     * Reports one LLM call. When the queue is full the call is folded into an
     * aggregate per (model, feature, provider, ok); only past the aggregate
     * bound is it dropped, and counted.
     */
    fun logLlmUsage(usage: LlmUsage) {
        try {
            log(usage)
        } catch (e: NativeException) {
            throw e.toKissmon()
        } catch (e: RuntimeException) {
            throw e.unencodable("model" to usage.model, "feature" to usage.feature, "provider" to usage.provider)
        }
    }

    /**
     * The call shape: names go over once, and are then sent as their ids in
     * this client's native table, with the numbers, in one downcall of
     * primitives. A name that gets no id (the table is bounded) goes over
     * with the call, as a record. Either way the core checks the whole call.
     */
    private fun log(usage: LlmUsage) {
        val model = nameId(usage.model)
        val feature = nameId(usage.feature)
        val provider = usage.provider
        val providerId = if (provider == null) 0 else nameId(provider)
        if (model <= 0 || feature <= 0 || (provider != null && providerId <= 0)) {
            native.logLlmUsage(usage.toNative())
            return
        }
        var present = 0
        val latencyMs = usage.latencyMs
        if (latencyMs != null) present = present or Present.LATENCY_MS
        val cacheReadTokens = usage.cacheReadTokens
        if (cacheReadTokens != null) present = present or Present.CACHE_READ_TOKENS
        val reasoningTokens = usage.reasoningTokens
        if (reasoningTokens != null) present = present or Present.REASONING_TOKENS
        val costUsd = usage.costUsd
        if (costUsd != null) present = present or Present.COST_USD
        when (usage.ok) {
            true -> present = present or Present.OK or Present.OK_TRUE
            false -> present = present or Present.OK
            null -> {}
        }
        native.logLlmUsageIds(
            model, feature, providerId, usage.tokensIn, usage.tokensOut, present,
            latencyMs ?: 0.0, cacheReadTokens ?: 0L, reasoningTokens ?: 0L, costUsd ?: 0.0,
        )
    }

    /** The id of [name] in the native table, interning it on first use; 0 or less if it gets none. */
    private fun nameId(name: String): Int = nameIds[name] ?: if (namesFull) 0 else intern(name)

    private fun intern(name: String): Int {
        val id = native.intern(name)
        // Only names with an id are kept, so this map is as bounded as the native table.
        if (id > 0) nameIds.putIfAbsent(name, id) else if (id < 0) namesFull = true
        return id
    }

    /** Says the bot is leaving and stops the periodic heartbeat. */
    fun unregister() = native.unregister()

    /**
     * Sends a heartbeat now and then every [interval], from the core's own
     * thread (no JVM thread is started), each carrying how late it fired.
     * Re-sends the registration if [interval] differs from the announced one.
     */
    @JvmOverloads
    fun startHeartbeat(interval: Duration = heartbeatInterval) {
        try {
            native.startHeartbeat(interval.toSecondsDouble())
        } catch (e: NativeException) {
            throw e.toKissmon()
        }
    }

    /** Stops the periodic heartbeat. */
    fun stopHeartbeat() = native.stopHeartbeat()

    /**
     * Waits up to [timeout] for every call made so far to be written; returns
     * whether they were. Tries to connect at once if disconnected.
     */
    @JvmOverloads
    fun flush(timeout: Duration = Defaults.FLUSH_TIMEOUT): Boolean = try {
        native.flush(timeout.toSecondsDouble())
    } catch (e: NativeException) {
        throw e.toKissmon()
    }

    /**
     * Unregisters if registered, flushes until [timeout], and stops the
     * client's thread. Returns whether everything was written. Later calls
     * return at once; calls on a closed client are ignored and counted as dropped.
     */
    fun close(timeout: Duration): Boolean {
        val clean = try {
            native.close(timeout.toSecondsDouble())
        } catch (e: NativeException) {
            throw e.toKissmon()
        }
        OpenClients.remove(this)
        return clean
    }

    /** [close] with [Defaults.CLOSE_TIMEOUT], for `use {}` and try-with-resources. */
    override fun close() {
        close(Defaults.CLOSE_TIMEOUT)
    }

    /** A snapshot of the counters. */
    fun stats(): Stats = Stats(native.stats())

    override fun toString() = "MonitorClient(channel=$channel, pid=$pid, instance=$instance)"

    /** Settings by name, for Java: `MonitorClient.builder("bot").socketPath(path).build()`. */
    class Builder internal constructor(private val channel: String) {
        private var pid: Long? = null
        private var socketPath: String? = null
        private var queueCapacity: Int = Defaults.QUEUE_CAPACITY
        private var maxAggregates: Int = Defaults.MAX_AGGREGATES
        private var heartbeatInterval: Duration = Defaults.HEARTBEAT_INTERVAL

        fun pid(pid: Long) = apply { this.pid = pid }
        fun socketPath(path: String) = apply { socketPath = path }
        fun queueCapacity(capacity: Int) = apply { queueCapacity = capacity }
        fun maxAggregates(max: Int) = apply { maxAggregates = max }
        fun heartbeatInterval(interval: Duration) = apply { heartbeatInterval = interval }

        /** Checks the settings and starts the client; no I/O happens here. */
        fun build() = MonitorClient(channel, pid, socketPath, queueCapacity, maxAggregates, heartbeatInterval)
    }

    companion object {
        /** A [Builder] for a client of [channel]. */
        @JvmStatic
        fun builder(channel: String) = Builder(channel)
    }
}
