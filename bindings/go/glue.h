/* C glue for the Go module. Each wrapper calls one libkissmon function and,
 * on failure, copies the thread-local last error in the same C call: a
 * goroutine may run on another thread by its next call. The copies are
 * malloc'd and freed by the Go side (cgo.go: failure). */
#ifndef KISSMON_GO_GLUE_H
#define KISSMON_GO_GLUE_H

#include <stdlib.h>
#include <string.h>
#include "kissmon.h"

/* Returned by value: an out-parameter would be one more pointer for cgo to check. */
typedef struct kissmon_go_result {
	kissmon_status status;
	char *message;  /* NULL on success */
	char *argument; /* NULL when the failure names no argument */
} kissmon_go_result;

static inline kissmon_go_result kissmon_go_check(kissmon_status status) {
	kissmon_go_result result = {status, NULL, NULL};
	if (status != KISSMON_STATUS_OK) {
		const char *argument = kissmon_last_error_argument();
		result.message = strdup(kissmon_last_error_message());
		result.argument = argument ? strdup(argument) : NULL;
	}
	return result;
}

static inline kissmon_go_result kissmon_go_client_new(const char *channel, size_t channel_len,
		const kissmon_options *options, kissmon_client **out) {
	return kissmon_go_check(kissmon_client_new_n(channel, channel_len, options, out));
}

static inline kissmon_go_result kissmon_go_register(const kissmon_client *client, const char *names,
		const size_t *name_lens, const bool *enabled, size_t count) {
	return kissmon_go_check(kissmon_client_register_n(client, names, name_lens, enabled, count));
}

/* Which optional fields of kissmon_go_log_llm_usage are set. */
enum {
	KISSMON_GO_LATENCY = 1,
	KISSMON_GO_CACHE_READ = 2,
	KISSMON_GO_REASONING = 4,
	KISSMON_GO_COST = 8,
	KISSMON_GO_OK = 16,
};

/* Scalars only besides the strings: cgo then checks no struct for Go
 * pointers, which is most of what a cgo call costs beyond the call itself. */
static inline kissmon_go_result kissmon_go_log_llm_usage(const kissmon_client *client,
		const char *model, size_t model_len, const char *feature, size_t feature_len,
		const char *provider, size_t provider_len, int64_t tokens_in, int64_t tokens_out,
		unsigned set, double latency_ms, int64_t cache_read_tokens, int64_t reasoning_tokens,
		double cost_usd, bool ok) {
	kissmon_llm_usage usage = {
		.tokens_in = tokens_in,
		.tokens_out = tokens_out,
		.has_latency_ms = (set & KISSMON_GO_LATENCY) != 0,
		.latency_ms = latency_ms,
		.has_cache_read_tokens = (set & KISSMON_GO_CACHE_READ) != 0,
		.cache_read_tokens = cache_read_tokens,
		.has_reasoning_tokens = (set & KISSMON_GO_REASONING) != 0,
		.reasoning_tokens = reasoning_tokens,
		.has_cost_usd = (set & KISSMON_GO_COST) != 0,
		.cost_usd = cost_usd,
		.has_ok = (set & KISSMON_GO_OK) != 0,
		.ok = ok,
	};
	return kissmon_go_check(kissmon_client_log_llm_usage_n(client, model, model_len, feature,
		feature_len, provider, provider_len, &usage));
}

static inline kissmon_go_result kissmon_go_start_host_heartbeat(const kissmon_client *client,
		double interval_s, uint64_t *schedule) {
	return kissmon_go_check(kissmon_client_start_host_heartbeat(client, interval_s, schedule));
}
#endif
