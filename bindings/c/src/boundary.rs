//! The one place where failures cross into C: status codes, the
//! thread-local last error, and the panic guard every exported function uses.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What every fallible function returns. `kissmon_status_str` gives its text;
/// `kissmon_last_error_message` and `kissmon_last_error_argument` say more
/// about the latest failure on the calling thread.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kissmon_status {
    /// Success.
    Ok = 0,
    /// An argument broke a rule of the protocol; `kissmon_last_error_argument` names it.
    InvalidArgument = 1,
    /// A pointer argument that must not be NULL was NULL; `kissmon_last_error_argument` names it.
    NullArgument = 2,
    /// A string argument was not valid UTF-8; `kissmon_last_error_argument` names it.
    InvalidUtf8 = 3,
    /// `kissmon_client_flush` or `kissmon_client_close`: the timeout ran out before
    /// everything was written. Nothing is wrong with the call; what is left stays
    /// queued (flush) or is counted as dropped (close).
    TimedOut = 4,
    /// `kissmon_decode_line`: the line breaks the protocol; the `kissmon_decode_error` says how.
    DecodeFailed = 5,
    /// The client's background sender thread could not be started.
    SpawnFailed = 6,
    /// A bug in the library was caught at its boundary; the call did nothing.
    /// `kissmon_last_error_message` holds the panic message. Please report it.
    Panic = 7,
}

impl kissmon_status {
    const ALL: [kissmon_status; 8] = [
        kissmon_status::Ok,
        kissmon_status::InvalidArgument,
        kissmon_status::NullArgument,
        kissmon_status::InvalidUtf8,
        kissmon_status::TimedOut,
        kissmon_status::DecodeFailed,
        kissmon_status::SpawnFailed,
        kissmon_status::Panic,
    ];

    fn text(self) -> &'static CStr {
        match self {
            kissmon_status::Ok => c"ok",
            kissmon_status::InvalidArgument => c"invalid argument",
            kissmon_status::NullArgument => c"NULL argument",
            kissmon_status::InvalidUtf8 => c"invalid UTF-8 in a string argument",
            kissmon_status::TimedOut => c"timed out before everything was written",
            kissmon_status::DecodeFailed => c"the line breaks the protocol",
            kissmon_status::SpawnFailed => c"cannot start the sender thread",
            kissmon_status::Panic => c"internal error (a bug in libkissmon)",
        }
    }
}

/// Why a call failed: the status it returns, the argument at fault if any,
/// and a message that says what is wrong.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: kissmon_status,
    pub(crate) argument: Option<&'static str>,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn null(argument: &'static str) -> Failure {
        Failure {
            status: kissmon_status::NullArgument,
            argument: Some(argument),
            message: format!("invalid argument `{argument}`: must not be NULL"),
        }
    }

    pub(crate) fn utf8(argument: &'static str, valid_up_to: usize) -> Failure {
        Failure {
            status: kissmon_status::InvalidUtf8,
            argument: Some(argument),
            message: format!("invalid argument `{argument}`: invalid UTF-8 at byte {valid_up_to}"),
        }
    }

    /// A value the C type can hold but the core's type cannot (a negative count, a pid over 2^32).
    pub(crate) fn out_of_range(argument: &'static str, reason: String) -> Failure {
        kissmon_core::Error::InvalidArgument { argument, reason }.into()
    }

    pub(crate) fn timed_out(what: &str, timeout_ms: u64, queued: u64) -> Failure {
        Failure {
            status: kissmon_status::TimedOut,
            argument: None,
            message: format!("{what}: {queued} lines still unwritten after {timeout_ms} ms"),
        }
    }
}

impl From<kissmon_core::Error> for Failure {
    fn from(err: kissmon_core::Error) -> Failure {
        let message = err.to_string();
        match err {
            kissmon_core::Error::InvalidArgument { argument, .. } => {
                Failure { status: kissmon_status::InvalidArgument, argument: Some(argument), message }
            }
            kissmon_core::Error::Spawn(_) => Failure { status: kissmon_status::SpawnFailed, argument: None, message },
            // The core's error enum may grow; anything new is reported, not lost.
            #[allow(unreachable_patterns)]
            _ => Failure { status: kissmon_status::Panic, argument: None, message },
        }
    }
}

struct LastError {
    message: CString,
    argument: Option<CString>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn c_string_lossy(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

fn record(failure: Failure) -> kissmon_status {
    let message = c_string_lossy(&failure.message);
    let argument = failure.argument.map(c_string_lossy);
    // During thread teardown the slot may be gone; the status still tells what happened.
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = Some(LastError { message, argument }));
    failure.status
}

/// Runs the body of an exported function: a panic becomes `Panic`, a
/// [`Failure`] becomes its status with the thread's last error set.
pub(crate) fn call(body: impl FnOnce() -> Result<(), Failure>) -> kissmon_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => kissmon_status::Ok,
        Ok(Err(failure)) => record(failure),
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            record(Failure { status: kissmon_status::Panic, argument: None, message: format!("panic: {detail}") })
        }
    }
}

/// Runs `body` for functions that return a value rather than a status,
/// giving `fallback` if it panics.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The text of a status, e.g. "invalid argument". Unknown values give
/// "unknown status". A static string: do not free it.
#[no_mangle]
pub extern "C" fn kissmon_status_str(status: c_int) -> *const c_char {
    guard(c"unknown status".as_ptr(), || {
        kissmon_status::ALL
            .iter()
            .find(|known| **known as c_int == status)
            .map_or(c"unknown status", |known| known.text())
            .as_ptr()
    })
}

/// The message of the latest failed call on this thread, naming the bad
/// argument, e.g. "invalid argument `tokens_in`: must be an integer in
/// 0..=9007199254740992, got -1". An empty string when no call failed yet.
///
/// Like `errno`, it is only meaningful right after a call returned a status
/// other than `KISSMON_STATUS_OK`: successful calls do not clear it. The
/// string belongs to the library and stays valid until the next failing call
/// on this thread: do not free it, copy it to keep it.
#[no_mangle]
pub extern "C" fn kissmon_last_error_message() -> *const c_char {
    guard(c"".as_ptr(), || {
        LAST_ERROR
            .try_with(|last| last.borrow().as_ref().map_or(c"".as_ptr(), |e| e.message.as_ptr()))
            .unwrap_or(c"".as_ptr())
    })
}

/// The snake_case name of the argument at fault in the latest failed call on
/// this thread (e.g. "tokens_in", "channel"), or NULL when that failure named
/// no argument. Same lifetime rules as `kissmon_last_error_message`: do not free it.
#[no_mangle]
pub extern "C" fn kissmon_last_error_argument() -> *const c_char {
    guard(std::ptr::null(), || {
        LAST_ERROR
            .try_with(|last| {
                last.borrow().as_ref().and_then(|e| e.argument.as_ref()).map_or(std::ptr::null(), |a| a.as_ptr())
            })
            .unwrap_or(std::ptr::null())
    })
}
