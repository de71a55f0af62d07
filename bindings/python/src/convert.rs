//! Python values to the core's argument types. Each conversion names the
//! argument in its error; the rules themselves are the core's.

use crate::error::{Error, Result};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map(|name| name.to_string()).unwrap_or_else(|_| "?".into())
}

fn wrong_type(argument: &'static str, expected: &'static str, value: &Bound<'_, PyAny>) -> Error {
    Error::WrongType { argument, expected, got: type_name(value) }
}

pub(crate) fn text(argument: &'static str, value: &Bound<'_, PyAny>) -> Result<String> {
    text_ref(argument, value).map(str::to_owned)
}

// `PyUnicode_AsUTF8AndSize` joined the limited API in 3.10, so pyo3 hides it
// (and `PyString::to_str`) from an abi3-py39 build, which must then copy
// every str into a new bytes object. Every CPython this wheel loads in
// exports it all the same (since 3.3, with this signature), and from 3.10 on
// it is part of the stable ABI, so declaring it here is safe.
extern "C" {
    fn PyUnicode_AsUTF8AndSize(unicode: *mut ffi::PyObject, size: *mut ffi::Py_ssize_t) -> *const c_char;
}

/// A str borrowed as UTF-8, without a copy: CPython keeps the UTF-8 form of
/// a str inside it (an ASCII str is its own UTF-8), valid while `value` lives.
pub(crate) fn text_ref<'a>(argument: &'static str, value: &'a Bound<'_, PyAny>) -> Result<&'a str> {
    if value.cast::<PyString>().is_err() {
        return Err(wrong_type(argument, "a str", value));
    }
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `value` is a live str and we hold the GIL.
    let data = unsafe { PyUnicode_AsUTF8AndSize(value.as_ptr(), &mut size) };
    if data.is_null() {
        // A lone surrogate has no UTF-8 form: the same UnicodeEncodeError as a copy raises.
        let err = PyErr::fetch(value.py());
        return Err(Error::OutOfRange { argument, reason: err.to_string() });
    }
    // SAFETY: CPython hands out `size` bytes of valid UTF-8 that live as long as the str.
    Ok(unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast::<u8>(), size as usize)) })
}

/// A non-negative integer of the core's type `T` (`u64`, `u32`, `usize`).
pub(crate) fn count<T: TryFrom<u64>>(argument: &'static str, value: &Bound<'_, PyAny>) -> Result<T> {
    if !value.is_instance_of::<PyInt>() {
        return Err(wrong_type(argument, "an int", value));
    }
    let out_of_range = || {
        let negative = value.lt(0).unwrap_or(false);
        let rule = if negative { "must not be negative" } else { "is too large" };
        Error::OutOfRange { argument, reason: format!("{rule}, got {value}") }
    };
    // An int already: read it directly, without the `__index__` call of a generic extract.
    // SAFETY: `value` is a live int and we hold the GIL.
    let wide = unsafe { ffi::PyLong_AsUnsignedLongLong(value.as_ptr()) };
    if wide == u64::MAX && PyErr::take(value.py()).is_some() {
        return Err(out_of_range());
    }
    T::try_from(wide).map_err(|_| out_of_range())
}

pub(crate) fn number(argument: &'static str, value: &Bound<'_, PyAny>) -> Result<f64> {
    if !(value.is_instance_of::<PyFloat>() || value.is_instance_of::<PyInt>()) {
        return Err(wrong_type(argument, "a float or an int", value));
    }
    value.extract().map_err(|_| Error::OutOfRange { argument, reason: format!("is too large, got {value}") })
}

/// The longest duration the binding passes on (about 31 years). The core adds
/// durations to `Instant::now()`, which panics past the clock's range
/// (requested in /work/requests/python.md); nothing sensible needs more.
/// Seconds as a float or an int, to a `Duration` by the core's one rule for durations.
pub(crate) fn seconds(argument: &'static str, value: &Bound<'_, PyAny>) -> Result<Duration> {
    Ok(kissmon::duration_from_secs(argument, number(argument, value)?)?)
}

pub(crate) fn flag(argument: &'static str, value: &Bound<'_, PyAny>) -> Result<bool> {
    match value.cast::<PyBool>() {
        Ok(flag) => Ok(flag.is_true()),
        Err(_) => Err(wrong_type(argument, "a bool", value)),
    }
}

pub(crate) fn path(argument: &'static str, value: &Bound<'_, PyAny>) -> Result<PathBuf> {
    value.extract().map_err(|_| wrong_type(argument, "a str or os.PathLike", value))
}

/// A mapping of feature names to bools (a dict, or anything with `items()`).
pub(crate) fn features(value: Option<&Bound<'_, PyAny>>) -> Result<Vec<(String, bool)>> {
    const EXPECTED: &str = "a mapping of str to bool";
    let Some(value) = value else { return Ok(Vec::new()) };
    let pair = |name: &Bound<'_, PyAny>, enabled: &Bound<'_, PyAny>| -> Result<(String, bool)> {
        let name = text("features", name).map_err(|_| wrong_type("features", EXPECTED, name))?;
        let enabled = flag("features", enabled).map_err(|_| wrong_type("features", EXPECTED, enabled))?;
        Ok((name, enabled))
    };
    if let Ok(dict) = value.cast::<PyDict>() {
        return dict.iter().map(|(name, enabled)| pair(&name, &enabled)).collect();
    }
    let items = value.call_method0("items").map_err(|_| wrong_type("features", EXPECTED, value))?;
    let iter = items.try_iter().map_err(|_| wrong_type("features", EXPECTED, value))?;
    let mut pairs = Vec::new();
    for item in iter {
        let item = item.map_err(|_| wrong_type("features", EXPECTED, value))?;
        let (name, enabled): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
            item.extract().map_err(|_| wrong_type("features", EXPECTED, value))?;
        pairs.push(pair(&name, &enabled)?);
    }
    Ok(pairs)
}
