/*
 * The C API through the generated header: statuses and messages for NULL,
 * invalid UTF-8 and out-of-range arguments, decode_line, delivery to a real
 * monitor socket, many threads at once, a forked child, and a stuck monitor.
 */
#include <inttypes.h>
#include <sys/wait.h>

#include "kissmon.h"
#include "monitor.h"

static const char *last_argument(void) {
    const char *argument = kissmon_last_error_argument();
    return argument ? argument : "(none)";
}

#define CHECK_STATUS(call, expected, argument)                                                   \
    do {                                                                                         \
        kissmon_status got_ = (call);                                                            \
        CHECK(got_ == (expected), "%s returned %s (%s)", #call, kissmon_status_str(got_),        \
              kissmon_last_error_message());                                                     \
        CHECK(strcmp(last_argument(), (argument)) == 0, "%s named %s, expected %s", #call,       \
              last_argument(), (argument));                                                      \
    } while (0)

static kissmon_client *client_for(const char *path, bool fixed_pid) {
    kissmon_options options = {0};
    options.socket_path = path;
    options.has_pid = fixed_pid;
    options.pid = 4242;
    kissmon_client *client = NULL;
    kissmon_status status = kissmon_client_new("el_serda", &options, &client);
    CHECK(status == KISSMON_STATUS_OK && client != NULL, "client_new: %s", kissmon_last_error_message());
    return client;
}

static void test_bad_arguments(void) {
    kissmon_client *client = (kissmon_client *)&failures; /* must be reset to NULL */
    CHECK_STATUS(kissmon_client_new(NULL, NULL, &client), KISSMON_STATUS_NULL_ARGUMENT, "channel");
    CHECK(client == NULL, "out is NULL after a failure");
    CHECK_STATUS(kissmon_client_new("el_serda", NULL, NULL), KISSMON_STATUS_NULL_ARGUMENT, "out");
    CHECK_STATUS(kissmon_client_new("el\xff", NULL, &client), KISSMON_STATUS_INVALID_UTF8, "channel");
    CHECK_STATUS(kissmon_client_new("", NULL, &client), KISSMON_STATUS_INVALID_ARGUMENT, "channel");
    CHECK(strstr(kissmon_last_error_message(), "`channel`") != NULL, "message: %s", kissmon_last_error_message());

    kissmon_options options = {0};
    options.has_queue_capacity = true;
    options.queue_capacity = -1;
    CHECK_STATUS(kissmon_client_new("el_serda", &options, &client), KISSMON_STATUS_INVALID_ARGUMENT, "queue_capacity");
    options = (kissmon_options){0};
    options.has_pid = true;
    options.pid = 0;
    CHECK_STATUS(kissmon_client_new("el_serda", &options, &client), KISSMON_STATUS_INVALID_ARGUMENT, "pid");

    CHECK_STATUS(kissmon_client_heartbeat(NULL), KISSMON_STATUS_NULL_ARGUMENT, "client");
    CHECK_STATUS(kissmon_client_flush(NULL, 10), KISSMON_STATUS_NULL_ARGUMENT, "client");
    kissmon_client_free(NULL);
    kissmon_string_free(NULL);

    monitor m;
    monitor_start(&m);
    client = client_for(m.path, true);
    kissmon_llm_usage usage = {.model = "gpt-4", .feature = "jokes", .tokens_in = 1, .tokens_out = 1};
    CHECK_STATUS(kissmon_client_log_llm_usage(client, NULL), KISSMON_STATUS_NULL_ARGUMENT, "usage");
    usage.feature = NULL;
    CHECK_STATUS(kissmon_client_log_llm_usage(client, &usage), KISSMON_STATUS_NULL_ARGUMENT, "feature");
    usage.feature = "jokes";
    usage.provider = "open\xc3";
    CHECK_STATUS(kissmon_client_log_llm_usage(client, &usage), KISSMON_STATUS_INVALID_UTF8, "provider");
    usage.provider = NULL;
    usage.tokens_out = -7;
    CHECK_STATUS(kissmon_client_log_llm_usage(client, &usage), KISSMON_STATUS_INVALID_ARGUMENT, "tokens_out");
    usage.tokens_out = 1;
    usage.has_latency_ms = true;
    usage.latency_ms = -1.0;
    CHECK_STATUS(kissmon_client_log_llm_usage(client, &usage), KISSMON_STATUS_INVALID_ARGUMENT, "latency_ms");
    CHECK_STATUS(kissmon_client_start_heartbeat(client, 0.0), KISSMON_STATUS_INVALID_ARGUMENT, "interval");
    const char *names[] = {"llm", NULL};
    const bool enabled[] = {true, true};
    CHECK_STATUS(kissmon_client_register(client, names, enabled, 2), KISSMON_STATUS_NULL_ARGUMENT, "features");

    /* Nothing rejected reached the monitor. */
    CHECK(kissmon_client_flush(client, 2000) == KISSMON_STATUS_OK, "flush");
    kissmon_stats stats;
    CHECK(kissmon_client_stats(client, &stats) == KISSMON_STATUS_OK, "stats");
    CHECK(stats.sent == 0 && stats.queued == 0, "sent %" PRIu64 " queued %" PRIu64, stats.sent, stats.queued);
    kissmon_client_free(client);
    monitor_free(&m);
}

static void test_statuses_and_decode(void) {
    CHECK(strcmp(kissmon_status_str(KISSMON_STATUS_OK), "ok") == 0, "ok");
    CHECK(strcmp(kissmon_status_str(KISSMON_STATUS_TIMED_OUT), "timed out before everything was written") == 0, "t");
    CHECK(strcmp(kissmon_status_str(1234), "unknown status") == 0, "unknown");
    CHECK(strcmp(kissmon_version(), "") != 0, "version");
    kissmon_abi_v2();

    const char *line = "{\"type\":\"heartbeat\",\"channel\":\"el_serda\",\"pid\":12345,\"v\":1}";
    char *json = NULL;
    kissmon_decode_error error;
    CHECK(kissmon_decode_line((const uint8_t *)line, strlen(line), &json, &error) == KISSMON_STATUS_OK, "decode");
    CHECK(json && strcmp(json, "{\"type\":\"heartbeat\",\"channel\":\"el_serda\",\"pid\":12345,\"v\":1}") == 0, "%s",
          json ? json : "NULL");
    kissmon_string_free(json);

    const char *bad = "{\"type\":\"llm_usage\",\"channel\":\"el_serda\",\"model\":\"gpt-4\",\"feature\":\"jokes\","
                      "\"tokens_in\":-1,\"tokens_out\":1}";
    CHECK(kissmon_decode_line((const uint8_t *)bad, strlen(bad), &json, &error) == KISSMON_STATUS_DECODE_FAILED, "bad");
    CHECK(json == NULL, "no json on failure");
    CHECK(error.error_class == KISSMON_ERROR_CLASS_INVALID_FIELD, "class %s", kissmon_error_class_str(error.error_class));
    CHECK(error.field && strcmp(error.field, "tokens_in") == 0, "field %s", error.field ? error.field : "NULL");
    kissmon_decode_error_free(&error);
    CHECK(error.field == NULL && error.detail == NULL, "freed");
}

/* Many threads log at once; every token logged is delivered (sent or folded, never lost). */
#define THREADS 4
#define CALLS_PER_THREAD 5000

static void *log_many(void *arg) {
    kissmon_client *client = arg;
    kissmon_llm_usage usage = {.model = "gpt-4", .feature = "jokes", .tokens_in = 3, .tokens_out = 2};
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        if (kissmon_client_log_llm_usage(client, &usage) != KISSMON_STATUS_OK) abort();
        if (i % 100 == 0) kissmon_client_heartbeat(client);
    }
    return NULL;
}

static uint64_t total_tokens_in(monitor *m) {
    uint64_t total = 0;
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->n_lines; i++) {
        const char *field = strstr(m->lines[i], "\"tokens_in\":");
        if (field) total += strtoull(field + strlen("\"tokens_in\":"), NULL, 10);
    }
    pthread_mutex_unlock(&m->lock);
    return total;
}

static void test_many_threads(void) {
    monitor m;
    monitor_start(&m);
    kissmon_client *client = client_for(m.path, true);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, log_many, client);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    CHECK(kissmon_client_flush(client, 5000) == KISSMON_STATUS_OK, "flush: %s", kissmon_last_error_message());
    kissmon_stats stats;
    kissmon_client_stats(client, &stats);
    CHECK(stats.dropped == 0, "dropped %" PRIu64, stats.dropped);
    monitor_wait_lines(&m, (int)stats.sent, 3000);
    uint64_t expected = (uint64_t)THREADS * CALLS_PER_THREAD * 3;
    CHECK(total_tokens_in(&m) == expected, "tokens_in %" PRIu64 ", expected %" PRIu64, total_tokens_in(&m), expected);
    kissmon_client_free(client);
    monitor_free(&m);
}

/* A forked child reports on a connection of its own, with its own pid. */
static void test_fork(void) {
    monitor m;
    monitor_start(&m);
    kissmon_client *client = client_for(m.path, false);
    CHECK(kissmon_client_heartbeat(client) == KISSMON_STATUS_OK, "parent heartbeat");
    CHECK(kissmon_client_flush(client, 2000) == KISSMON_STATUS_OK, "parent flush");
    pid_t child = fork();
    if (child == 0) {
        kissmon_client_heartbeat(client);
        _exit(kissmon_client_flush(client, 2000) == KISSMON_STATUS_OK ? 0 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    char child_pid[64];
    snprintf(child_pid, sizeof child_pid, "\"pid\":%d", (int)child);
    monitor_wait_lines(&m, 2, 2000);
    CHECK(monitor_count(&m, child_pid) == 1, "one line from the child's pid %d", (int)child);
    CHECK(monitor_accepted(&m) == 2, "the child made its own connection (%d)", monitor_accepted(&m));
    kissmon_client_free(client);
    monitor_free(&m);
}

/* A monitor that accepts and never reads: calls stay quick, nothing is lost once it reads. */
static void test_stuck_monitor(void) {
    monitor m;
    monitor_start(&m);
    monitor_set_reading(&m, 0);
    kissmon_client *client = client_for(m.path, true);
    char model[200];
    memset(model, 'm', sizeof model - 1);
    model[sizeof model - 1] = '\0';
    kissmon_llm_usage usage = {.model = model, .feature = "jokes", .tokens_in = 5, .tokens_out = 1};
    double slowest = 0;
    const int calls = 20000;
    for (int i = 0; i < calls; i++) {
        double start = now_s();
        kissmon_status status = kissmon_client_log_llm_usage(client, &usage);
        double took = now_s() - start;
        if (took > slowest) slowest = took;
        if (status != KISSMON_STATUS_OK) CHECK(0, "call %d: %s", i, kissmon_last_error_message());
    }
    /* A blocked call would wait on the monitor for seconds, or forever. The
     * bound is loose because a loaded 2-core machine may deschedule this
     * thread for tens of milliseconds; the benchmark measures the real cost. */
    CHECK(slowest < 1.0, "slowest call took %.3f s", slowest);
    kissmon_stats stats;
    kissmon_client_stats(client, &stats);
    CHECK(stats.coalesced > 0, "the stuck queue folded calls (coalesced %" PRIu64 ")", stats.coalesced);
    monitor_set_reading(&m, 1);
    CHECK(kissmon_client_flush(client, 5000) == KISSMON_STATUS_OK, "flush after the monitor reads");
    kissmon_client_stats(client, &stats);
    monitor_wait_lines(&m, (int)stats.sent, 3000);
    CHECK(stats.dropped == 0, "dropped %" PRIu64, stats.dropped);
    CHECK(total_tokens_in(&m) == (uint64_t)calls * 5, "tokens_in %" PRIu64, total_tokens_in(&m));
    kissmon_client_free(client);
    monitor_free(&m);
}

int main(void) {
    test_bad_arguments();
    test_statuses_and_decode();
    test_many_threads();
    test_fork();
    test_stuck_monitor();
    printf("test_api: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
