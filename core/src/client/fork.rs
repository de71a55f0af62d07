//! Fork detection without a syscall on the hot path: a child handler
//! registered with `pthread_atfork` bumps a generation counter, and a client
//! whose generation is stale starts over in the child.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Release);
}

pub(crate) fn install_handler() {
    static INSTALL: Once = Once::new();
    // SAFETY: registers a handler that only touches an atomic, which is async-signal-safe.
    INSTALL.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(in_child));
    });
}

pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}
