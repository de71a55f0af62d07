/* The dist test's C bot, linked through pkg-config against the unpacked C
 * tarball: reports until its stdin closes, then closes and exits 0 only if
 * everything was delivered. The channel is argv[1] (default dist-c). */
#include <inttypes.h>
#include <stdio.h>

#include "kissmon.h"

int main(int argc, char **argv) {
    kissmon_options options = {0}; /* socket: $KISSBOT_MONITOR_SOCKET */
    kissmon_client *client = NULL;
    if (kissmon_client_new(argc > 1 ? argv[1] : "dist-c", &options, &client) != KISSMON_STATUS_OK) {
        fprintf(stderr, "c bot: kissmon_client_new: %s\n", kissmon_last_error_message());
        return 1;
    }
    const char *features[] = {"dist"};
    const bool enabled[] = {true};
    kissmon_llm_usage usage = {.model = "gpt-4", .feature = "dist", .tokens_in = 1, .tokens_out = 2};
    if (kissmon_client_register(client, features, enabled, 1) != KISSMON_STATUS_OK ||
        kissmon_client_start_heartbeat(client, 1.0) != KISSMON_STATUS_OK ||
        kissmon_client_log_llm_usage(client, &usage) != KISSMON_STATUS_OK) {
        fprintf(stderr, "c bot: %s\n", kissmon_last_error_message());
        return 1;
    }
    while (getchar() != EOF) {
    }
    kissmon_status closed = kissmon_client_close(client, 15000);
    kissmon_stats stats;
    kissmon_client_stats(client, &stats);
    printf("c bot: close %s, sent %" PRIu64 ", dropped %" PRIu64 "\n", kissmon_status_str(closed), stats.sent,
           stats.dropped);
    kissmon_client_free(client);
    return closed == KISSMON_STATUS_OK && stats.dropped == 0 ? 0 : 1;
}
