//! The kissmon conformance harness as a library: the corpus loader and JSON
//! comparison ([`corpus`]), the one fake monitor ([`monitor`]), the adapter
//! process and its command protocol ([`adapter`]) and the running of cases
//! ([`cases`]). `conformance/README.md` documents all of it; the binary
//! (`src/main.rs`) is what `conformance/run.sh` calls.

pub mod adapter;
pub mod beats;
pub mod cases;
pub mod corpus;
pub mod monitor;
