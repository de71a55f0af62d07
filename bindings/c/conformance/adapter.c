/* The C adapter of the kissmon conformance harness: reads one command per
 * line on stdin, makes the call through kissmon.h's NUL-terminated entry
 * points, and answers on stdout (conformance/README.md, "Adapter protocol").
 * It only converts; a value C's types cannot hold (a fraction for an
 * int64_t, a string with a NUL inside) is answered as not applicable. */
#define _POSIX_C_SOURCE 200809L
#include <kissmon.h>
#include <stdio.h>

#include "json.h"

static kissmon_client *client;
static char not_applicable[256];

/* Writes `text` as a JSON string. */
static void put_string(const char *text) {
  putchar('"');
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
    if (*c == '"' || *c == '\\') printf("\\%c", *c);
    else if (*c < 0x20) printf("\\u%04x", *c);
    else putchar(*c);
  }
  putchar('"');
}

static bool cannot_hold(const char *argument, const char *c_type) {
  snprintf(not_applicable, sizeof not_applicable, "`%s` is not a %s", argument, c_type);
  return false;
}

/* A NUL-terminated string, or NULL when the value is absent. False: C cannot hold it. */
static bool text(const struct json *v, const char *argument, const char **out) {
  *out = NULL;
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_STRING) return cannot_hold(argument, "string");
  if (strlen(v->string) != v->length) return cannot_hold(argument, "NUL-terminated string (it holds U+0000)");
  *out = v->string;
  return true;
}

/* Sets *has and *out from an integer, when the value is there. */
static bool int64(const struct json *v, const char *argument, bool *has, int64_t *out) {
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_NUMBER || !v->integer) return cannot_hold(argument, "int64_t");
  *has = true;
  *out = v->int_value;
  return true;
}

static bool real(const struct json *v, const char *argument, bool *has, double *out) {
  if (!v || v->type == JSON_NULL) return true;
  if (v->type != JSON_NUMBER) return cannot_hold(argument, "double");
  *has = true;
  *out = v->number;
  return true;
}

static bool new_client(const struct json *spec, const char *socket, kissmon_status *status) {
  const char *channel;
  kissmon_options o = {0};
  o.socket_path = socket;
  if (!text(json_get(spec, "channel"), "channel", &channel) || !int64(json_get(spec, "pid"), "pid", &o.has_pid, &o.pid) ||
      !int64(json_get(spec, "queue_capacity"), "queue_capacity", &o.has_queue_capacity, &o.queue_capacity) ||
      !int64(json_get(spec, "max_aggregates"), "max_aggregates", &o.has_max_aggregates, &o.max_aggregates) ||
      !real(json_get(spec, "heartbeat_interval_s"), "heartbeat_interval", &o.has_heartbeat_interval, &o.heartbeat_interval_s))
    return false;
  kissmon_client_free(client);
  client = NULL;
  *status = kissmon_client_new(channel, &o, &client);
  return true;
}

static bool log_usage(const struct json *args, kissmon_status *status) {
  kissmon_llm_usage u = {0};
  bool has = false;
  if (!text(json_get(args, "model"), "model", &u.model) || !text(json_get(args, "feature"), "feature", &u.feature) ||
      !int64(json_get(args, "tokens_in"), "tokens_in", &has, &u.tokens_in) ||
      !int64(json_get(args, "tokens_out"), "tokens_out", &has, &u.tokens_out) ||
      !real(json_get(args, "latency_ms"), "latency_ms", &u.has_latency_ms, &u.latency_ms) ||
      !text(json_get(args, "provider"), "provider", &u.provider) ||
      !int64(json_get(args, "cache_read_tokens"), "cache_read_tokens", &u.has_cache_read_tokens, &u.cache_read_tokens) ||
      !int64(json_get(args, "reasoning_tokens"), "reasoning_tokens", &u.has_reasoning_tokens, &u.reasoning_tokens) ||
      !real(json_get(args, "cost_usd"), "cost_usd", &u.has_cost_usd, &u.cost_usd))
    return false;
  const struct json *ok = json_get(args, "ok");
  if (ok && ok->type == JSON_BOOL) u.has_ok = true, u.ok = ok->boolean;
  *status = kissmon_client_log_llm_usage(client, &u);
  return true;
}

static bool do_register(const struct json *features, kissmon_status *status) {
  size_t n = features ? features->count : 0;
  const char **names = calloc(n + 1, sizeof *names);
  bool *enabled = calloc(n + 1, sizeof *enabled), fits = true;
  for (size_t i = 0; fits && i < n; i++) {
    fits = text(&features->keys[i], "features", &names[i]);
    if (fits && features->values[i].type != JSON_BOOL) fits = cannot_hold("features", "bool");
    enabled[i] = features->values[i].boolean;
  }
  if (fits) *status = kissmon_client_register(client, names, enabled, n);
  free(names);
  free(enabled);
  return fits;
}

static bool call(const char *method, const struct json *args, kissmon_status *status) {
  bool has;
  double seconds = 0;
  if (!strcmp(method, "register")) return do_register(json_get(args, "features"), status);
  if (!strcmp(method, "heartbeat")) *status = kissmon_client_heartbeat(client);
  else if (!strcmp(method, "unregister")) *status = kissmon_client_unregister(client);
  else if (!strcmp(method, "log_llm_usage")) return log_usage(args, status);
  else if (!strcmp(method, "start_heartbeat")) {
    if (!real(json_get(args, "interval_s"), "interval", &has, &seconds)) return false;
    *status = kissmon_client_start_heartbeat(client, seconds);
  } else if (!strcmp(method, "stop_heartbeat")) *status = kissmon_client_stop_heartbeat(client);
  else *status = KISSMON_STATUS_PANIC;
  return true;
}

static void decode(const struct json *command) {
  const struct json *hex = json_get(command, "hex"), *text = json_get(command, "text");
  size_t len = hex ? hex->length / 2 : text->length;
  uint8_t *line = malloc(len + 1);
  for (size_t i = 0; hex && i < len; i++) sscanf(hex->string + 2 * i, "%2hhx", &line[i]);
  if (!hex) memcpy(line, text->string, len);
  char *message = NULL;
  kissmon_decode_error error = {0};
  if (kissmon_decode_line(line, len, &message, &error) == KISSMON_STATUS_OK) {
    printf("{\"ok\":%s}\n", message);
  } else {
    printf("{\"error\":\"%s\",\"field\":", kissmon_error_class_str(error.error_class));
    error.field ? put_string(error.field) : (void)printf("null");
    printf("}\n");
  }
  kissmon_string_free(message);
  kissmon_decode_error_free(&error);
  free(line);
}

static void answer(kissmon_status status, const char *ok) {
  if (status == KISSMON_STATUS_OK) printf("{\"ok\":%s}\n", ok);
  else if (status == KISSMON_STATUS_INVALID_ARGUMENT) {
    printf("{\"error\":\"invalid_argument\",\"argument\":");
    put_string(kissmon_last_error_argument());
    printf(",\"detail\":");
    put_string(kissmon_last_error_message());
    printf("}\n");
  } else printf("{\"error\":\"other\",\"detail\":\"%s\"}\n", kissmon_status_str(status));
}

static void handle(const struct json *command) {
  const char *cmd = json_get(command, "cmd")->string;
  const struct json *timeout = json_get(command, "timeout_ms");
  kissmon_status status = KISSMON_STATUS_OK;
  bool fits = true;
  if (!strcmp(cmd, "hello")) printf("{\"ok\":{\"lang\":\"c\"}}\n");
  else if (!strcmp(cmd, "decode")) decode(command);
  else if (!strcmp(cmd, "flush") || !strcmp(cmd, "close")) {
    status = (*cmd == 'f' ? kissmon_client_flush : kissmon_client_close)(client, (uint64_t)timeout->int_value);
    status == KISSMON_STATUS_TIMED_OUT ? answer(KISSMON_STATUS_OK, "false") : answer(status, "true");
  } else if (!strcmp(cmd, "stats")) {
    kissmon_stats s;
    kissmon_client_stats(client, &s);
    printf("{\"ok\":{\"queued\":%llu,\"sent\":%llu,\"dropped\":%llu,\"coalesced\":%llu,\"reconnects\":%llu,"
           "\"acked\":%llu,\"unacked\":%llu,\"resent\":%llu,\"acks_active\":%s,\"connected\":%s}}\n",
           (unsigned long long)s.queued, (unsigned long long)s.sent, (unsigned long long)s.dropped,
           (unsigned long long)s.coalesced, (unsigned long long)s.reconnects, (unsigned long long)s.acked,
           (unsigned long long)s.unacked, (unsigned long long)s.resent, s.acks_active ? "true" : "false",
           s.connected ? "true" : "false");
  } else {
    fits = !strcmp(cmd, "new_client")
               ? new_client(json_get(command, "client"), json_get(command, "socket")->string, &status)
               : call(json_get(command, "method")->string, json_get(command, "args"), &status);
    if (fits) answer(status, "null");
    else {
      printf("{\"not_applicable\":");
      put_string(not_applicable);
      printf("}\n");
    }
  }
  fflush(stdout);
}

int main(void) {
  char *line = NULL;
  size_t capacity = 0;
  while (getline(&line, &capacity, stdin) > 0) {
    struct json command = {0};
    if (!json_value(json_skip(line), &command)) return 1;
    handle(&command);
    json_free(&command);
  }
  free(line);
  kissmon_client_close(client, 0);
  kissmon_client_free(client);
  return 0;
}
