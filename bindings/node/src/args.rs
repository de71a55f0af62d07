//! JS values into the Rust types the core takes. Only what a type cannot
//! hold is refused here (a string for a number, 1.5 tokens, a negative
//! duration); every rule of the protocol is the core's to check.

use crate::errors::{Failure, Result};
use napi::bindgen_prelude::{BigInt, JsObjectValue, Object, Uint8Array};
use napi::{JsValue, Unknown, ValueType};
use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::time::Duration;

/// The longest timeout accepted, in milliseconds: the range of Node's own timers.
pub const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

fn kind(value: &Unknown) -> Option<ValueType> {
    value.get_type().ok()
}

fn type_name(value: &Unknown) -> &'static str {
    match kind(value) {
        Some(ValueType::Undefined) => "undefined",
        Some(ValueType::Null) => "null",
        Some(ValueType::Boolean) => "boolean",
        Some(ValueType::Number) => "number",
        Some(ValueType::String) => "string",
        Some(ValueType::Symbol) => "symbol",
        Some(ValueType::Object) => "object",
        Some(ValueType::Function) => "function",
        Some(ValueType::BigInt) => "bigint",
        _ => "an unknown type",
    }
}

fn wrong_type(argument: &'static str, expected: &str, value: &Unknown) -> Failure {
    Failure::Type { argument, reason: format!("must be {expected}, got {}", type_name(value)) }
}

/// A number as JS writes it (`Infinity`, not `inf`).
fn shown(number: f64) -> String {
    match number {
        n if n.is_nan() => "NaN".into(),
        f64::INFINITY => "Infinity".into(),
        f64::NEG_INFINITY => "-Infinity".into(),
        n => n.to_string(),
    }
}

fn conversion(argument: &'static str, err: napi::Error) -> Failure {
    Failure::Type { argument, reason: err.reason.clone() }
}

/// `undefined` and `null` both mean "not given".
pub fn is_absent(value: &Unknown) -> bool {
    matches!(kind(value), Some(ValueType::Undefined | ValueType::Null))
}

// The conversions below read the value directly: napi checks its type, and
// the type is only looked up to explain a refusal. Optional values look up
// their type first, since they are often absent.

/// Strings up to this many bytes are read in one napi call, without first asking their length.
const SHORT_STRING_BYTES: usize = 320;

/// Room on the stack for one short string argument, so that reading it allocates nothing.
pub struct StringBuffer([MaybeUninit<u8>; SHORT_STRING_BYTES]);

impl StringBuffer {
    pub fn new() -> Self {
        StringBuffer([MaybeUninit::uninit(); SHORT_STRING_BYTES])
    }
}

pub fn string(value: Unknown, argument: &'static str) -> Result<String> {
    string_in(value, argument, &mut StringBuffer::new()).map(Cow::into_owned)
}

/// A string argument, borrowed from `buffer` when it is short.
pub fn string_in<'b>(value: Unknown, argument: &'static str, buffer: &'b mut StringBuffer) -> Result<Cow<'b, str>> {
    let mut written = 0;
    let raw = value.value();
    // SAFETY: `raw` is a live value of the current call, and napi writes at
    // most `buffer.0.len()` bytes into `buffer`; it refuses a value that is not a string.
    let status = unsafe {
        napi::sys::napi_get_value_string_utf8(
            raw.env,
            raw.value,
            buffer.0.as_mut_ptr().cast(),
            buffer.0.len(),
            &mut written,
        )
    };
    if status != napi::sys::Status::napi_ok {
        return Err(wrong_type(argument, "a string", &value));
    }
    // napi never splits a character: a string cut short fills all but at
    // most the last 4 bytes (3 of a character that did not fit, and the NUL).
    if written + 4 < buffer.0.len() {
        // SAFETY: napi wrote the first `written` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(buffer.0.as_ptr().cast::<u8>(), written) };
        return Ok(String::from_utf8_lossy(bytes));
    }
    // SAFETY: napi_get_value_string_utf8 refuses a value that is not a string.
    unsafe { value.cast::<String>() }.map(Cow::Owned).map_err(|_| wrong_type(argument, "a string", &value))
}

pub fn opt_string(value: Unknown, argument: &'static str) -> Result<Option<String>> {
    if is_absent(&value) {
        return Ok(None);
    }
    string(value, argument).map(Some)
}

pub fn opt_string_in<'b>(
    value: Unknown,
    argument: &'static str,
    buffer: &'b mut StringBuffer,
) -> Result<Option<Cow<'b, str>>> {
    if is_absent(&value) {
        return Ok(None);
    }
    string_in(value, argument, buffer).map(Some)
}

pub fn number(value: Unknown, argument: &'static str) -> Result<f64> {
    // SAFETY: napi_get_value_double refuses a value that is not a number.
    unsafe { value.cast::<f64>() }.map_err(|_| wrong_type(argument, "a number", &value))
}

pub fn opt_number(value: Unknown, argument: &'static str) -> Result<Option<f64>> {
    if is_absent(&value) {
        return Ok(None);
    }
    number(value, argument).map(Some)
}

pub fn boolean(value: Unknown, argument: &'static str) -> Result<bool> {
    // SAFETY: napi_get_value_bool refuses a value that is not a boolean.
    unsafe { value.cast::<bool>() }.map_err(|_| wrong_type(argument, "a boolean", &value))
}

pub fn opt_boolean(value: Unknown, argument: &'static str) -> Result<Option<bool>> {
    if is_absent(&value) {
        return Ok(None);
    }
    boolean(value, argument).map(Some)
}

/// A JS number or BigInt as a whole number the core's unsigned types can hold.
pub fn whole(value: Unknown, argument: &'static str) -> Result<u64> {
    // SAFETY: napi_get_value_double refuses a value that is not a number.
    let number = match unsafe { value.cast::<f64>() } {
        Ok(number) => number,
        Err(_) if kind(&value) == Some(ValueType::BigInt) => return big_whole(value, argument),
        Err(_) => return Err(wrong_type(argument, "a number or a bigint", &value)),
    };
    whole_number(number, argument)
}

/// A JS number as a whole number the core's unsigned types can hold.
// Out of line: one copy for the four fields of logLlmUsage's short path.
#[inline(never)]
pub fn whole_number(number: f64, argument: &'static str) -> Result<u64> {
    // u64::MAX as f64 rounds up to 2^64, which does not fit: hence `<`. In
    // that range `as` truncates, so a round trip tells a whole number.
    if number >= 0.0 && number < u64::MAX as f64 && (number as u64) as f64 == number {
        Ok(number as u64)
    } else {
        Err(not_whole(number, argument))
    }
}

// Out of line, so that a caller's path for good values stays short.
#[cold]
#[inline(never)]
fn not_whole(number: f64, argument: &'static str) -> Failure {
    Failure::Range { argument, reason: format!("must be a whole number >= 0, got {}", shown(number)) }
}

fn big_whole(value: Unknown, argument: &'static str) -> Result<u64> {
    // SAFETY: the value is a BigInt.
    let big = unsafe { value.cast::<BigInt>() }.map_err(|err| conversion(argument, err))?;
    match big.get_u64() {
        (false, whole, true) => Ok(whole),
        (true, ..) => Err(Failure::Range { argument, reason: "must be >= 0, got a negative bigint".into() }),
        _ => Err(Failure::Range { argument, reason: "must fit in 64 bits, got a larger bigint".into() }),
    }
}

pub fn opt_whole(value: Unknown, argument: &'static str) -> Result<Option<u64>> {
    if is_absent(&value) {
        return Ok(None);
    }
    whole(value, argument).map(Some)
}

/// Milliseconds as a `Duration`, by the core's one rule for durations.
pub fn millis(value: Unknown, argument: &'static str) -> Result<Duration> {
    Ok(kissmon::duration_from_millis(argument, number(value, argument)?)?)
}

/// A wait bound in milliseconds, within the range of Node's timers, or `default`.
pub fn timeout(value: Unknown, argument: &'static str, default: Duration) -> Result<Duration> {
    if is_absent(&value) {
        return Ok(default);
    }
    let ms = number(value, argument)?;
    // Node's timers end the wait in JS, so the bound is theirs (2^31 - 1 ms), below the core's.
    if !(0.0..=MAX_TIMEOUT_MS).contains(&ms) {
        return Err(Failure::Range {
            argument,
            reason: format!("must be a number of milliseconds in 0..={MAX_TIMEOUT_MS}, got {}", shown(ms)),
        });
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

pub fn object<'env>(value: Unknown<'env>, argument: &'static str) -> Result<Object<'env>> {
    match kind(&value) {
        Some(ValueType::Object) if !value.is_array().unwrap_or(false) => {
            // SAFETY: the value is an object.
            unsafe { value.cast::<Object>() }.map_err(|err| conversion(argument, err))
        }
        _ => Err(wrong_type(argument, "an object", &value)),
    }
}

pub fn opt_object<'env>(value: Unknown<'env>, argument: &'static str) -> Result<Option<Object<'env>>> {
    if is_absent(&value) {
        return Ok(None);
    }
    object(value, argument).map(Some)
}

/// The own enumerable string keys of `object`.
pub fn keys(object: &Object, argument: &'static str) -> Result<Vec<String>> {
    Object::keys(object).map_err(|err| conversion(argument, err))
}

/// The property `key` of `object`, `undefined` when absent.
pub fn property<'env>(object: &Object<'env>, key: &str, argument: &'static str) -> Result<Unknown<'env>> {
    object.get_named_property::<Unknown>(key).map_err(|err| conversion(argument, err))
}

/// The bytes of a line given as a string, a Buffer or a Uint8Array.
pub fn line_bytes(value: Unknown, argument: &'static str) -> Result<Vec<u8>> {
    match kind(&value) {
        Some(ValueType::String) => string(value, argument).map(String::into_bytes),
        Some(ValueType::Object) if value.is_typedarray().unwrap_or(false) => {
            // SAFETY: the value is a typed array; a kind other than Uint8Array fails the cast.
            unsafe { value.cast::<Uint8Array>() }
                .map(|bytes| bytes.to_vec())
                .map_err(|_| wrong_type(argument, "a string, a Buffer or a Uint8Array", &value))
        }
        _ => Err(wrong_type(argument, "a string, a Buffer or a Uint8Array", &value)),
    }
}
