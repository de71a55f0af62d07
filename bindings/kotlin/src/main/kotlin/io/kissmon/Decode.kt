@file:JvmName("Kissmon")

package io.kissmon

import io.kissmon.ffi.NativeException
import java.nio.CharBuffer
import java.nio.charset.CharacterCodingException
import java.nio.charset.CodingErrorAction

/**
 * Decodes one protocol line (without its `\n`) with the core's decoder and
 * returns the message as canonical JSON text: known fields only, null fields
 * left out. Throws [DecodeException] with the protocol's error class and the
 * field at fault. From Java: `Kissmon.decodeLine(line)`.
 */
fun decodeLine(line: ByteArray): String {
    NativeLibrary.load()
    try {
        return io.kissmon.ffi.Kissmon.decodeLine(line)
    } catch (e: NativeException) {
        throw e.toKissmon()
    }
}

/** [decodeLine] of the line's UTF-8 bytes. */
fun decodeLine(line: String): String {
    val encoder = Charsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
    val bytes = try {
        encoder.encode(CharBuffer.wrap(line))
    } catch (e: CharacterCodingException) {
        throw InvalidArgumentException("line", "is not valid UTF-16: it holds a lone surrogate", e)
    }
    return decodeLine(ByteArray(bytes.remaining()).also { bytes.get(it) })
}
