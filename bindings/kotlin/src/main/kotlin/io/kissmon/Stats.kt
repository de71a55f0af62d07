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
) {
    internal constructor(native: NativeStats) : this(
        native.queued(), native.sent(), native.dropped(), native.coalesced(), native.reconnects(),
        native.connected(), native.lastError(),
    )
}
