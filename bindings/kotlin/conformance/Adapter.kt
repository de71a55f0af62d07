// The Kotlin adapter of the conformance harness (conformance/README.md,
// "Adapter protocol"): one JSON command per stdin line, one JSON answer per
// stdout line, each command a call on the public io.kissmon API.
package io.kissmon.conformance

import com.google.gson.JsonElement
import com.google.gson.JsonNull
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import com.google.gson.JsonPrimitive
import io.kissmon.DecodeException
import io.kissmon.InvalidArgumentException
import io.kissmon.LlmUsage
import io.kissmon.MonitorClient
import io.kissmon.decodeLine
import java.math.BigDecimal
import java.time.Duration

/** A value the Kotlin API's types cannot hold: the case is not applicable here. */
private class NotApplicable(reason: String) : Exception(reason)

private fun cannotHold(argument: String, value: JsonElement?, type: String): Nothing =
    throw NotApplicable("`$argument` = $value is not a Kotlin $type")

private fun JsonObject.number(name: String, argument: String, type: String): BigDecimal {
    val value = get(name)
    if (value !is JsonPrimitive || !value.isNumber) cannotHold(argument, value, type)
    return value.asBigDecimal
}

private fun JsonObject.long(name: String, argument: String = name): Long = try {
    number(name, argument, "Long").longValueExact()
} catch (_: ArithmeticException) {
    cannotHold(argument, get(name), "Long")
}

private fun JsonObject.int(name: String, argument: String = name): Int = try {
    number(name, argument, "Int").intValueExact()
} catch (_: ArithmeticException) {
    cannotHold(argument, get(name), "Int")
}

private fun JsonObject.seconds(name: String, argument: String): Duration =
    Duration.ofNanos(number(name, argument, "Duration").movePointRight(9).toLong())

private fun JsonObject.present(name: String) = has(name) && !get(name).isJsonNull

private fun JsonObject.stringOrNull(name: String) = if (present(name)) get(name).asString else null

private fun newClient(spec: JsonObject, socket: String): MonitorClient {
    val channel = spec["channel"]
    if (channel !is JsonPrimitive || !channel.isString) cannotHold("channel", channel, "String")
    return MonitorClient(
        channel.asString,
        pid = if (spec.present("pid")) spec.long("pid") else null,
        socketPath = socket,
        queueCapacity = if (spec.present("queue_capacity")) spec.int("queue_capacity") else io.kissmon.Defaults.QUEUE_CAPACITY,
        maxAggregates = if (spec.present("max_aggregates")) spec.int("max_aggregates") else io.kissmon.Defaults.MAX_AGGREGATES,
        heartbeatInterval = if (spec.present("heartbeat_interval_s")) {
            spec.seconds("heartbeat_interval_s", "heartbeat_interval")
        } else {
            io.kissmon.Defaults.HEARTBEAT_INTERVAL
        },
    )
}

private fun usage(args: JsonObject) = LlmUsage(
    model = args["model"].asString,
    feature = args["feature"].asString,
    tokensIn = args.long("tokens_in"),
    tokensOut = args.long("tokens_out"),
    latencyMs = if (args.present("latency_ms")) args.number("latency_ms", "latency_ms", "Double").toDouble() else null,
    provider = args.stringOrNull("provider"),
    cacheReadTokens = if (args.present("cache_read_tokens")) args.long("cache_read_tokens") else null,
    reasoningTokens = if (args.present("reasoning_tokens")) args.long("reasoning_tokens") else null,
    costUsd = if (args.present("cost_usd")) args.number("cost_usd", "cost_usd", "Double").toDouble() else null,
    ok = if (args.present("ok")) args["ok"].asBoolean else null,
)

private fun call(client: MonitorClient, method: String, args: JsonObject) {
    when (method) {
        "register" -> client.register(
            args.getAsJsonObject("features").entrySet().associate { (name, value) ->
                if (value !is JsonPrimitive || !value.isBoolean) cannotHold("features", value, "Boolean")
                name to value.asBoolean
            },
        )
        "heartbeat" -> client.heartbeat()
        "unregister" -> client.unregister()
        "log_llm_usage" -> client.logLlmUsage(usage(args))
        "start_heartbeat" -> client.startHeartbeat(args.seconds("interval_s", "interval"))
        "stop_heartbeat" -> client.stopHeartbeat()
        else -> error("unknown method $method")
    }
}

private class Adapter {
    private var client: MonitorClient? = null

    private fun client() = client ?: error("no client: new_client first")

    private fun timeout(command: JsonObject) = Duration.ofMillis(command.long("timeout_ms"))

    fun handle(command: JsonObject): JsonElement = when (val cmd = command["cmd"].asString) {
        "hello" -> JsonObject().apply { addProperty("lang", "kotlin") }
        "decode" -> {
            val text = if (command.has("hex")) {
                decodeLine(java.util.HexFormat.of().parseHex(command["hex"].asString))
            } else {
                decodeLine(command["text"].asString)
            }
            JsonParser.parseString(text)
        }
        "new_client" -> {
            client = newClient(command.getAsJsonObject("client"), command["socket"].asString)
            JsonNull.INSTANCE
        }
        "call" -> {
            call(client(), command["method"].asString, command.getAsJsonObject("args"))
            JsonNull.INSTANCE
        }
        "flush" -> JsonPrimitive(client().flush(timeout(command)))
        "close" -> JsonPrimitive(client().close(timeout(command)))
        "stats" -> client().stats().let { s ->
            JsonObject().apply {
                addProperty("queued", s.queued)
                addProperty("sent", s.sent)
                addProperty("dropped", s.dropped)
                addProperty("coalesced", s.coalesced)
                addProperty("reconnects", s.reconnects)
                addProperty("connected", s.connected)
                addProperty("acked", s.acked)
                addProperty("unacked", s.unacked)
                addProperty("resent", s.resent)
                addProperty("acks_active", s.acksActive)
            }
        }
        else -> error("unknown command $cmd")
    }

    fun close() {
        client?.close(Duration.ZERO)
    }
}

/** The core's snake_case name of an argument this API names in camelCase. */
private fun coreName(argument: String) = argument.replace(Regex("[A-Z]")) { "_" + it.value.lowercase() }

private fun answer(block: () -> JsonElement): JsonObject = JsonObject().apply {
    try {
        add("ok", block())
    } catch (e: NotApplicable) {
        addProperty("not_applicable", e.message)
    } catch (e: InvalidArgumentException) {
        addProperty("error", "invalid_argument")
        addProperty("argument", coreName(e.argument))
        addProperty("detail", e.message)
    } catch (e: DecodeException) {
        addProperty("error", e.errorClass)
        add("field", e.field?.let(::JsonPrimitive) ?: JsonNull.INSTANCE)
        addProperty("detail", e.message)
    } catch (e: Exception) {
        addProperty("error", "other")
        addProperty("detail", e.toString())
    }
}

fun main() {
    val adapter = Adapter()
    val out = System.out.bufferedWriter()
    System.`in`.bufferedReader().lineSequence().filter { it.isNotBlank() }.forEach { line ->
        val command = JsonParser.parseString(line).asJsonObject
        out.write(answer { adapter.handle(command) }.toString())
        out.newLine()
        out.flush()
    }
    adapter.close()
}
