package io.kissmon

import java.nio.file.Files
import java.nio.file.StandardCopyOption

/**
 * Finds libkissmon_jvm.so for the generated FFM glue: the copy inside this
 * jar, written once to a temporary file, unless the JVM was started with the
 * glue's own override, `-Duniffi.component.kissmon.libraryOverride=/path/to/libkissmon_jvm.so`.
 */
internal object NativeLibrary {
    private const val OVERRIDE = "uniffi.component.kissmon.libraryOverride"

    init {
        if (System.getProperty(OVERRIDE) == null) {
            System.setProperty(OVERRIDE, extract())
        }
    }

    /** Makes sure the library is found; every entry point calls this first. */
    fun load() = Unit

    private fun extract(): String {
        val os = System.getProperty("os.name").lowercase()
        val arch = when (val arch = System.getProperty("os.arch")) {
            "amd64", "x86_64" -> "x86-64"
            else -> arch
        }
        val platform = "${if (os.startsWith("linux")) "linux" else os}-$arch"
        val resource = "/io/kissmon/native/$platform/libkissmon_jvm.so"
        val input = NativeLibrary::class.java.getResourceAsStream(resource)
            ?: throw UnsatisfiedLinkError(
                "kissmon has no native library for $platform in this jar (looked for $resource); " +
                    "build one with cargo and pass -D$OVERRIDE=/path/to/libkissmon_jvm.so",
            )
        val file = Files.createTempFile("libkissmon_jvm", ".so")
        file.toFile().deleteOnExit()
        input.use { Files.copy(it, file, StandardCopyOption.REPLACE_EXISTING) }
        return file.toAbsolutePath().toString()
    }
}
