//! `kissmon.decode_line`: the core's decoder, for monitors written in
//! Python and for the conformance corpus.

use crate::error::{Error, Result};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

/// Decodes one protocol line (bytes or str, without its trailing newline)
/// into its canonical form as a dict; raises `ProtocolError` naming the
/// error class and field.
#[pyfunction]
pub(crate) fn decode_line<'py>(line: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = line.py();
    let canonical = if let Ok(bytes) = line.cast::<PyBytes>() {
        decode(bytes.as_bytes())
    } else if let Ok(array) = line.cast::<PyByteArray>() {
        decode(&array.to_vec())
    } else if let Ok(text) = line.cast::<PyString>() {
        decode(text.to_cow()?.as_bytes())
    } else {
        Err(Error::WrongType {
            argument: "line",
            expected: "bytes or str",
            got: line.get_type().name().map(|n| n.to_string()).unwrap_or_default(),
        })
    }?;
    py.import("json")?.call_method1("loads", (canonical,))
}

/// The canonical JSON text of a line, which `encode_line` writes.
fn decode(line: &[u8]) -> Result<String> {
    let message = kissmon::decode_line(line)?;
    Ok(kissmon::encode_line(&message))
}
