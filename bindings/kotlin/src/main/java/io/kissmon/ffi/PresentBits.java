package io.kissmon.ffi;

/**
 * The bits of `log_llm_usage_ids`'s `present`: which optional fields are
 * set, and whether the call succeeded.
 */
public class PresentBits {
    private int latencyMs;
    private int cacheReadTokens;
    private int reasoningTokens;
    private int costUsd;
    /**
     * `ok` is set; its value is `ok_true`.
     */
    private int ok;
    private int okTrue;

    public PresentBits(
        int latencyMs, 
        int cacheReadTokens, 
        int reasoningTokens, 
        int costUsd, 
        int ok, 
        int okTrue
    ) {
        
        this.latencyMs = latencyMs;
        
        this.cacheReadTokens = cacheReadTokens;
        
        this.reasoningTokens = reasoningTokens;
        
        this.costUsd = costUsd;
        
        this.ok = ok;
        
        this.okTrue = okTrue;
    }
    
    public int latencyMs() {
        return this.latencyMs;
    }
    
    public int cacheReadTokens() {
        return this.cacheReadTokens;
    }
    
    public int reasoningTokens() {
        return this.reasoningTokens;
    }
    
    public int costUsd() {
        return this.costUsd;
    }
    
    public int ok() {
        return this.ok;
    }
    
    public int okTrue() {
        return this.okTrue;
    }
    public void setLatencyMs(int latencyMs) {
        this.latencyMs = latencyMs;
    }
    public void setCacheReadTokens(int cacheReadTokens) {
        this.cacheReadTokens = cacheReadTokens;
    }
    public void setReasoningTokens(int reasoningTokens) {
        this.reasoningTokens = reasoningTokens;
    }
    public void setCostUsd(int costUsd) {
        this.costUsd = costUsd;
    }
    public void setOk(int ok) {
        this.ok = ok;
    }
    public void setOkTrue(int okTrue) {
        this.okTrue = okTrue;
    }

    

    
    @Override
    public boolean equals(java.lang.Object _uniffiOther) {
        if (_uniffiOther instanceof PresentBits) {
            PresentBits _uniffiThat = (PresentBits) _uniffiOther;
            return (
              latencyMs == _uniffiThat.latencyMs && 
              
              cacheReadTokens == _uniffiThat.cacheReadTokens && 
              
              reasoningTokens == _uniffiThat.reasoningTokens && 
              
              costUsd == _uniffiThat.costUsd && 
              
              ok == _uniffiThat.ok && 
              
              okTrue == _uniffiThat.okTrue
              
            );
        };
        return false;
    }
    @Override
    public int hashCode() {
        int _uniffiHash = 17;
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(latencyMs);
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(cacheReadTokens);
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(reasoningTokens);
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(costUsd);
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(ok);
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(okTrue);
        return _uniffiHash;
    }

    
    
    

}


