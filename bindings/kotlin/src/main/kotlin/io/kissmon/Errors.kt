package io.kissmon

import io.kissmon.ffi.NativeException
import java.nio.charset.CharacterCodingException

/**
 * Every error kissmon throws. Only bad arguments (and a failure to start the
 * client's thread) are errors: the monitor's state never is.
 */
sealed class KissmonException(message: String, cause: Throwable? = null) : RuntimeException(message, cause)

/** An argument broke a protocol rule. [argument] is its name in this API (`tokensIn`, `heartbeatInterval`). */
class InvalidArgumentException(val argument: String, val reason: String, cause: Throwable? = null) :
    KissmonException("invalid argument `$argument`: $reason", cause)

/**
 * [decodeLine] rejected a line. [errorClass] is the protocol's error class
 * (`invalid_json`, `missing_field`, ...) and [field] the top-level field at fault, if any.
 */
class DecodeException(val errorClass: String, val field: String?, message: String) : KissmonException(message)

/** The client's background sender thread could not be started. */
class SenderStartException(message: String) : KissmonException(message)

/** The one place where the generated glue's errors become [KissmonException]s. */
internal fun NativeException.toKissmon(): KissmonException = when (this) {
    is NativeException.InvalidArgument -> InvalidArgumentException(argument(), reason())
    is NativeException.Decode -> DecodeException(errorClass(), field(), detail())
    is NativeException.Spawn -> SenderStartException("cannot start the kissmon sender thread: ${detail()}")
    else -> error("an error the native library does not define: $this")
}

/**
 * The glue throws a bare RuntimeException for a string Java cannot encode as
 * UTF-8 (a lone surrogate). Names the argument that holds one, or returns
 * [this] if none does.
 */
internal fun RuntimeException.unencodable(vararg strings: Pair<String, String?>): RuntimeException {
    if (cause !is CharacterCodingException) return this
    val bad = strings.firstOrNull { (_, value) -> value != null && !isWellFormed(value) } ?: return this
    return InvalidArgumentException(bad.first, "is not valid UTF-16: it holds a lone surrogate", this)
}

private fun isWellFormed(value: String): Boolean {
    var i = 0
    while (i < value.length) {
        val c = value[i]
        if (Character.isHighSurrogate(c) && i + 1 < value.length && Character.isLowSurrogate(value[i + 1])) {
            i += 2
            continue
        }
        if (Character.isSurrogate(c)) return false
        i++
    }
    return true
}
