//! The JVM binding of kissmon: the core's `MonitorClient` and `decode_line`
//! exported through UniFFI, whose Java generator (uniffi-bindgen-java) writes
//! the FFM glue in `src/main/java/io/kissmon/ffi`. The Kotlin package
//! `io.kissmon` wraps that glue into the public API.
//!
//! Nothing here encodes, validates, queues or schedules: every function
//! converts JVM values (signed integers, seconds as `f64`) into the core's
//! types and calls the core. Errors cross in one place, [`error`]. Each
//! client keeps the names it was given in a table (`names`), so that the hot
//! `log_llm_usage_ids` call passes numbers only.

mod client;
mod decode;
mod error;
mod names;

pub use client::{present_bits, Defaults, NativeClient, NativeStats, NativeUsage, PresentBits};
pub use decode::decode_line;
pub use error::NativeError;

uniffi::setup_scaffolding!("kissmon");
