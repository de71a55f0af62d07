package io.kissmon.ffi;


import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
public class Kissmon {
  
    /**
     * The core's defaults.
     */public static Defaults defaults()  {
            try {
                return FfiConverterTypeDefaults.INSTANCE.lift(
    UniffiHelpers.uniffiRustCall( (_allocator, _status) -> {
        return UniffiLib.uniffi_kissmon_jvm_fn_func_defaults(_allocator, 
            _status);
    })
    );
            } catch (java.lang.RuntimeException _uniffi_ex) {
                
                
                if (InternalException.class.isInstance(_uniffi_ex.getCause())) {
                    throw (InternalException)_uniffi_ex.getCause();
                }
                throw _uniffi_ex;
            }
    }
    

  
    /**
     * The bits of `log_llm_usage_ids`'s `present`, read once by the JVM side.
     */public static PresentBits presentBits()  {
            try {
                return FfiConverterTypePresentBits.INSTANCE.lift(
    UniffiHelpers.uniffiRustCall( (_allocator, _status) -> {
        return UniffiLib.uniffi_kissmon_jvm_fn_func_present_bits(_allocator, 
            _status);
    })
    );
            } catch (java.lang.RuntimeException _uniffi_ex) {
                
                
                if (InternalException.class.isInstance(_uniffi_ex.getCause())) {
                    throw (InternalException)_uniffi_ex.getCause();
                }
                throw _uniffi_ex;
            }
    }
    

  
    /**
     * Decodes one protocol line (its bytes, without the `\n`) and returns the
     * message as canonical JSON text: known fields only, `null` fields absent.
     */public static java.lang.String decodeLine(byte[] line) throws NativeException {
            try {
                return FfiConverterString.INSTANCE.lift(
    UniffiHelpers.uniffiRustCallWithError(new NativeExceptionErrorHandler(), (_allocator, _status) -> {
        return UniffiLib.uniffi_kissmon_jvm_fn_func_decode_line(_allocator, 
            FfiConverterByteArray.INSTANCE.lower(line), _status);
    })
    );
            } catch (java.lang.RuntimeException _uniffi_ex) {
                
                if (NativeException.class.isInstance(_uniffi_ex.getCause())) {
                    throw (NativeException)_uniffi_ex.getCause();
                }
                
                if (InternalException.class.isInstance(_uniffi_ex.getCause())) {
                    throw (InternalException)_uniffi_ex.getCause();
                }
                throw _uniffi_ex;
            }
    }
    

}

