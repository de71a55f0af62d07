package io.kissmon.ffi;


public enum FfiConverterTypeNativeClient implements FfiConverter<NativeClient, java.lang.Long> {
    INSTANCE;

    @Override
    public java.lang.Long lower(NativeClient value) {
        return value.uniffiCloneHandle();
    }

    @Override
    public NativeClient lift(java.lang.Long value) {
        return new NativeClient(UniffiWithHandle.INSTANCE, value);
    }

    @Override
    public NativeClient read(java.nio.ByteBuffer buf) {
        // The Rust code always writes handles as 8 bytes, and will
        // fail to compile if they don't fit.
        return lift(buf.getLong());
    }

    @Override
    public long allocationSize(NativeClient value) {
        return 8L;
    }

    @Override
    public void write(NativeClient value, java.nio.ByteBuffer buf) {
        // The Rust code always expects handles written as 8 bytes,
        // and will fail to compile if they don't fit.
        buf.putLong(lower(value));
    }
}
