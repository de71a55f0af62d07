package io.kissmon

import io.kissmon.ffi.NativeStats

/** Counters and state of one client, from [MonitorClient.stats]. */
data class Stats(
    /** Lines waiting to be written now. */
    val queued: Long,
    /** Lines written to the monitor, registration replays included. */
    val sent: Long,
    /** Calls that will never be written: past the aggregate bound, after close, or left when a deadline ran out. */
    val dropped: Long,
    /** Calls merged into another line: heartbeats into the pending one, llm_usage into an aggregate. */
    val coalesced: Long,
    /** Connections made after the first. */
    val reconnects: Long,
    /** Whether the client holds a connection to the monitor now. */
    val connected: Boolean,
    /** The latest connection or write problem, if any. */
    val lastError: String?,
    /** llm_usage lines the monitor acknowledged as stored (protocol 1.1). */
    val acked: Long,
    /** llm_usage lines written and waiting for the monitor's ack, kept to be written again after a reconnect. */
    val unacked: Long,
    /** Lines written again after a reconnect because they were not acknowledged (not counted in [sent]). */
    val resent: Long,
    /** Whether the monitor on the current connection acknowledges; false against a v1 monitor. */
    val acksActive: Boolean,
) {
    internal constructor(native: NativeStats) : this(
        native.queued(), native.sent(), native.dropped(), native.coalesced(), native.reconnects(),
        native.connected(), native.lastError(), native.acked(), native.unacked(), native.resent(), native.acksActive(),
    )
}
