package io.kissmon.ffi;


// FFM-based library binding. Each FFI function gets a MethodHandle and a wrapper method.
final class UniffiLib {
    private static final java.lang.foreign.Linker LINKER = java.lang.foreign.Linker.nativeLinker();
    private static final java.lang.foreign.SymbolLookup SYMBOLS;

    
    // The Cleaner for the whole library
    static UniffiCleaner CLEANER;

    static {
        SYMBOLS = NamespaceLibrary.loadLibrary();
    }

    private static java.lang.invoke.MethodHandle findDowncallHandle(String name, java.lang.foreign.FunctionDescriptor descriptor) {
        return SYMBOLS.find(name)
            .map(s -> LINKER.downcallHandle(s, descriptor))
            .orElseThrow(() -> new RuntimeException("Missing FFI symbol: " + name));
    }

    // uniffi_kissmon_jvm_fn_clone_nativeclient
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_clone_nativeclient = findDowncallHandle("uniffi_kissmon_jvm_fn_clone_nativeclient", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static long uniffi_kissmon_jvm_fn_clone_nativeclient(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (long) MH_uniffi_kissmon_jvm_fn_clone_nativeclient.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_free_nativeclient
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_free_nativeclient = findDowncallHandle("uniffi_kissmon_jvm_fn_free_nativeclient", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_free_nativeclient(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_free_nativeclient.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_constructor_nativeclient_new
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_constructor_nativeclient_new = findDowncallHandle("uniffi_kissmon_jvm_fn_constructor_nativeclient_new", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG, RustBuffer.LAYOUT, RustBuffer.LAYOUT, RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_DOUBLE, java.lang.foreign.ValueLayout.ADDRESS));

    static long uniffi_kissmon_jvm_fn_constructor_nativeclient_new(java.lang.foreign.MemorySegment channel, java.lang.foreign.MemorySegment pid, java.lang.foreign.MemorySegment socketPath, int queueCapacity, int maxAggregates, double heartbeatIntervalS, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (long) MH_uniffi_kissmon_jvm_fn_constructor_nativeclient_new.invokeExact(channel, pid, socketPath, queueCapacity, maxAggregates, heartbeatIntervalS, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_channel
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_channel = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_channel", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment uniffi_kissmon_jvm_fn_method_nativeclient_channel(java.lang.foreign.SegmentAllocator _allocator, long ptr, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_uniffi_kissmon_jvm_fn_method_nativeclient_channel.invokeExact(_allocator, ptr, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_close
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_close = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_close", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_BYTE, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_DOUBLE, java.lang.foreign.ValueLayout.ADDRESS));

    static byte uniffi_kissmon_jvm_fn_method_nativeclient_close(long ptr, double timeoutS, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (byte) MH_uniffi_kissmon_jvm_fn_method_nativeclient_close.invokeExact(ptr, timeoutS, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_flush
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_flush = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_flush", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_BYTE, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_DOUBLE, java.lang.foreign.ValueLayout.ADDRESS));

    static byte uniffi_kissmon_jvm_fn_method_nativeclient_flush(long ptr, double timeoutS, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (byte) MH_uniffi_kissmon_jvm_fn_method_nativeclient_flush.invokeExact(ptr, timeoutS, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_heartbeat
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_heartbeat = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_heartbeat", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_method_nativeclient_heartbeat(long ptr, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_method_nativeclient_heartbeat.invokeExact(ptr, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_instance
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_instance = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_instance", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment uniffi_kissmon_jvm_fn_method_nativeclient_instance(java.lang.foreign.SegmentAllocator _allocator, long ptr, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_uniffi_kissmon_jvm_fn_method_nativeclient_instance.invokeExact(_allocator, ptr, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_intern
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_intern = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_intern", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG, RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static int uniffi_kissmon_jvm_fn_method_nativeclient_intern(long ptr, java.lang.foreign.MemorySegment name, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (int) MH_uniffi_kissmon_jvm_fn_method_nativeclient_intern.invokeExact(ptr, name, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage(long ptr, java.lang.foreign.MemorySegment usage, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage.invokeExact(ptr, usage, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage_ids
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage_ids = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage_ids", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_DOUBLE, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_DOUBLE, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage_ids(long ptr, int model, int feature, int provider, long tokensIn, long tokensOut, int present, double latencyMs, long cacheReadTokens, long reasoningTokens, double costUsd, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_method_nativeclient_log_llm_usage_ids.invokeExact(ptr, model, feature, provider, tokensIn, tokensOut, present, latencyMs, cacheReadTokens, reasoningTokens, costUsd, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_pid
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_pid = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_pid", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static long uniffi_kissmon_jvm_fn_method_nativeclient_pid(long ptr, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (long) MH_uniffi_kissmon_jvm_fn_method_nativeclient_pid.invokeExact(ptr, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_register
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_register = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_register", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_method_nativeclient_register(long ptr, java.lang.foreign.MemorySegment features, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_method_nativeclient_register.invokeExact(ptr, features, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_start_heartbeat
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_start_heartbeat = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_start_heartbeat", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_DOUBLE, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_method_nativeclient_start_heartbeat(long ptr, double intervalS, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_method_nativeclient_start_heartbeat.invokeExact(ptr, intervalS, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_stats
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_stats = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_stats", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment uniffi_kissmon_jvm_fn_method_nativeclient_stats(java.lang.foreign.SegmentAllocator _allocator, long ptr, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_uniffi_kissmon_jvm_fn_method_nativeclient_stats.invokeExact(_allocator, ptr, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_stop_heartbeat
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_stop_heartbeat = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_stop_heartbeat", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_method_nativeclient_stop_heartbeat(long ptr, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_method_nativeclient_stop_heartbeat.invokeExact(ptr, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_method_nativeclient_unregister
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_method_nativeclient_unregister = findDowncallHandle("uniffi_kissmon_jvm_fn_method_nativeclient_unregister", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static void uniffi_kissmon_jvm_fn_method_nativeclient_unregister(long ptr, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_uniffi_kissmon_jvm_fn_method_nativeclient_unregister.invokeExact(ptr, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_func_defaults
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_func_defaults = findDowncallHandle("uniffi_kissmon_jvm_fn_func_defaults", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment uniffi_kissmon_jvm_fn_func_defaults(java.lang.foreign.SegmentAllocator _allocator, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_uniffi_kissmon_jvm_fn_func_defaults.invokeExact(_allocator, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_func_present_bits
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_func_present_bits = findDowncallHandle("uniffi_kissmon_jvm_fn_func_present_bits", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment uniffi_kissmon_jvm_fn_func_present_bits(java.lang.foreign.SegmentAllocator _allocator, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_uniffi_kissmon_jvm_fn_func_present_bits.invokeExact(_allocator, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_fn_func_decode_line
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_fn_func_decode_line = findDowncallHandle("uniffi_kissmon_jvm_fn_func_decode_line", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment uniffi_kissmon_jvm_fn_func_decode_line(java.lang.foreign.SegmentAllocator _allocator, java.lang.foreign.MemorySegment line, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_uniffi_kissmon_jvm_fn_func_decode_line.invokeExact(_allocator, line, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rustbuffer_alloc
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rustbuffer_alloc = findDowncallHandle("ffi_kissmon_jvm_rustbuffer_alloc", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment ffi_kissmon_jvm_rustbuffer_alloc(java.lang.foreign.SegmentAllocator _allocator, long size, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_ffi_kissmon_jvm_rustbuffer_alloc.invokeExact(_allocator, size, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rustbuffer_from_bytes
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rustbuffer_from_bytes = findDowncallHandle("ffi_kissmon_jvm_rustbuffer_from_bytes", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, ForeignBytes.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment ffi_kissmon_jvm_rustbuffer_from_bytes(java.lang.foreign.SegmentAllocator _allocator, java.lang.foreign.MemorySegment bytes, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_ffi_kissmon_jvm_rustbuffer_from_bytes.invokeExact(_allocator, bytes, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rustbuffer_free
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rustbuffer_free = findDowncallHandle("ffi_kissmon_jvm_rustbuffer_free", java.lang.foreign.FunctionDescriptor.ofVoid(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.ADDRESS));

    static void ffi_kissmon_jvm_rustbuffer_free(java.lang.foreign.MemorySegment buf, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_ffi_kissmon_jvm_rustbuffer_free.invokeExact(buf, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rustbuffer_reserve
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rustbuffer_reserve = findDowncallHandle("ffi_kissmon_jvm_rustbuffer_reserve", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment ffi_kissmon_jvm_rustbuffer_reserve(java.lang.foreign.SegmentAllocator _allocator, java.lang.foreign.MemorySegment buf, long additional, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_ffi_kissmon_jvm_rustbuffer_reserve.invokeExact(_allocator, buf, additional, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_u8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_u8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_u8", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_u8(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_u8.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_u8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_u8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_u8", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_u8(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_u8.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_u8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_u8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_u8", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_u8(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_u8.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_u8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_u8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_u8", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_BYTE, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static byte ffi_kissmon_jvm_rust_future_complete_u8(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (byte) MH_ffi_kissmon_jvm_rust_future_complete_u8.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_i8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_i8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_i8", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_i8(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_i8.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_i8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_i8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_i8", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_i8(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_i8.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_i8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_i8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_i8", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_i8(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_i8.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_i8
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_i8 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_i8", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_BYTE, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static byte ffi_kissmon_jvm_rust_future_complete_i8(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (byte) MH_ffi_kissmon_jvm_rust_future_complete_i8.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_u16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_u16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_u16", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_u16(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_u16.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_u16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_u16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_u16", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_u16(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_u16.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_u16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_u16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_u16", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_u16(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_u16.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_u16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_u16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_u16", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static short ffi_kissmon_jvm_rust_future_complete_u16(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (short) MH_ffi_kissmon_jvm_rust_future_complete_u16.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_i16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_i16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_i16", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_i16(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_i16.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_i16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_i16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_i16", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_i16(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_i16.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_i16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_i16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_i16", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_i16(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_i16.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_i16
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_i16 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_i16", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static short ffi_kissmon_jvm_rust_future_complete_i16(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (short) MH_ffi_kissmon_jvm_rust_future_complete_i16.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_u32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_u32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_u32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_u32(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_u32.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_u32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_u32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_u32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_u32(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_u32.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_u32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_u32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_u32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_u32(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_u32.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_u32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_u32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_u32", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static int ffi_kissmon_jvm_rust_future_complete_u32(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (int) MH_ffi_kissmon_jvm_rust_future_complete_u32.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_i32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_i32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_i32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_i32(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_i32.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_i32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_i32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_i32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_i32(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_i32.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_i32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_i32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_i32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_i32(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_i32.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_i32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_i32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_i32", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static int ffi_kissmon_jvm_rust_future_complete_i32(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (int) MH_ffi_kissmon_jvm_rust_future_complete_i32.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_u64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_u64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_u64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_u64(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_u64.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_u64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_u64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_u64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_u64(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_u64.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_u64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_u64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_u64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_u64(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_u64.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_u64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_u64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_u64", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static long ffi_kissmon_jvm_rust_future_complete_u64(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (long) MH_ffi_kissmon_jvm_rust_future_complete_u64.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_i64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_i64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_i64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_i64(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_i64.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_i64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_i64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_i64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_i64(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_i64.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_i64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_i64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_i64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_i64(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_i64.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_i64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_i64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_i64", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static long ffi_kissmon_jvm_rust_future_complete_i64(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (long) MH_ffi_kissmon_jvm_rust_future_complete_i64.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_f32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_f32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_f32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_f32(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_f32.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_f32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_f32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_f32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_f32(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_f32.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_f32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_f32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_f32", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_f32(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_f32.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_f32
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_f32 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_f32", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_FLOAT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static float ffi_kissmon_jvm_rust_future_complete_f32(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (float) MH_ffi_kissmon_jvm_rust_future_complete_f32.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_f64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_f64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_f64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_f64(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_f64.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_f64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_f64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_f64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_f64(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_f64.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_f64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_f64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_f64", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_f64(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_f64.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_f64
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_f64 = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_f64", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_DOUBLE, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static double ffi_kissmon_jvm_rust_future_complete_f64(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (double) MH_ffi_kissmon_jvm_rust_future_complete_f64.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_rust_buffer
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_rust_buffer = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_rust_buffer", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_rust_buffer(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_rust_buffer.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_rust_buffer
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_rust_buffer = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_rust_buffer", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_rust_buffer(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_rust_buffer.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_rust_buffer
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_rust_buffer = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_rust_buffer", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_rust_buffer(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_rust_buffer.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_rust_buffer
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_rust_buffer = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_rust_buffer", java.lang.foreign.FunctionDescriptor.of(RustBuffer.LAYOUT, java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static java.lang.foreign.MemorySegment ffi_kissmon_jvm_rust_future_complete_rust_buffer(java.lang.foreign.SegmentAllocator _allocator, long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            return (java.lang.foreign.MemorySegment) MH_ffi_kissmon_jvm_rust_future_complete_rust_buffer.invokeExact(_allocator, handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_poll_void
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_poll_void = findDowncallHandle("ffi_kissmon_jvm_rust_future_poll_void", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_poll_void(long handle, java.lang.foreign.MemorySegment callback, long callbackData) {
        try {
            MH_ffi_kissmon_jvm_rust_future_poll_void.invokeExact(handle, callback, callbackData);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_cancel_void
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_cancel_void = findDowncallHandle("ffi_kissmon_jvm_rust_future_cancel_void", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_cancel_void(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_cancel_void.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_free_void
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_free_void = findDowncallHandle("ffi_kissmon_jvm_rust_future_free_void", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG));

    static void ffi_kissmon_jvm_rust_future_free_void(long handle) {
        try {
            MH_ffi_kissmon_jvm_rust_future_free_void.invokeExact(handle);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_rust_future_complete_void
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_rust_future_complete_void = findDowncallHandle("ffi_kissmon_jvm_rust_future_complete_void", java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.JAVA_LONG, java.lang.foreign.ValueLayout.ADDRESS));

    static void ffi_kissmon_jvm_rust_future_complete_void(long handle, java.lang.foreign.MemorySegment _uniffiOutErr) {
        try {
            MH_ffi_kissmon_jvm_rust_future_complete_void.invokeExact(handle, _uniffiOutErr);
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_func_defaults
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_func_defaults = findDowncallHandle("uniffi_kissmon_jvm_checksum_func_defaults", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_func_defaults() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_func_defaults.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_func_present_bits
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_func_present_bits = findDowncallHandle("uniffi_kissmon_jvm_checksum_func_present_bits", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_func_present_bits() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_func_present_bits.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_func_decode_line
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_func_decode_line = findDowncallHandle("uniffi_kissmon_jvm_checksum_func_decode_line", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_func_decode_line() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_func_decode_line.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_channel
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_channel = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_channel", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_channel() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_channel.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_close
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_close = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_close", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_close() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_close.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_flush
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_flush = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_flush", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_flush() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_flush.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_heartbeat
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_heartbeat = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_heartbeat", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_heartbeat() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_heartbeat.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_instance
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_instance = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_instance", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_instance() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_instance.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_intern
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_intern = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_intern", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_intern() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_intern.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage_ids
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage_ids = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage_ids", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage_ids() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_log_llm_usage_ids.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_pid
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_pid = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_pid", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_pid() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_pid.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_register
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_register = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_register", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_register() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_register.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_start_heartbeat
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_start_heartbeat = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_start_heartbeat", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_start_heartbeat() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_start_heartbeat.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_stats
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_stats = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_stats", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_stats() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_stats.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_stop_heartbeat
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_stop_heartbeat = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_stop_heartbeat", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_stop_heartbeat() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_stop_heartbeat.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_method_nativeclient_unregister
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_method_nativeclient_unregister = findDowncallHandle("uniffi_kissmon_jvm_checksum_method_nativeclient_unregister", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_method_nativeclient_unregister() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_method_nativeclient_unregister.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // uniffi_kissmon_jvm_checksum_constructor_nativeclient_new
    private static final java.lang.invoke.MethodHandle MH_uniffi_kissmon_jvm_checksum_constructor_nativeclient_new = findDowncallHandle("uniffi_kissmon_jvm_checksum_constructor_nativeclient_new", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_SHORT));

    static short uniffi_kissmon_jvm_checksum_constructor_nativeclient_new() {
        try {
            return (short) MH_uniffi_kissmon_jvm_checksum_constructor_nativeclient_new.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    // ffi_kissmon_jvm_uniffi_contract_version
    private static final java.lang.invoke.MethodHandle MH_ffi_kissmon_jvm_uniffi_contract_version = findDowncallHandle("ffi_kissmon_jvm_uniffi_contract_version", java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT));

    static int ffi_kissmon_jvm_uniffi_contract_version() {
        try {
            return (int) MH_ffi_kissmon_jvm_uniffi_contract_version.invokeExact();
        } catch (Throwable _ex) { throw new AssertionError("invokeExact failed", _ex); }
    }

    

    // Integrity checks and initialization must happen after all MethodHandle fields
    // are initialized (static fields are initialized in textual order in Java).
    static {
        NamespaceLibrary.uniffiCheckContractApiVersion();
        NamespaceLibrary.uniffiCheckApiChecksums();
        
        CLEANER = UniffiCleaner.create();
        }
}

