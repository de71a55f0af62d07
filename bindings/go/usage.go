package kissmon

// LLMUsage is one LLM call, reported with Client.LogLLMUsage. Model,
// Feature and the token counts are required; the pointer fields are
// optional (nil: absent). Limits are checked by the library, which names
// the field at fault in an *ArgumentError.
type LLMUsage struct {
	Model     string // 1..=256 bytes
	Feature   string // the bot feature that made the call, 1..=128 bytes
	TokensIn  int64  // 0..=2^53
	TokensOut int64  // 0..=2^53

	LatencyMs       *float64 // wall time of the call in milliseconds, >= 0
	Provider        *string  // who served the call: "openai", "anthropic", ... (1..=64 bytes)
	CacheReadTokens *int64   // input tokens served from the provider's prompt cache
	ReasoningTokens *int64   // output tokens spent on reasoning
	CostUSD         *float64 // what the call cost in US dollars, >= 0
	OK              *bool    // whether the call succeeded
}

// Ptr returns a pointer to v, for LLMUsage's optional fields:
// LLMUsage{..., LatencyMs: kissmon.Ptr(1850.0), Provider: kissmon.Ptr("openai")}.
func Ptr[T any](v T) *T { return &v }
