package io.kissmon.ffi;

/**
 * Counters and state of a client (the core's `Stats`).
 */
public class NativeStats {
    private long queued;
    private long sent;
    private long dropped;
    private long coalesced;
    private long reconnects;
    private boolean connected;
    private java.lang.String lastError;

    public NativeStats(
        long queued, 
        long sent, 
        long dropped, 
        long coalesced, 
        long reconnects, 
        boolean connected, 
        java.lang.String lastError
    ) {
        
        this.queued = queued;
        
        this.sent = sent;
        
        this.dropped = dropped;
        
        this.coalesced = coalesced;
        
        this.reconnects = reconnects;
        
        this.connected = connected;
        
        this.lastError = lastError;
    }
    
    public long queued() {
        return this.queued;
    }
    
    public long sent() {
        return this.sent;
    }
    
    public long dropped() {
        return this.dropped;
    }
    
    public long coalesced() {
        return this.coalesced;
    }
    
    public long reconnects() {
        return this.reconnects;
    }
    
    public boolean connected() {
        return this.connected;
    }
    
    public java.lang.String lastError() {
        return this.lastError;
    }
    public void setQueued(long queued) {
        this.queued = queued;
    }
    public void setSent(long sent) {
        this.sent = sent;
    }
    public void setDropped(long dropped) {
        this.dropped = dropped;
    }
    public void setCoalesced(long coalesced) {
        this.coalesced = coalesced;
    }
    public void setReconnects(long reconnects) {
        this.reconnects = reconnects;
    }
    public void setConnected(boolean connected) {
        this.connected = connected;
    }
    public void setLastError(java.lang.String lastError) {
        this.lastError = lastError;
    }

    

    
    @Override
    public boolean equals(java.lang.Object _uniffiOther) {
        if (_uniffiOther instanceof NativeStats) {
            NativeStats _uniffiThat = (NativeStats) _uniffiOther;
            return (
              queued == _uniffiThat.queued && 
              
              sent == _uniffiThat.sent && 
              
              dropped == _uniffiThat.dropped && 
              
              coalesced == _uniffiThat.coalesced && 
              
              reconnects == _uniffiThat.reconnects && 
              
              connected == _uniffiThat.connected && 
              
              java.util.Objects.equals(lastError, _uniffiThat.lastError)
              
            );
        };
        return false;
    }
    @Override
    public int hashCode() {
        int _uniffiHash = 17;
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(queued);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(sent);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(dropped);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(coalesced);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(reconnects);
        _uniffiHash = 31 * _uniffiHash + java.lang.Boolean.hashCode(connected);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(lastError);
        return _uniffiHash;
    }

    
    
    

}


