package io.kissmon.ffi;

/**
 * A client of one bot; see `io.kissmon.MonitorClient`.
 */
public interface NativeClientInterface {
    public java.lang.String channel();
    public boolean close(double timeoutS) throws NativeException;
    public boolean flush(double timeoutS) throws NativeException;
    public void heartbeat();
    public java.lang.String instance();
    
    /**
     * The id of `name` in this client's table (at least 1), for
     * `log_llm_usage_ids`. A name gets none when it is longer than any name
     * the core accepts (0: pass the record), or when it is new and the table
     * is full (negative: so is every later new name). Checks nothing: the
     * core checks names on every call.
     */public int intern(java.lang.String name);
    
    /**
     * One LLM call, as a record: for names without an id (see `intern`).
     */public void logLlmUsage(NativeUsage usage) throws NativeException;
    
    /**
     * One LLM call, with names by their `intern` id (`provider` 0: none)
     * and numbers as they are. `present` says which optional fields are set
     * (the bits of `present_bits()`); the others' values are ignored. The
     * core checks the call exactly as it checks `log_llm_usage`.
     */public void logLlmUsageIds(int model, int feature, int provider, long tokensIn, long tokensOut, int present, double latencyMs, long cacheReadTokens, long reasoningTokens, double costUsd) throws NativeException;
    public long pid();
    public void register(java.util.Map<java.lang.String, java.lang.Boolean> features) throws NativeException;
    
    /**
     * The core's sender thread fires the beats: no JVM thread is involved.
     */public void startHeartbeat(double intervalS) throws NativeException;
    public NativeStats stats();
    public void stopHeartbeat();
    public void unregister();
    
}

