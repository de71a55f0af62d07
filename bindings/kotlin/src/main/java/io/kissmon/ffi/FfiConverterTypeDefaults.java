package io.kissmon.ffi;


public enum FfiConverterTypeDefaults implements FfiConverterRustBuffer<Defaults> {
  INSTANCE;

  @Override
  public Defaults read(java.nio.ByteBuffer buf) {
    return new Defaults(
      FfiConverterInteger.INSTANCE.read(buf),
      FfiConverterInteger.INSTANCE.read(buf),
      FfiConverterDouble.INSTANCE.read(buf),
      FfiConverterDouble.INSTANCE.read(buf),
      FfiConverterDouble.INSTANCE.read(buf),
      FfiConverterDouble.INSTANCE.read(buf)
    );
  }

  @Override
  public long allocationSize(Defaults value) {
      return (
            FfiConverterInteger.INSTANCE.allocationSize(value.queueCapacity()) +
            FfiConverterInteger.INSTANCE.allocationSize(value.maxAggregates()) +
            FfiConverterDouble.INSTANCE.allocationSize(value.heartbeatIntervalS()) +
            FfiConverterDouble.INSTANCE.allocationSize(value.flushTimeoutS()) +
            FfiConverterDouble.INSTANCE.allocationSize(value.closeTimeoutS()) +
            FfiConverterDouble.INSTANCE.allocationSize(value.exitFlushBudgetS())
      );
  }

  @Override
  public void write(Defaults value, java.nio.ByteBuffer buf) {
      FfiConverterInteger.INSTANCE.write(value.queueCapacity(), buf);
      FfiConverterInteger.INSTANCE.write(value.maxAggregates(), buf);
      FfiConverterDouble.INSTANCE.write(value.heartbeatIntervalS(), buf);
      FfiConverterDouble.INSTANCE.write(value.flushTimeoutS(), buf);
      FfiConverterDouble.INSTANCE.write(value.closeTimeoutS(), buf);
      FfiConverterDouble.INSTANCE.write(value.exitFlushBudgetS(), buf);
  }
}
