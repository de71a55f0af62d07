package io.kissmon.ffi;


public class NativeExceptionErrorHandler implements UniffiRustCallStatusErrorHandler<NativeException> {
  @Override
  public NativeException lift(java.lang.foreign.MemorySegment errorBuf){
     return FfiConverterTypeNativeError.INSTANCE.lift(errorBuf);
  }
}

