/*
 * SIGPIPE must never kill the host program. This process keeps SIGPIPE's
 * default action (terminate), fills the socket of a monitor that stopped
 * reading, then kills the monitor in the middle of a write. The library's
 * sender thread gets EPIPE; if it raised SIGPIPE, this process would die.
 */
#include <inttypes.h>
#include <signal.h>

#include "kissmon.h"
#include "monitor.h"

static kissmon_stats stats_of(kissmon_client *client) {
    kissmon_stats stats;
    if (kissmon_client_stats(client, &stats) != KISSMON_STATUS_OK) abort();
    return stats;
}

int main(void) {
    signal(SIGPIPE, SIG_DFL); /* even if the parent ignored it */

    char model[250];
    memset(model, 'x', sizeof model - 1);
    model[sizeof model - 1] = '\0';
    kissmon_llm_usage usage = {.model = model, .feature = "jokes", .tokens_in = 1, .tokens_out = 1};
    kissmon_client *client = NULL;
    monitor m;
    /* A monitor that dies while a line is half written makes the next write
     * fail with EPIPE; one that dies between two lines is noticed by a read
     * first. Which one happens is up to timing, so repeat until a write did. */
    bool got_epipe = false;
    for (int round = 0; round < 20 && !got_epipe; round++) {
        monitor_start(&m);
        monitor_set_reading(&m, 0);
        if (client == NULL) {
            kissmon_options options = {0};
            options.socket_path = m.path;
            if (kissmon_client_new("el_serda", &options, &client) != KISSMON_STATUS_OK) return 2;
        }
        /* Write until the socket is full: lines sent, more waiting, none taken for a while. */
        double deadline = now_s() + 5;
        uint64_t last_sent = UINT64_MAX;
        int quiet_rounds = 0;
        while (now_s() < deadline && quiet_rounds < 5) {
            for (int i = 0; i < 2000; i++) kissmon_client_log_llm_usage(client, &usage);
            sleep_ms(10);
            kissmon_stats stats = stats_of(client);
            quiet_rounds = (stats.connected && stats.sent > 0 && stats.sent == last_sent) ? quiet_rounds + 1 : 0;
            last_sent = stats.sent;
        }
        CHECK(quiet_rounds >= 5, "the socket never filled up");

        monitor_kill(&m); /* closes the connection with unread data */
        deadline = now_s() + 5;
        while (now_s() < deadline && stats_of(client).connected) {
            kissmon_client_log_llm_usage(client, &usage);
            kissmon_client_heartbeat(client);
            sleep_ms(1);
        }
        kissmon_stats stats = stats_of(client);
        CHECK(!stats.connected, "the client noticed the monitor died");
        char *warnings = NULL;
        CHECK(kissmon_client_take_warnings(client, &warnings) == KISSMON_STATUS_OK && warnings, "warnings");
        got_epipe = warnings && strstr(warnings, "write failed: Broken pipe");
        printf("round %d: survived the monitor dying mid-write, sent %" PRIu64 "; warnings:\n%s\n", round,
               stats.sent, warnings ? warnings : "(none)");
        kissmon_string_free(warnings);
        monitor_free(&m);
        /* The same path is used again by the next round's monitor: a new one. */
    }
    CHECK(got_epipe, "no round made a write get EPIPE");

    /* The client goes on working: calls are queued while the monitor is away. */
    CHECK(kissmon_client_heartbeat(client) == KISSMON_STATUS_OK, "heartbeat after the monitor died");
    CHECK(kissmon_client_close(client, 100) == KISSMON_STATUS_TIMED_OUT, "close reports what was not delivered");
    kissmon_client_free(client);
    printf("test_sigpipe: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
