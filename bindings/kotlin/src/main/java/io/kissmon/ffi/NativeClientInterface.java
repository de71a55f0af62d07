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
    public void logLlmUsage(NativeUsage usage) throws NativeException;
    public long pid();
    public void register(java.util.Map<java.lang.String, java.lang.Boolean> features) throws NativeException;
    
    /**
     * The core's sender thread fires the beats: no JVM thread is involved.
     */public void startHeartbeat(double intervalS) throws NativeException;
    public NativeStats stats();
    public void stopHeartbeat();
    public void unregister();
    
}

