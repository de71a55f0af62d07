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
    private long acked;
    private long unacked;
    private long resent;
    private boolean acksActive;

    public NativeStats(
        long queued, 
        long sent, 
        long dropped, 
        long coalesced, 
        long reconnects, 
        boolean connected, 
        java.lang.String lastError, 
        long acked, 
        long unacked, 
        long resent, 
        boolean acksActive
    ) {
        
        this.queued = queued;
        
        this.sent = sent;
        
        this.dropped = dropped;
        
        this.coalesced = coalesced;
        
        this.reconnects = reconnects;
        
        this.connected = connected;
        
        this.lastError = lastError;
        
        this.acked = acked;
        
        this.unacked = unacked;
        
        this.resent = resent;
        
        this.acksActive = acksActive;
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
    
    public long acked() {
        return this.acked;
    }
    
    public long unacked() {
        return this.unacked;
    }
    
    public long resent() {
        return this.resent;
    }
    
    public boolean acksActive() {
        return this.acksActive;
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
    public void setAcked(long acked) {
        this.acked = acked;
    }
    public void setUnacked(long unacked) {
        this.unacked = unacked;
    }
    public void setResent(long resent) {
        this.resent = resent;
    }
    public void setAcksActive(boolean acksActive) {
        this.acksActive = acksActive;
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
              
              java.util.Objects.equals(lastError, _uniffiThat.lastError) && 
              
              acked == _uniffiThat.acked && 
              
              unacked == _uniffiThat.unacked && 
              
              resent == _uniffiThat.resent && 
              
              acksActive == _uniffiThat.acksActive
              
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
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(acked);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(unacked);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(resent);
        _uniffiHash = 31 * _uniffiHash + java.lang.Boolean.hashCode(acksActive);
        return _uniffiHash;
    }

    
    
    

}


