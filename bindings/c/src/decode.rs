//! `kissmon_decode_line`: the core's decoder, giving canonical JSON or the
//! error class and field, so C and Go run the conformance corpus through it.

use crate::boundary::{self, kissmon_status, Failure};
use crate::strings;
use kissmon_core::ErrorClass;
use std::ffi::{c_char, c_int, CStr};

/// Why a line was rejected: the error classes of the protocol spec.
/// `kissmon_error_class_str` gives the spec's snake_case name.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum kissmon_error_class {
    /// Not an error (the line was accepted).
    None = 0,
    /// "line_too_long": the line is longer than 64 KiB.
    LineTooLong = 1,
    /// "invalid_utf8": the line is not valid UTF-8.
    InvalidUtf8 = 2,
    /// "invalid_json": the line is not JSON.
    InvalidJson = 3,
    /// "not_object": the line is JSON but not an object.
    NotObject = 4,
    /// "unknown_type": `type` names no message type of this protocol version.
    UnknownType = 5,
    /// "missing_field": a required field is absent.
    MissingField = 6,
    /// "invalid_field": a field has the wrong type, is out of range, or is repeated.
    InvalidField = 7,
}

impl kissmon_error_class {
    const ALL: [kissmon_error_class; 8] = [
        kissmon_error_class::None,
        kissmon_error_class::LineTooLong,
        kissmon_error_class::InvalidUtf8,
        kissmon_error_class::InvalidJson,
        kissmon_error_class::NotObject,
        kissmon_error_class::UnknownType,
        kissmon_error_class::MissingField,
        kissmon_error_class::InvalidField,
    ];

    fn from_core(class: ErrorClass) -> kissmon_error_class {
        match class {
            ErrorClass::LineTooLong => kissmon_error_class::LineTooLong,
            ErrorClass::InvalidUtf8 => kissmon_error_class::InvalidUtf8,
            ErrorClass::InvalidJson => kissmon_error_class::InvalidJson,
            ErrorClass::NotObject => kissmon_error_class::NotObject,
            ErrorClass::UnknownType => kissmon_error_class::UnknownType,
            ErrorClass::MissingField => kissmon_error_class::MissingField,
            ErrorClass::InvalidField => kissmon_error_class::InvalidField,
        }
    }

    fn name(self) -> &'static CStr {
        match self {
            kissmon_error_class::None => c"none",
            kissmon_error_class::LineTooLong => c"line_too_long",
            kissmon_error_class::InvalidUtf8 => c"invalid_utf8",
            kissmon_error_class::InvalidJson => c"invalid_json",
            kissmon_error_class::NotObject => c"not_object",
            kissmon_error_class::UnknownType => c"unknown_type",
            kissmon_error_class::MissingField => c"missing_field",
            kissmon_error_class::InvalidField => c"invalid_field",
        }
    }
}

/// What `kissmon_decode_line` found wrong with a line. Release its strings
/// with `kissmon_decode_error_free`.
#[repr(C)]
#[derive(Debug)]
pub struct kissmon_decode_error {
    /// The error class.
    pub error_class: kissmon_error_class,
    /// The field at fault (e.g. "pid"), or NULL when the class names none. Library-owned.
    pub field: *mut c_char,
    /// A message saying what is wrong, for people; never compare it. Library-owned.
    pub detail: *mut c_char,
}

/// Decodes one protocol line (`len` bytes, without its trailing newline).
///
/// On success, stores the message's canonical JSON (one object, no newline)
/// in `*json_out`; free it with `kissmon_string_free`. When the line breaks
/// the protocol, returns `KISSMON_STATUS_DECODE_FAILED` and fills
/// `*error_out`; free its strings with `kissmon_decode_error_free`.
/// `error_out` may be NULL if you only need the status. On any failure
/// `*json_out` is NULL; on success `*error_out` is zeroed (class NONE).
///
/// Returns `KISSMON_STATUS_OK`, `KISSMON_STATUS_DECODE_FAILED`,
/// `KISSMON_STATUS_NULL_ARGUMENT` ("line" when NULL with a length, "json_out")
/// or `KISSMON_STATUS_PANIC`.
///
/// # Safety
/// `line` is NULL or holds `len` readable bytes; `json_out` is NULL or
/// writable; `error_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kissmon_decode_line(
    line: *const u8,
    len: usize,
    json_out: *mut *mut c_char,
    error_out: *mut kissmon_decode_error,
) -> kissmon_status {
    boundary::call(|| {
        let json_out = json_out.as_mut().ok_or_else(|| Failure::null("json_out"))?;
        *json_out = std::ptr::null_mut();
        let mut error_out = error_out.as_mut();
        if let Some(error) = error_out.as_deref_mut() {
            *error = kissmon_decode_error {
                error_class: kissmon_error_class::None,
                field: std::ptr::null_mut(),
                detail: std::ptr::null_mut(),
            };
        }
        let bytes = match (line.is_null(), len) {
            (true, 0) => &[][..],
            (true, _) => return Err(Failure::null("line")),
            (false, _) => std::slice::from_raw_parts(line, len),
        };
        match kissmon_core::decode_line(bytes) {
            Ok(message) => {
                let encoded = kissmon_core::encode_line(&message);
                *json_out = strings::hand_out(encoded.trim_end_matches('\n'));
                Ok(())
            }
            Err(err) => {
                if let Some(error) = error_out {
                    *error = kissmon_decode_error {
                        error_class: kissmon_error_class::from_core(err.class),
                        field: err.field.as_deref().map_or(std::ptr::null_mut(), strings::hand_out),
                        detail: strings::hand_out(&err.detail),
                    };
                }
                Err(Failure { status: kissmon_status::DecodeFailed, argument: None, message: err.to_string() })
            }
        }
    })
}

/// Frees the strings inside `*error` and sets them to NULL; the struct
/// itself is the caller's. NULL is ignored, and so is an already freed error.
/// Do not call free() on its strings.
///
/// # Safety
/// `error` is NULL or a `kissmon_decode_error` filled by `kissmon_decode_line`
/// (or zeroed).
#[no_mangle]
pub unsafe extern "C" fn kissmon_decode_error_free(error: *mut kissmon_decode_error) {
    boundary::guard((), || {
        if let Some(error) = error.as_mut() {
            strings::kissmon_string_free(std::mem::replace(&mut error.field, std::ptr::null_mut()));
            strings::kissmon_string_free(std::mem::replace(&mut error.detail, std::ptr::null_mut()));
        }
    })
}

/// The spec's name of an error class, e.g. "invalid_field"; "none" for
/// `KISSMON_ERROR_CLASS_NONE`, "unknown" for values outside the enum.
/// A static string: do not free it.
#[no_mangle]
pub extern "C" fn kissmon_error_class_str(error_class: c_int) -> *const c_char {
    boundary::guard(c"unknown".as_ptr(), || {
        kissmon_error_class::ALL
            .iter()
            .find(|known| **known as c_int == error_class)
            .map_or(c"unknown", |known| known.name())
            .as_ptr()
    })
}
