//! kissmon-server: the reference monitor. Bots connect over a Unix socket
//! and write JSONL; readers decode each line with the core crate's
//! `decode_line`, a state worker keeps the live registry in memory, and a
//! writer thread stores it in SQLite in batched transactions.
//!
//! ```text
//! socket ─▶ reader task per connection ─┬─▶ state worker (registry, liveness) ─┐
//!                                       └─▶ llm_usage rows ────────────────────┴─▶ writer thread ─▶ SQLite (WAL)
//!                         prober thread (/proc: dead pids, rss, cpu) ◀─▶ state worker
//! ```

pub mod alerts;
pub mod config;
pub mod counters;
pub mod demo;
mod error;
pub mod http;
pub mod ingest;
pub mod otlp;
pub mod probe;
pub mod registry;
pub mod remote;
pub mod report;
pub mod server;
pub mod store;
pub mod time;

pub use config::{Config, DEFAULT_DB_PATH};
pub use counters::{Counter, Counters};
pub use error::{Context, Error, Result};
pub use server::{raise_open_files_limit, Background, Server};
