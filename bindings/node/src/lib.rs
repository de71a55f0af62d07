//! The Node.js addon of kissmon. It only converts: JS values into the
//! `kissmon` crate's types (`args`), the crate's answers back into JS values,
//! and every error into one JS error (`errors`). Protocol, validation and
//! queueing stay in the crate. The public JS API (`index.js`) wraps the
//! native class to fire the core's heartbeat schedule from a timer on the
//! event loop and to close clients at process exit.

mod args;
// Public so that the exported functions count as used in test builds too,
// where napi-derive registers nothing.
pub mod client;
pub mod decode;
pub mod errors;
mod usage;
