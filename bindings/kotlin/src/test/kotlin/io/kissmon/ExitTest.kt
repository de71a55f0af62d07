package io.kissmon

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * JVMs of their own that fall off the end of main with a client open: the
 * shutdown hook closes it within the core's exit budget, and no thread keeps
 * the JVM alive, whatever the monitor does.
 */
class ExitTest {
    /** Runs ExitChild; returns how long the JVM took to exit after main returned, in ms. */
    private fun exitAfterMain(socket: Path): Long {
        val java = ProcessHandle.current().info().command().orElseThrow()
        val classpath = listOf(
            System.getProperty("kissmon.test.classes"),
            System.getProperty("kissmon.test.testClasses"),
            File(System.getProperty("kissmon.test.classpathFile")).readText().trim(),
        ).joinToString(File.pathSeparator)
        val child = ProcessBuilder(java, System.getProperty("kissmon.test.nativeAccess"), "-cp", classpath,
            ExitChild::class.java.name, socket.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        try {
            val out = child.inputReader()
            val line = out.readLine()
            val returned = System.nanoTime()
            assertEquals("main returns", line)
            assertTrue(child.waitFor(15, TimeUnit.SECONDS), "the JVM did not exit within 15 s")
            val tookMs = (System.nanoTime() - returned) / 1_000_000
            assertEquals(0, child.exitValue())
            println("exit after main: $tookMs ms")
            return tookMs
        } finally {
            child.destroyForcibly()
        }
    }

    @Test
    fun `the shutdown hook delivers the unregister`() {
        TestMonitor.reading().use { monitor ->
            val took = exitAfterMain(monitor.path)
            val lines = monitor.awaitLine { it["type"].asString == "unregister" }
            assertEquals("register", lines.first()["type"].asString)
            val unregister = lines.last()
            assertEquals("unregister", unregister["type"].asString)
            assertEquals("exiting", unregister["channel"].asString)
            val usage = lines.filter { it["type"].asString == "llm_usage" }
            assertEquals(1000, usage.sumOf { if (it.has("count")) it["count"].asInt else 1 }, "every call went out first")
            assertTrue(took < 1000, "exit took $took ms")
        }
    }

    @Test
    fun `a JVM exits within 1 s after main with the monitor absent`() {
        val took = exitAfterMain(TestMonitor.freshSocket())
        assertTrue(took < 1000, "exit took $took ms")
    }

    @Test
    fun `a JVM exits within 1 s after main with the monitor stuck`() {
        TestMonitor.stuck().use { monitor ->
            val took = exitAfterMain(monitor.path)
            assertTrue(took < 1000, "exit took $took ms")
        }
    }
}
