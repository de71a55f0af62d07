//! The C library of kissmon: `libkissmon.a`, `libkissmon.so` and the header
//! `include/kissmon.h`, which cbindgen generates from this crate.
//!
//! This crate only converts types. Every exported function runs inside
//! [`boundary::call`], which catches panics and turns every failure into a
//! status code plus a thread-local message naming the bad argument. NULL
//! pointers and invalid UTF-8 are statuses, never crashes.
#![allow(non_camel_case_types)]

mod boundary;
mod client;
mod decode;
mod options;
mod strings;
mod usage;

#[cfg(test)]
mod tests;

pub use boundary::*;
pub use client::*;
pub use decode::*;
pub use options::*;
pub use strings::*;
pub use usage::*;

/// The ABI version of this library, also spelled in the symbol `kissmon_abi_v2`.
pub const KISSMON_ABI_VERSION: u32 = 2;

/// Does nothing. Its name is the ABI version: a program that calls it fails
/// to link against a library of another ABI version, instead of corrupting
/// memory at run time. The Go module calls it; C programs may too.
#[no_mangle]
pub extern "C" fn kissmon_abi_v2() {}

/// The library's version, e.g. "0.1.0". A static string: do not free it.
#[no_mangle]
pub extern "C" fn kissmon_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
