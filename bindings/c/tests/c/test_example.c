/*
 * Runs the README's example program (path in argv[1]) against a real
 * monitor and checks what the monitor received, then runs it again with no
 * monitor at all: it must still exit 0 promptly.
 */
#include <sys/wait.h>

#include "monitor.h"

static int run(const char *program, const char *socket_path) {
    pid_t child = fork();
    if (child == 0) {
        execl(program, program, socket_path, (char *)NULL);
        perror("execl");
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_example <example program>\n");
        return 2;
    }
    monitor m;
    monitor_start(&m);
    CHECK(run(argv[1], m.path) == 0, "the example exits 0");
    /* start_heartbeat's first beat is racing close: 3 or 4 lines. */
    int lines = monitor_wait_lines(&m, 3, 3000);
    CHECK(lines == 3 || lines == 4, "3 or 4 lines, got %d", lines);
    CHECK(monitor_count(&m, "\"type\":\"register\"") == 1, "one register");
    CHECK(monitor_count(&m, "\"features\":{\"llm\":true,\"translator\":false}") == 1, "its features");
    CHECK(monitor_count(&m, "\"sdk\":{\"lang\":\"c\"") == 1, "sdk.lang c");
    CHECK(monitor_count(&m, "\"heartbeat_interval_s\":30.0") == 1, "announced interval");
    CHECK(monitor_count(&m, "\"type\":\"heartbeat\"") == lines - 3, "at most one heartbeat");
    CHECK(monitor_count(&m, "\"type\":\"llm_usage\",\"channel\":\"el_serda\",\"model\":\"gpt-4\",\"feature\":\"jokes\","
                            "\"tokens_in\":145,\"tokens_out\":87,\"latency_ms\":1850.0") == 1,
          "the LLM call, and not the rejected one");
    CHECK(monitor_count(&m, "\"type\":\"unregister\"") == 1, "close unregisters");
    monitor_free(&m);

    double start = now_s();
    CHECK(run(argv[1], "/tmp/kissmon-no-monitor-here.sock") == 0, "the example exits 0 without a monitor");
    CHECK(now_s() - start < 5, "close gave up after its 2 s timeout (took %.1f s)", now_s() - start);
    printf("test_example %s: %d failed\n", argv[1], failures);
    return failures == 0 ? 0 : 1;
}
