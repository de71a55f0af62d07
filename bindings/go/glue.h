/* C glue for the Go module. Each wrapper calls one libkissmon function and,
 * on failure, copies the thread-local last error in the same C call: a
 * goroutine may run on another thread by its next call. The copies are
 * malloc'd and freed by the Go side (cgo.go: failure). */
#ifndef KISSMON_GO_GLUE_H
#define KISSMON_GO_GLUE_H

#include <stdlib.h>
#include <string.h>
#include "kissmon.h"

typedef struct kissmon_go_failure {
	char *message;
	char *argument;
} kissmon_go_failure;

static inline kissmon_status kissmon_go_check(kissmon_status status, kissmon_go_failure *failure) {
	if (status != KISSMON_STATUS_OK) {
		const char *argument = kissmon_last_error_argument();
		failure->message = strdup(kissmon_last_error_message());
		failure->argument = argument ? strdup(argument) : NULL;
	}
	return status;
}

static inline kissmon_status kissmon_go_client_new(const char *channel, size_t channel_len,
		const kissmon_options *options, kissmon_client **out, kissmon_go_failure *failure) {
	return kissmon_go_check(kissmon_client_new_n(channel, channel_len, options, out), failure);
}

static inline kissmon_status kissmon_go_register(const kissmon_client *client, const char *names,
		const size_t *name_lens, const bool *enabled, size_t count, kissmon_go_failure *failure) {
	return kissmon_go_check(kissmon_client_register_n(client, names, name_lens, enabled, count), failure);
}

static inline kissmon_status kissmon_go_log_llm_usage(const kissmon_client *client,
		const char *model, size_t model_len, const char *feature, size_t feature_len,
		const char *provider, size_t provider_len, const kissmon_llm_usage *usage,
		kissmon_go_failure *failure) {
	return kissmon_go_check(kissmon_client_log_llm_usage_n(client, model, model_len, feature,
		feature_len, provider, provider_len, usage), failure);
}

static inline kissmon_status kissmon_go_announce(const kissmon_client *client, double interval_s,
		kissmon_go_failure *failure) {
	return kissmon_go_check(kissmon_client_announce_heartbeat_interval(client, interval_s), failure);
}
#endif
