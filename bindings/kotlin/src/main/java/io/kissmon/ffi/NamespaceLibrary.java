package io.kissmon.ffi;


final class NamespaceLibrary {
    static synchronized String findLibraryName(String componentName) {
        String libOverride = System.getProperty("uniffi.component." + componentName + ".libraryOverride");
        if (libOverride != null) {
            return libOverride;
        }
        return "kissmon_jvm";
    }

    static java.lang.foreign.SymbolLookup loadLibrary() {
        String name = findLibraryName("kissmon");
        if (name.startsWith("/") // Unix absolute path
                || name.startsWith("\\\\") // Windows UNC path
                || (name.length() > 2 && name.charAt(1) == ':')) // Windows drive path (e.g. C:\)
        {
            System.load(name);
        } else {
            System.loadLibrary(name);
        }
        return java.lang.foreign.SymbolLookup.loaderLookup();
    }

    static void uniffiCheckContractApiVersion() {
        int bindingsContractVersion = 30;
        int scaffoldingContractVersion = UniffiLib.ffi_kissmon_jvm_uniffi_contract_version();
        if (bindingsContractVersion != scaffoldingContractVersion) {
            throw new RuntimeException("UniFFI contract version mismatch: try cleaning and rebuilding your project");
        }
    }
    static void uniffiCheckApiChecksums() {
        if (UniffiLib.uniffi_kissmon_jvm_checksum_func_defaults() != ((short) 26486)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_func_present_bits() != ((short) 2799)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_func_decode_line() != ((short) 26983)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_channel() != ((short) 47396)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_close() != ((short) 1031)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_flush() != ((short) 38046)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_heartbeat() != ((short) 43908)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_instance() != ((short) 2448)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_intern() != ((short) 54726)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage() != ((short) 11542)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage_ids() != ((short) 9269)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_pid() != ((short) 60596)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_register() != ((short) 52154)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_start_heartbeat() != ((short) 37932)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_stats() != ((short) 34523)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_stop_heartbeat() != ((short) 16714)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_method_nativeclient_unregister() != ((short) 46773)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
        if (UniffiLib.uniffi_kissmon_jvm_checksum_constructor_nativeclient_new() != ((short) 51814)) {
            throw new RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project");
        }
    }
}

// Define FFI callback types
