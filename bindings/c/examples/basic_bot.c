/* A bot reporting to the kissmon monitor: register, heartbeats, an LLM call, close.
 * Usage: basic_bot [socket_path]   (default: $KISSBOT_MONITOR_SOCKET, else /tmp/kissbot_monitor.sock) */
#include <inttypes.h>
#include <stdio.h>

#include "kissmon.h"

/* Prints why a call failed; the message names the bad argument. */
static bool ok(kissmon_status status, const char *call) {
    if (status == KISSMON_STATUS_OK) return true;
    fprintf(stderr, "%s: %s: %s\n", call, kissmon_status_str(status), kissmon_last_error_message());
    return false;
}

int main(int argc, char **argv) {
    kissmon_options options = {0}; /* zero: every default */
    options.socket_path = argc > 1 ? argv[1] : NULL;

    kissmon_client *client = NULL;
    if (!ok(kissmon_client_new("el_serda", &options, &client), "kissmon_client_new")) return 1;

    const char *features[] = {"llm", "translator"};
    const bool enabled[] = {true, false};
    ok(kissmon_client_register(client, features, enabled, 2), "register");
    ok(kissmon_client_start_heartbeat(client, 30.0), "start_heartbeat");

    kissmon_llm_usage usage = {
        .model = "gpt-4", .feature = "jokes", .tokens_in = 145, .tokens_out = 87,
        .has_latency_ms = true, .latency_ms = 1850.0, .provider = "openai",
    };
    ok(kissmon_client_log_llm_usage(client, &usage), "log_llm_usage");

    /* Bad input gets a status and a message naming the argument, never a crash. */
    usage.tokens_in = -1;
    kissmon_status status = kissmon_client_log_llm_usage(client, &usage);
    printf("rejected: %s, argument %s\n", kissmon_status_str(status), kissmon_last_error_argument());

    kissmon_stats stats;
    kissmon_client_stats(client, &stats);
    printf("queued %" PRIu64 ", sent %" PRIu64 ", dropped %" PRIu64 "\n", stats.queued, stats.sent, stats.dropped);

    /* Waits at most 2 s. An absent monitor is not an error: close says what was delivered. */
    status = kissmon_client_close(client, 2000);
    printf("close: %s\n", kissmon_status_str(status));
    kissmon_client_free(client);
    return 0;
}
