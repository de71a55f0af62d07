package io.kissmon.ffi;

public enum FfiConverterOptionalDouble implements FfiConverterRustBuffer<java.lang.Double> {
  INSTANCE;

  @Override
  public java.lang.Double read(java.nio.ByteBuffer buf) {
    if (buf.get() == (byte)0) {
      return null;
    }
    return FfiConverterDouble.INSTANCE.read(buf);
  }

  @Override
  public long allocationSize(java.lang.Double value) {
    if (value == null) {
      return 1L;
    } else {
      return 1L + FfiConverterDouble.INSTANCE.allocationSize(value);
    }
  }

  @Override
  public void write(java.lang.Double value, java.nio.ByteBuffer buf) {
    if (value == null) {
      buf.put((byte)0);
    } else {
      buf.put((byte)1);
      FfiConverterDouble.INSTANCE.write(value, buf);
    }
  }
}
