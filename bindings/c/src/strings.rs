//! C strings in and out: NUL-terminated and (pointer, length) arguments
//! checked for NULL and UTF-8, and strings the library hands out.

use crate::boundary::{self, Failure};
use std::ffi::{c_char, CStr, CString};

/// A NUL-terminated UTF-8 argument that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn required<'a>(ptr: *const c_char, argument: &'static str) -> Result<&'a str, Failure> {
    optional(ptr, argument)?.ok_or_else(|| Failure::null(argument))
}

/// A NUL-terminated UTF-8 argument where NULL means "absent".
///
/// # Safety
/// As for [`required`].
pub(crate) unsafe fn optional<'a>(ptr: *const c_char, argument: &'static str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    let text = CStr::from_ptr(ptr).to_str().map_err(|err| Failure::utf8(argument, err.valid_up_to()))?;
    Ok(Some(text))
}

/// A (pointer, length) UTF-8 argument, not NUL-terminated. NULL with length
/// 0 is the empty string; NULL with a length is a NULL argument.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes valid for `'a`.
pub(crate) unsafe fn sized<'a>(ptr: *const c_char, len: usize, argument: &'static str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return if len == 0 { Ok("") } else { Err(Failure::null(argument)) };
    }
    let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
    std::str::from_utf8(bytes).map_err(|err| Failure::utf8(argument, err.valid_up_to()))
}

/// Hands `text` to C as a string that only `kissmon_string_free` may free.
pub(crate) fn hand_out(text: &str) -> *mut c_char {
    // Protocol text never holds NUL (JSON escapes it); keep the contract anyway.
    CString::new(text.replace('\0', "\\u0000")).unwrap_or_default().into_raw()
}

/// Frees a string the library handed out (e.g. by `kissmon_decode_line`).
/// NULL is ignored. Do not call free() on library strings, and do not pass
/// strings of your own here.
///
/// # Safety
/// `text` is NULL or a string from this library, not freed before.
#[no_mangle]
pub unsafe extern "C" fn kissmon_string_free(text: *mut c_char) {
    boundary::guard((), || {
        if !text.is_null() {
            drop(CString::from_raw(text));
        }
    })
}
