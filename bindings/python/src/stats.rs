//! `kissmon.Stats`: a snapshot of `kissmon::Stats`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Counters and state of one client, from `MonitorClient.stats()`.
///
/// queued: lines waiting to be written now; sent: lines written (replays
/// included); dropped: calls that will never be written; coalesced: calls
/// merged into another line; reconnects: connections after the first;
/// connected: whether the sender holds a connection; last_error: the latest
/// connection or write problem, or None; acked: llm_usage lines the monitor
/// acknowledged as stored (protocol 1.1); unacked: lines written and waiting
/// for an ack; resent: lines written again after a reconnect (not in sent);
/// acks_active: whether the monitor on this connection acknowledges.
#[pyclass(module = "kissmon", name = "Stats", frozen, get_all, eq)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stats {
    queued: u64,
    sent: u64,
    dropped: u64,
    coalesced: u64,
    reconnects: u64,
    connected: bool,
    last_error: Option<String>,
    acked: u64,
    unacked: u64,
    resent: u64,
    acks_active: bool,
}

impl From<kissmon::Stats> for Stats {
    fn from(s: kissmon::Stats) -> Self {
        Stats {
            queued: s.queued,
            sent: s.sent,
            dropped: s.dropped,
            coalesced: s.coalesced,
            reconnects: s.reconnects,
            connected: s.connected,
            last_error: s.last_error,
            acked: s.acked,
            unacked: s.unacked,
            resent: s.resent,
            acks_active: s.acks_active,
        }
    }
}

#[pymethods]
impl Stats {
    /// The counters as a dict.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("queued", self.queued)?;
        dict.set_item("sent", self.sent)?;
        dict.set_item("dropped", self.dropped)?;
        dict.set_item("coalesced", self.coalesced)?;
        dict.set_item("reconnects", self.reconnects)?;
        dict.set_item("connected", self.connected)?;
        dict.set_item("last_error", &self.last_error)?;
        dict.set_item("acked", self.acked)?;
        dict.set_item("unacked", self.unacked)?;
        dict.set_item("resent", self.resent)?;
        dict.set_item("acks_active", self.acks_active)?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "Stats(queued={}, sent={}, dropped={}, coalesced={}, reconnects={}, connected={}, last_error={}, \
             acked={}, unacked={}, resent={}, acks_active={})",
            self.queued,
            self.sent,
            self.dropped,
            self.coalesced,
            self.reconnects,
            if self.connected { "True" } else { "False" },
            match &self.last_error {
                Some(err) => format!("{err:?}"),
                None => "None".into(),
            },
            self.acked,
            self.unacked,
            self.resent,
            if self.acks_active { "True" } else { "False" },
        )
    }
}
