package io.kissmon.ffi;


public enum FfiConverterTypeNativeError implements FfiConverterRustBuffer<NativeException> {
    INSTANCE;

    @Override
    public NativeException read(java.nio.ByteBuffer buf) {

        return switch(buf.getInt()) {
            case 1 -> new NativeException.InvalidArgument(
                FfiConverterString.INSTANCE.read(buf),
                FfiConverterString.INSTANCE.read(buf)
                );
            case 2 -> new NativeException.Decode(
                FfiConverterString.INSTANCE.read(buf),
                FfiConverterOptionalString.INSTANCE.read(buf),
                FfiConverterString.INSTANCE.read(buf)
                );
            case 3 -> new NativeException.Spawn(
                FfiConverterString.INSTANCE.read(buf)
                );
            default -> throw new java.lang.RuntimeException("invalid error enum value, something is very wrong!!");
        };
    }

    @Override
    public long allocationSize(NativeException value) {
        return switch(value) {
            case NativeException.InvalidArgument x -> (
                // Add the size for the Int that specifies the variant plus the size needed for all fields
                4L
                + FfiConverterString.INSTANCE.allocationSize(x.argument)
                + FfiConverterString.INSTANCE.allocationSize(x.reason)
            );
            case NativeException.Decode x -> (
                // Add the size for the Int that specifies the variant plus the size needed for all fields
                4L
                + FfiConverterString.INSTANCE.allocationSize(x.errorClass)
                + FfiConverterOptionalString.INSTANCE.allocationSize(x.field)
                + FfiConverterString.INSTANCE.allocationSize(x.detail)
            );
            case NativeException.Spawn x -> (
                // Add the size for the Int that specifies the variant plus the size needed for all fields
                4L
                + FfiConverterString.INSTANCE.allocationSize(x.detail)
            );
            default -> throw new java.lang.RuntimeException("invalid error enum value, something is very wrong!!");
        };
    }

    @Override
    public void write(NativeException value, java.nio.ByteBuffer buf) {
        switch(value) {
            case NativeException.InvalidArgument x -> {
                buf.putInt(1);
                FfiConverterString.INSTANCE.write(x.argument, buf);
                FfiConverterString.INSTANCE.write(x.reason, buf);
            }
            case NativeException.Decode x -> {
                buf.putInt(2);
                FfiConverterString.INSTANCE.write(x.errorClass, buf);
                FfiConverterOptionalString.INSTANCE.write(x.field, buf);
                FfiConverterString.INSTANCE.write(x.detail, buf);
            }
            case NativeException.Spawn x -> {
                buf.putInt(3);
                FfiConverterString.INSTANCE.write(x.detail, buf);
            }
            default -> throw new java.lang.RuntimeException("invalid error enum value, something is very wrong!!");
        };
    }
}
