package io.kissmon.ffi;


public enum FfiConverterTypeNativeStats implements FfiConverterRustBuffer<NativeStats> {
  INSTANCE;

  @Override
  public NativeStats read(java.nio.ByteBuffer buf) {
    return new NativeStats(
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterBoolean.INSTANCE.read(buf),
      FfiConverterOptionalString.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterLong.INSTANCE.read(buf),
      FfiConverterBoolean.INSTANCE.read(buf)
    );
  }

  @Override
  public long allocationSize(NativeStats value) {
      return (
            FfiConverterLong.INSTANCE.allocationSize(value.queued()) +
            FfiConverterLong.INSTANCE.allocationSize(value.sent()) +
            FfiConverterLong.INSTANCE.allocationSize(value.dropped()) +
            FfiConverterLong.INSTANCE.allocationSize(value.coalesced()) +
            FfiConverterLong.INSTANCE.allocationSize(value.reconnects()) +
            FfiConverterBoolean.INSTANCE.allocationSize(value.connected()) +
            FfiConverterOptionalString.INSTANCE.allocationSize(value.lastError()) +
            FfiConverterLong.INSTANCE.allocationSize(value.acked()) +
            FfiConverterLong.INSTANCE.allocationSize(value.unacked()) +
            FfiConverterLong.INSTANCE.allocationSize(value.resent()) +
            FfiConverterBoolean.INSTANCE.allocationSize(value.acksActive())
      );
  }

  @Override
  public void write(NativeStats value, java.nio.ByteBuffer buf) {
      FfiConverterLong.INSTANCE.write(value.queued(), buf);
      FfiConverterLong.INSTANCE.write(value.sent(), buf);
      FfiConverterLong.INSTANCE.write(value.dropped(), buf);
      FfiConverterLong.INSTANCE.write(value.coalesced(), buf);
      FfiConverterLong.INSTANCE.write(value.reconnects(), buf);
      FfiConverterBoolean.INSTANCE.write(value.connected(), buf);
      FfiConverterOptionalString.INSTANCE.write(value.lastError(), buf);
      FfiConverterLong.INSTANCE.write(value.acked(), buf);
      FfiConverterLong.INSTANCE.write(value.unacked(), buf);
      FfiConverterLong.INSTANCE.write(value.resent(), buf);
      FfiConverterBoolean.INSTANCE.write(value.acksActive(), buf);
  }
}
