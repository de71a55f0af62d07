package io.kissmon

import java.util.Collections
import java.util.WeakHashMap

/**
 * The clients not closed yet, and the JVM shutdown hook that closes them, so
 * that their queued lines (and the unregister) go out before the JVM exits.
 * All of them share the core's exit budget ([Defaults.EXIT_FLUSH_BUDGET]),
 * so a stuck or absent monitor delays exit by that much at most. A client
 * that becomes unreachable is forgotten here; the core then delivers what it
 * queued on its own thread for a short grace time.
 */
internal object OpenClients {
    private val open: MutableSet<MonitorClient> = Collections.newSetFromMap(WeakHashMap())

    init {
        Runtime.getRuntime().addShutdownHook(Thread(::closeAll, "kissmon-exit"))
    }

    fun add(client: MonitorClient) {
        synchronized(open) { open.add(client) }
    }

    fun remove(client: MonitorClient) {
        synchronized(open) { open.remove(client) }
    }

    private fun closeAll() {
        val clients = synchronized(open) { open.toList() }
        val deadline = System.nanoTime() + Defaults.EXIT_FLUSH_BUDGET.toNanos()
        for (client in clients) {
            val left = maxOf(0L, deadline - System.nanoTime())
            client.close(java.time.Duration.ofNanos(left))
        }
    }
}
