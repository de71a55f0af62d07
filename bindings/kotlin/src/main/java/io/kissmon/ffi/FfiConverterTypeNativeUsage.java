package io.kissmon.ffi;


public enum FfiConverterTypeNativeUsage implements FfiConverterRustBuffer<NativeUsage> {
  INSTANCE;

  @Override
  public NativeUsage read(java.nio.ByteBuffer buf) {
    return new NativeUsage(
      FfiConverterString.INSTANCE.read(buf),
      FfiConverterString.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterOptionalDouble.INSTANCE.read(buf),
      FfiConverterOptionalString.INSTANCE.read(buf),
      FfiConverterOptionalLong.INSTANCE.read(buf),
      FfiConverterOptionalLong.INSTANCE.read(buf),
      FfiConverterOptionalDouble.INSTANCE.read(buf),
      FfiConverterOptionalBoolean.INSTANCE.read(buf)
    );
  }

  @Override
  public long allocationSize(NativeUsage value) {
      return (
            FfiConverterString.INSTANCE.allocationSize(value.model()) +
            FfiConverterString.INSTANCE.allocationSize(value.feature()) +
            FfiConverterLong.INSTANCE.allocationSize(value.tokensIn()) +
            FfiConverterLong.INSTANCE.allocationSize(value.tokensOut()) +
            FfiConverterOptionalDouble.INSTANCE.allocationSize(value.latencyMs()) +
            FfiConverterOptionalString.INSTANCE.allocationSize(value.provider()) +
            FfiConverterOptionalLong.INSTANCE.allocationSize(value.cacheReadTokens()) +
            FfiConverterOptionalLong.INSTANCE.allocationSize(value.reasoningTokens()) +
            FfiConverterOptionalDouble.INSTANCE.allocationSize(value.costUsd()) +
            FfiConverterOptionalBoolean.INSTANCE.allocationSize(value.ok())
      );
  }

  @Override
  public void write(NativeUsage value, java.nio.ByteBuffer buf) {
      FfiConverterString.INSTANCE.write(value.model(), buf);
      FfiConverterString.INSTANCE.write(value.feature(), buf);
      FfiConverterLong.INSTANCE.write(value.tokensIn(), buf);
      FfiConverterLong.INSTANCE.write(value.tokensOut(), buf);
      FfiConverterOptionalDouble.INSTANCE.write(value.latencyMs(), buf);
      FfiConverterOptionalString.INSTANCE.write(value.provider(), buf);
      FfiConverterOptionalLong.INSTANCE.write(value.cacheReadTokens(), buf);
      FfiConverterOptionalLong.INSTANCE.write(value.reasoningTokens(), buf);
      FfiConverterOptionalDouble.INSTANCE.write(value.costUsd(), buf);
      FfiConverterOptionalBoolean.INSTANCE.write(value.ok(), buf);
  }
}
