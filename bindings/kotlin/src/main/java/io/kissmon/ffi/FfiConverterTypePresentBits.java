package io.kissmon.ffi;


public enum FfiConverterTypePresentBits implements FfiConverterRustBuffer<PresentBits> {
  INSTANCE;

  @Override
  public PresentBits read(java.nio.ByteBuffer buf) {
    return new PresentBits(
      FfiConverterInteger.INSTANCE.read(buf),
      FfiConverterInteger.INSTANCE.read(buf),
      FfiConverterInteger.INSTANCE.read(buf),
      FfiConverterInteger.INSTANCE.read(buf),
      FfiConverterInteger.INSTANCE.read(buf),
      FfiConverterInteger.INSTANCE.read(buf)
    );
  }

  @Override
  public long allocationSize(PresentBits value) {
      return (
            FfiConverterInteger.INSTANCE.allocationSize(value.latencyMs()) +
            FfiConverterInteger.INSTANCE.allocationSize(value.cacheReadTokens()) +
            FfiConverterInteger.INSTANCE.allocationSize(value.reasoningTokens()) +
            FfiConverterInteger.INSTANCE.allocationSize(value.costUsd()) +
            FfiConverterInteger.INSTANCE.allocationSize(value.ok()) +
            FfiConverterInteger.INSTANCE.allocationSize(value.okTrue())
      );
  }

  @Override
  public void write(PresentBits value, java.nio.ByteBuffer buf) {
      FfiConverterInteger.INSTANCE.write(value.latencyMs(), buf);
      FfiConverterInteger.INSTANCE.write(value.cacheReadTokens(), buf);
      FfiConverterInteger.INSTANCE.write(value.reasoningTokens(), buf);
      FfiConverterInteger.INSTANCE.write(value.costUsd(), buf);
      FfiConverterInteger.INSTANCE.write(value.ok(), buf);
      FfiConverterInteger.INSTANCE.write(value.okTrue(), buf);
  }
}
