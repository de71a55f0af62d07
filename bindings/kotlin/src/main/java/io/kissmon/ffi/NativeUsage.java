package io.kissmon.ffi;

/**
 * One LLM call, as `io.kissmon.LlmUsage` hands it over.
 */
public class NativeUsage {
    private java.lang.String model;
    private java.lang.String feature;
    private long tokensIn;
    private long tokensOut;
    private java.lang.Double latencyMs;
    private java.lang.String provider;
    private java.lang.Long cacheReadTokens;
    private java.lang.Long reasoningTokens;
    private java.lang.Double costUsd;
    private java.lang.Boolean ok;

    public NativeUsage(
        java.lang.String model, 
        java.lang.String feature, 
        long tokensIn, 
        long tokensOut, 
        java.lang.Double latencyMs, 
        java.lang.String provider, 
        java.lang.Long cacheReadTokens, 
        java.lang.Long reasoningTokens, 
        java.lang.Double costUsd, 
        java.lang.Boolean ok
    ) {
        
        this.model = model;
        
        this.feature = feature;
        
        this.tokensIn = tokensIn;
        
        this.tokensOut = tokensOut;
        
        this.latencyMs = latencyMs;
        
        this.provider = provider;
        
        this.cacheReadTokens = cacheReadTokens;
        
        this.reasoningTokens = reasoningTokens;
        
        this.costUsd = costUsd;
        
        this.ok = ok;
    }
    
    public java.lang.String model() {
        return this.model;
    }
    
    public java.lang.String feature() {
        return this.feature;
    }
    
    public long tokensIn() {
        return this.tokensIn;
    }
    
    public long tokensOut() {
        return this.tokensOut;
    }
    
    public java.lang.Double latencyMs() {
        return this.latencyMs;
    }
    
    public java.lang.String provider() {
        return this.provider;
    }
    
    public java.lang.Long cacheReadTokens() {
        return this.cacheReadTokens;
    }
    
    public java.lang.Long reasoningTokens() {
        return this.reasoningTokens;
    }
    
    public java.lang.Double costUsd() {
        return this.costUsd;
    }
    
    public java.lang.Boolean ok() {
        return this.ok;
    }
    public void setModel(java.lang.String model) {
        this.model = model;
    }
    public void setFeature(java.lang.String feature) {
        this.feature = feature;
    }
    public void setTokensIn(long tokensIn) {
        this.tokensIn = tokensIn;
    }
    public void setTokensOut(long tokensOut) {
        this.tokensOut = tokensOut;
    }
    public void setLatencyMs(java.lang.Double latencyMs) {
        this.latencyMs = latencyMs;
    }
    public void setProvider(java.lang.String provider) {
        this.provider = provider;
    }
    public void setCacheReadTokens(java.lang.Long cacheReadTokens) {
        this.cacheReadTokens = cacheReadTokens;
    }
    public void setReasoningTokens(java.lang.Long reasoningTokens) {
        this.reasoningTokens = reasoningTokens;
    }
    public void setCostUsd(java.lang.Double costUsd) {
        this.costUsd = costUsd;
    }
    public void setOk(java.lang.Boolean ok) {
        this.ok = ok;
    }

    

    
    @Override
    public boolean equals(java.lang.Object _uniffiOther) {
        if (_uniffiOther instanceof NativeUsage) {
            NativeUsage _uniffiThat = (NativeUsage) _uniffiOther;
            return (
              java.util.Objects.equals(model, _uniffiThat.model) && 
              
              java.util.Objects.equals(feature, _uniffiThat.feature) && 
              
              tokensIn == _uniffiThat.tokensIn && 
              
              tokensOut == _uniffiThat.tokensOut && 
              
              java.util.Objects.equals(latencyMs, _uniffiThat.latencyMs) && 
              
              java.util.Objects.equals(provider, _uniffiThat.provider) && 
              
              java.util.Objects.equals(cacheReadTokens, _uniffiThat.cacheReadTokens) && 
              
              java.util.Objects.equals(reasoningTokens, _uniffiThat.reasoningTokens) && 
              
              java.util.Objects.equals(costUsd, _uniffiThat.costUsd) && 
              
              java.util.Objects.equals(ok, _uniffiThat.ok)
              
            );
        };
        return false;
    }
    @Override
    public int hashCode() {
        int _uniffiHash = 17;
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(model);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(feature);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(tokensIn);
        _uniffiHash = 31 * _uniffiHash + java.lang.Long.hashCode(tokensOut);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(latencyMs);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(provider);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(cacheReadTokens);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(reasoningTokens);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(costUsd);
        _uniffiHash = 31 * _uniffiHash + java.util.Objects.hashCode(ok);
        return _uniffiHash;
    }

    
    
    

}


