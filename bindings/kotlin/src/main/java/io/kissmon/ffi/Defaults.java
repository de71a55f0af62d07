package io.kissmon.ffi;

/**
 * The core's defaults, which the Kotlin API shows as its default arguments.
 */
public class Defaults {
    private int queueCapacity;
    private int maxAggregates;
    private double heartbeatIntervalS;
    private double flushTimeoutS;
    private double closeTimeoutS;
    /**
     * What the JVM shutdown hook may spend closing every open client together.
     */
    private double exitFlushBudgetS;

    public Defaults(
        int queueCapacity, 
        int maxAggregates, 
        double heartbeatIntervalS, 
        double flushTimeoutS, 
        double closeTimeoutS, 
        double exitFlushBudgetS
    ) {
        
        this.queueCapacity = queueCapacity;
        
        this.maxAggregates = maxAggregates;
        
        this.heartbeatIntervalS = heartbeatIntervalS;
        
        this.flushTimeoutS = flushTimeoutS;
        
        this.closeTimeoutS = closeTimeoutS;
        
        this.exitFlushBudgetS = exitFlushBudgetS;
    }
    
    public int queueCapacity() {
        return this.queueCapacity;
    }
    
    public int maxAggregates() {
        return this.maxAggregates;
    }
    
    public double heartbeatIntervalS() {
        return this.heartbeatIntervalS;
    }
    
    public double flushTimeoutS() {
        return this.flushTimeoutS;
    }
    
    public double closeTimeoutS() {
        return this.closeTimeoutS;
    }
    
    public double exitFlushBudgetS() {
        return this.exitFlushBudgetS;
    }
    public void setQueueCapacity(int queueCapacity) {
        this.queueCapacity = queueCapacity;
    }
    public void setMaxAggregates(int maxAggregates) {
        this.maxAggregates = maxAggregates;
    }
    public void setHeartbeatIntervalS(double heartbeatIntervalS) {
        this.heartbeatIntervalS = heartbeatIntervalS;
    }
    public void setFlushTimeoutS(double flushTimeoutS) {
        this.flushTimeoutS = flushTimeoutS;
    }
    public void setCloseTimeoutS(double closeTimeoutS) {
        this.closeTimeoutS = closeTimeoutS;
    }
    public void setExitFlushBudgetS(double exitFlushBudgetS) {
        this.exitFlushBudgetS = exitFlushBudgetS;
    }

    

    
    @Override
    public boolean equals(java.lang.Object _uniffiOther) {
        if (_uniffiOther instanceof Defaults) {
            Defaults _uniffiThat = (Defaults) _uniffiOther;
            return (
              queueCapacity == _uniffiThat.queueCapacity && 
              
              maxAggregates == _uniffiThat.maxAggregates && 
              
              java.lang.Double.compare(heartbeatIntervalS, _uniffiThat.heartbeatIntervalS) == 0 && 
              
              java.lang.Double.compare(flushTimeoutS, _uniffiThat.flushTimeoutS) == 0 && 
              
              java.lang.Double.compare(closeTimeoutS, _uniffiThat.closeTimeoutS) == 0 && 
              
              java.lang.Double.compare(exitFlushBudgetS, _uniffiThat.exitFlushBudgetS) == 0
              
            );
        };
        return false;
    }
    @Override
    public int hashCode() {
        int _uniffiHash = 17;
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(queueCapacity);
        _uniffiHash = 31 * _uniffiHash + java.lang.Integer.hashCode(maxAggregates);
        _uniffiHash = 31 * _uniffiHash + java.lang.Double.hashCode(heartbeatIntervalS);
        _uniffiHash = 31 * _uniffiHash + java.lang.Double.hashCode(flushTimeoutS);
        _uniffiHash = 31 * _uniffiHash + java.lang.Double.hashCode(closeTimeoutS);
        _uniffiHash = 31 * _uniffiHash + java.lang.Double.hashCode(exitFlushBudgetS);
        return _uniffiHash;
    }

    
    
    

}


