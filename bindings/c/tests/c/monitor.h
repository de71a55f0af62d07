/*
 * A real monitor for the C tests: a Unix listener on its own thread that
 * records every line it reads. It can stop reading (a stuck monitor) and
 * die (listener and connections closed, socket file removed).
 */
#ifndef KISSMON_TEST_MONITOR_H
#define KISSMON_TEST_MONITOR_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MONITOR_MAX_CONNS 16
#define MONITOR_MAX_LINES 65536
#define MONITOR_LINE_BYTES 70000

typedef struct monitor {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int listen_fd;
    int conns[MONITOR_MAX_CONNS];
    char *partial[MONITOR_MAX_CONNS];
    size_t partial_len[MONITOR_MAX_CONNS];
    int n_conns;
    char *lines[MONITOR_MAX_LINES];
    int n_lines;
    int reading;
    int stop;
    pthread_t thread;
    pthread_mutex_t lock;
} monitor;

static int failures = 0;

/* Records a failed check and goes on, so one run reports every failure. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline void monitor_take_line(monitor *m, int i, const char *bytes, size_t n) {
    char *buf = realloc(m->partial[i], m->partial_len[i] + n + 1);
    if (!buf) abort();
    memcpy(buf + m->partial_len[i], bytes, n);
    m->partial_len[i] += n;
    buf[m->partial_len[i]] = '\0';
    m->partial[i] = buf;
    char *start = buf, *newline;
    while ((newline = memchr(start, '\n', m->partial_len[i] - (size_t)(start - buf)))) {
        *newline = '\0';
        if (m->n_lines == MONITOR_MAX_LINES) {
            /* A test that needs more must say so, not lose lines quietly. */
            fprintf(stderr, "monitor.h: more than %d lines received\n", MONITOR_MAX_LINES);
            abort();
        }
        m->lines[m->n_lines++] = strdup(start);
        start = newline + 1;
    }
    size_t rest = m->partial_len[i] - (size_t)(start - buf);
    memmove(buf, start, rest);
    m->partial_len[i] = rest;
}

static inline void *monitor_run(void *arg) {
    monitor *m = arg;
    char chunk[65536];
    for (;;) {
        struct pollfd fds[MONITOR_MAX_CONNS + 1];
        pthread_mutex_lock(&m->lock);
        if (m->stop) {
            pthread_mutex_unlock(&m->lock);
            return NULL;
        }
        int n = 0, reading = m->reading;
        fds[n++] = (struct pollfd){m->listen_fd, POLLIN, 0};
        for (int i = 0; i < m->n_conns && reading; i++) fds[n++] = (struct pollfd){m->conns[i], POLLIN, 0};
        pthread_mutex_unlock(&m->lock);
        if (poll(fds, (nfds_t)n, 10) <= 0) continue;
        pthread_mutex_lock(&m->lock);
        if (!m->stop && (fds[0].revents & POLLIN) && m->n_conns < MONITOR_MAX_CONNS) {
            int fd = accept(m->listen_fd, NULL, NULL);
            if (fd >= 0) m->conns[m->n_conns++] = fd;
        }
        for (int k = 1; k < n && !m->stop; k++) {
            if (!fds[k].revents) continue;
            int i = k - 1;
            ssize_t got = read(m->conns[i], chunk, sizeof chunk);
            if (got > 0) monitor_take_line(m, i, chunk, (size_t)got);
        }
        pthread_mutex_unlock(&m->lock);
    }
}

/* Starts a monitor on a fresh socket path under /tmp. */
static inline void monitor_start(monitor *m) {
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "/tmp/kissmon-c-%d-%p.sock", (int)getpid(), (void *)m);
    unlink(m->path);
    pthread_mutex_init(&m->lock, NULL);
    m->reading = 1;
    m->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {0};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, m->path, sizeof addr.sun_path - 1);
    if (m->listen_fd < 0 || bind(m->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(m->listen_fd, 16) != 0) {
        perror("monitor_start");
        exit(2);
    }
    pthread_create(&m->thread, NULL, monitor_run, m);
}

static inline void monitor_set_reading(monitor *m, int reading) {
    pthread_mutex_lock(&m->lock);
    m->reading = reading;
    pthread_mutex_unlock(&m->lock);
}

static inline int monitor_accepted(monitor *m) {
    pthread_mutex_lock(&m->lock);
    int n = m->n_conns;
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* Waits up to timeout_ms until at least n lines arrived; returns how many did. */
static inline int monitor_wait_lines(monitor *m, int n, int timeout_ms) {
    double deadline = now_s() + timeout_ms / 1000.0;
    for (;;) {
        pthread_mutex_lock(&m->lock);
        int got = m->n_lines;
        pthread_mutex_unlock(&m->lock);
        if (got >= n || now_s() >= deadline) return got;
        sleep_ms(5);
    }
}

/* How many recorded lines contain `needle`. */
static inline int monitor_count(monitor *m, const char *needle) {
    pthread_mutex_lock(&m->lock);
    int count = 0;
    for (int i = 0; i < m->n_lines; i++) count += strstr(m->lines[i], needle) != NULL;
    pthread_mutex_unlock(&m->lock);
    return count;
}

/* Dies like a killed monitor: every connection and the listener closed, the socket file removed. */
static inline void monitor_kill(monitor *m) {
    pthread_mutex_lock(&m->lock);
    m->stop = 1;
    for (int i = 0; i < m->n_conns; i++) {
        shutdown(m->conns[i], SHUT_RDWR);
        close(m->conns[i]);
    }
    m->n_conns = 0;
    close(m->listen_fd);
    unlink(m->path);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
}

static inline void monitor_free(monitor *m) {
    if (!m->stop) monitor_kill(m);
    for (int i = 0; i < m->n_lines; i++) free(m->lines[i]);
    for (int i = 0; i < MONITOR_MAX_CONNS; i++) free(m->partial[i]);
    pthread_mutex_destroy(&m->lock);
}

#endif
