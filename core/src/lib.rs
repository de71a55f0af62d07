//! kissmon: the protocol of the kissmon bot monitor and its non-blocking client.
//!
//! Bots report to one local monitor over a Unix socket, one JSON object per
//! line, fire-and-forget. [`MonitorClient`] never blocks its caller on the
//! monitor: calls only touch an in-memory queue, and one background thread
//! owns the connection. [`decode_line`] and [`encode_line`] are the one codec
//! that clients, the reference monitor and the conformance corpus share.

mod client;
mod decode;
mod duration;
mod encode;
mod error;
pub mod fold;
mod validate;
pub mod wire;

pub use client::{
    LlmUsage, MonitorClient, MonitorClientBuilder, Stats, ACK_WAIT, DEFAULT_CLOSE_TIMEOUT, DEFAULT_FLUSH_TIMEOUT,
    DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_MAX_AGGREGATES, DEFAULT_QUEUE_CAPACITY, DROP_GRACE, EXIT_FLUSH_BUDGET, LINGER,
    LINGER_TICK, MAX_UNACKED_LINES, RESEND_AFTER, WRITE_STALL_TIMEOUT,
};
pub use decode::decode_line;
pub use duration::{duration_from_millis, duration_from_secs, MAX_DURATION};
pub use encode::{encode_line, encode_line_into};
pub use error::{DecodeError, Error, ErrorClass, Result};
pub use wire::{default_socket_path, Ack, Message, DEFAULT_SOCKET_PATH, MAX_LINE_BYTES, PROTOCOL_VERSION, SOCKET_ENV};

/// The crate README's example, compiled by `cargo test` so it cannot drift
/// (`tests/readme.rs` checks that the repository README shows the same one).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
