package io.kissmon

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import java.io.ByteArrayOutputStream
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.ByteBuffer
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.withLock

/**
 * A monitor on a real Unix socket in a temporary folder. Reading, it records
 * every line; stuck ([reading] false), it accepts connections and never reads
 * them until [resumeReading].
 */
class TestMonitor private constructor(val path: Path, reading: Boolean) : AutoCloseable {
    private val server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path))
    private val lock = ReentrantLock()
    private val changed = lock.newCondition()
    private val lines = ArrayList<String>()
    private val idle = ArrayList<SocketChannel>()
    private var reading = reading
    private var accepted = 0

    init {
        daemon("test-monitor-accept") {
            while (true) {
                val conn = try {
                    server.accept()
                } catch (_: Exception) {
                    return@daemon
                }
                val read = lock.withLock {
                    accepted++
                    changed.signalAll()
                    if (!this.reading) idle.add(conn)
                    this.reading
                }
                if (read) read(conn)
            }
        }
    }

    private fun read(conn: SocketChannel) = daemon("test-monitor-read") {
        val buffer = ByteBuffer.allocate(64 * 1024)
        val pending = ByteArrayOutputStream()
        conn.use {
            while (true) {
                buffer.clear()
                val n = try {
                    conn.read(buffer)
                } catch (_: Exception) {
                    -1
                }
                if (n < 0) return@daemon
                for (i in 0 until n) {
                    val b = buffer.get(i)
                    if (b == '\n'.code.toByte()) {
                        val line = pending.toString(Charsets.UTF_8)
                        pending.reset()
                        lock.withLock {
                            lines.add(line)
                            changed.signalAll()
                        }
                    } else {
                        pending.write(b.toInt())
                    }
                }
            }
        }
    }

    val socket: String get() = path.toString()

    /** Starts reading the connections a stuck monitor accepted, and later ones. */
    fun resumeReading() {
        val conns = lock.withLock {
            reading = true
            idle.toList().also { idle.clear() }
        }
        conns.forEach(::read)
    }

    /** Waits (at most [timeout]) until [count] connections were accepted. */
    fun awaitAccepted(count: Int, timeout: Duration = WAIT) = waitFor(timeout, { "$accepted accepted" }) { accepted >= count }

    /** Waits (at most [timeout]) until at least [count] lines arrived; returns all lines so far. */
    fun awaitLines(count: Int, timeout: Duration = WAIT): List<String> =
        waitFor(timeout, { "${lines.size} lines: $lines" }) { lines.size >= count }.let { lines() }

    /** Waits until a line matches [predicate]; returns all lines so far. */
    fun awaitLine(timeout: Duration = WAIT, predicate: (JsonObject) -> Boolean): List<JsonObject> {
        waitFor(timeout, { "no matching line in $lines" }) { lines.any { predicate(parse(it)) } }
        return parsed()
    }

    fun lines(): List<String> = lock.withLock { lines.toList() }

    fun parsed(): List<JsonObject> = lines().map(::parse)

    private fun waitFor(timeout: Duration, what: () -> String, done: () -> Boolean) {
        val deadline = System.nanoTime() + timeout.toNanos()
        lock.withLock {
            while (!done()) {
                val left = deadline - System.nanoTime()
                check(left > 0) { "timed out after $timeout: ${what()}" }
                changed.await(left, TimeUnit.NANOSECONDS)
            }
        }
    }

    override fun close() {
        server.close()
        lock.withLock { idle.forEach { it.close() } }
        Files.deleteIfExists(path)
    }

    companion object {
        /** Upper bound of every wait: generous, for loaded CI machines. */
        val WAIT: Duration = Duration.ofSeconds(15)

        fun parse(line: String): JsonObject = JsonParser.parseString(line).asJsonObject

        /** A socket path in a fresh temporary folder, with nothing listening. */
        fun freshSocket(): Path = Files.createTempDirectory("kissmon-kt").resolve("monitor.sock")

        fun reading(path: Path = freshSocket()) = TestMonitor(path, reading = true)

        fun stuck(path: Path = freshSocket()) = TestMonitor(path, reading = false)

        private fun daemon(name: String, body: () -> Unit) = Thread(body, name).apply { isDaemon = true; start() }
    }
}
