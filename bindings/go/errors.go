package kissmon

import "errors"

// ArgumentError is returned when an argument breaks a rule of the protocol.
// It is the only error the reporting calls return: the monitor's state
// (absent, slow, stuck, restarting) never is an error.
type ArgumentError struct {
	// Argument is the protocol's snake_case name of the bad argument, the
	// same in every kissmon language: "channel", "pid", "socket_path",
	// "queue_capacity", "max_aggregates", "heartbeat_interval", "features",
	// "model", "feature", "tokens_in", "tokens_out", "latency_ms", "provider",
	// "cache_read_tokens", "reasoning_tokens", "cost_usd", "interval".
	// LLMUsage.TokensIn is "tokens_in", WithQueueCapacity is "queue_capacity", and so on.
	Argument string
	// Message says what is wrong, e.g. "invalid argument `tokens_in`: must be an integer in 0..=9007199254740992, got -1".
	Message string
}

func (e *ArgumentError) Error() string { return "kissmon: " + e.Message }

// Error is any other failure of the C library: the sender thread could not
// start, or a bug was caught at the library's boundary.
type Error struct {
	// Status is the library's kissmon_status code.
	Status  int
	Message string
}

func (e *Error) Error() string { return "kissmon: " + e.Message }

// ErrNotDelivered is wrapped by the error Flush and Close return when not
// everything was written to the monitor before the deadline; the context's
// error is wrapped too when the context ended.
var ErrNotDelivered = errors.New("kissmon: not everything was delivered to the monitor")

// DecodeError is returned by DecodeLine for a line that breaks the protocol.
type DecodeError struct {
	// Class is the spec's error class: "line_too_long", "invalid_utf8",
	// "invalid_json", "not_object", "unknown_type", "missing_field" or "invalid_field".
	Class string
	// Field is the field at fault (e.g. "pid"), or "" when the class names none.
	Field string
	// Detail says what is wrong, for people; never compare it.
	Detail string
}

func (e *DecodeError) Error() string {
	if e.Field != "" {
		return "kissmon: " + e.Class + ": `" + e.Field + "` " + e.Detail
	}
	return "kissmon: " + e.Class + ": " + e.Detail
}
