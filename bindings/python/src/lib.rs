//! `kissmon._native`: the private extension module behind the `kissmon`
//! Python package. Each file wraps one core concept and only converts
//! types; the protocol, validation and queueing live in the `kissmon` crate.

mod client;
mod codec;
mod convert;
mod error;
mod stats;

use pyo3::prelude::*;

/// The package version, which is also what `register` reports as `sdk.version`.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<client::MonitorClient>()?;
    m.add_class::<stats::Stats>()?;
    m.add_function(wrap_pyfunction!(codec::decode_line, m)?)?;
    m.add("InvalidArgumentError", py.get_type::<error::InvalidArgumentError>())?;
    m.add("ProtocolError", py.get_type::<error::ProtocolError>())?;
    m.add("__version__", VERSION)?;
    // Defaults and limits come from the core, so every binding reads the same ones.
    m.add("DEFAULT_SOCKET_PATH", kissmon::DEFAULT_SOCKET_PATH)?;
    m.add("SOCKET_ENV", kissmon::SOCKET_ENV)?;
    m.add("PROTOCOL_VERSION", kissmon::PROTOCOL_VERSION)?;
    m.add("MAX_LINE_BYTES", kissmon::MAX_LINE_BYTES)?;
    m.add("DEFAULT_QUEUE_CAPACITY", kissmon::DEFAULT_QUEUE_CAPACITY)?;
    m.add("DEFAULT_MAX_AGGREGATES", kissmon::DEFAULT_MAX_AGGREGATES)?;
    m.add("DEFAULT_HEARTBEAT_INTERVAL", kissmon::DEFAULT_HEARTBEAT_INTERVAL.as_secs_f64())?;
    m.add("DEFAULT_FLUSH_TIMEOUT", kissmon::DEFAULT_FLUSH_TIMEOUT.as_secs_f64())?;
    m.add("DEFAULT_CLOSE_TIMEOUT", kissmon::DEFAULT_CLOSE_TIMEOUT.as_secs_f64())?;
    m.add("EXIT_FLUSH_BUDGET", kissmon::EXIT_FLUSH_BUDGET.as_secs_f64())?;
    Ok(())
}
