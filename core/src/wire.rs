//! The wire: protocol v1 messages and their limits. `spec/PROTOCOL.md` is the prose
//! version of this file; the two must agree.

use serde::Serialize;
use std::collections::BTreeMap;

/// The protocol version this crate speaks and writes as `"v"`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Longest accepted line, excluding the terminating `\n`.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Channel names are 1..=128 bytes of UTF-8 without control characters.
pub const MAX_CHANNEL_BYTES: usize = 128;
/// Model names are 1..=256 bytes.
pub const MAX_MODEL_BYTES: usize = 256;
/// Feature names (of llm_usage and of register's feature map) are 1..=128 bytes.
pub const MAX_FEATURE_BYTES: usize = 128;
/// Provider names are 1..=64 bytes.
pub const MAX_PROVIDER_BYTES: usize = 64;
/// Instance ids are 1..=64 bytes.
pub const MAX_INSTANCE_BYTES: usize = 64;
/// Free-text fields (`reason`, `sdk.lang`, `sdk.version`) are at most 256 bytes.
pub const MAX_TEXT_BYTES: usize = 256;
/// Longest heartbeat interval a client may announce: one day.
pub const MAX_HEARTBEAT_INTERVAL_S: f64 = 86_400.0;
/// Largest pid: 2^31 - 1.
pub const MAX_PID: u32 = i32::MAX as u32;
/// Largest token count, and largest `count`: 2^53, the integers every JSON reader keeps exact.
pub const MAX_TOKENS: u64 = 1 << 53;
/// Largest llm_usage sequence number (protocol 1.1): 2^53 as well.
pub const MAX_SEQ: u64 = 1 << 53;

/// Where clients connect when neither the caller nor `$KISSBOT_MONITOR_SOCKET` says otherwise.
pub const DEFAULT_SOCKET_PATH: &str = "/tmp/kissbot_monitor.sock";
/// The environment variable that overrides [`DEFAULT_SOCKET_PATH`].
pub const SOCKET_ENV: &str = "KISSBOT_MONITOR_SOCKET";

/// The socket path a client or monitor uses when none is given.
pub fn default_socket_path() -> std::path::PathBuf {
    match std::env::var_os(SOCKET_ENV) {
        Some(path) if !path.is_empty() => path.into(),
        _ => DEFAULT_SOCKET_PATH.into(),
    }
}

/// One line of the protocol.
///
/// Serializing a `Message` gives its canonical JSON: the legacy fields first,
/// in the earlier monitor's order, then the v1 additions, absent ones omitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    Register(Register),
    Heartbeat(Heartbeat),
    Unregister(Unregister),
    LlmUsage(LlmUsage),
}

impl Message {
    /// The `type` field's value.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Register(_) => "register",
            Message::Heartbeat(_) => "heartbeat",
            Message::Unregister(_) => "unregister",
            Message::LlmUsage(_) => "llm_usage",
        }
    }

    pub fn channel(&self) -> &str {
        match self {
            Message::Register(m) => &m.channel,
            Message::Heartbeat(m) => &m.channel,
            Message::Unregister(m) => &m.channel,
            Message::LlmUsage(m) => &m.channel,
        }
    }

    /// The sender's pid; `None` only for a legacy llm_usage line.
    pub fn pid(&self) -> Option<u32> {
        match self {
            Message::Register(m) => Some(m.pid),
            Message::Heartbeat(m) => Some(m.pid),
            Message::Unregister(m) => Some(m.pid),
            Message::LlmUsage(m) => m.pid,
        }
    }

    pub fn envelope(&self) -> &Envelope {
        match self {
            Message::Register(m) => &m.envelope,
            Message::Heartbeat(m) => &m.envelope,
            Message::Unregister(m) => &m.envelope,
            Message::LlmUsage(m) => &m.envelope,
        }
    }
}

/// The optional v1 fields every message type may carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Envelope {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    /// Unix seconds on the client's clock when the call was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<f64>,
    /// Random id of one client instance; tells a restarted bot from one whose pid was reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Register {
    pub channel: String,
    pub pid: u32,
    /// Legacy monitors require this key, so it is always written, even empty.
    pub features: BTreeMap<String, bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<Sdk>,
    /// Protocol 1.1: the client asks the monitor to acknowledge its llm_usage lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acks: Option<bool>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sdk {
    pub lang: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heartbeat {
    pub channel: String,
    pub pid: u32,
    /// How late this beat fired against its schedule, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<f64>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unregister {
    pub channel: String,
    pub pid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

/// An llm_usage line. When `count` > 1 the line folds several calls: the
/// token counts and `cost_usd` are sums and `latency_ms` is the mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmUsage {
    pub channel: String,
    pub model: String,
    pub feature: String,
    pub tokens_in: u64,
    pub tokens_out: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Protocol 1.1: this line's sequence number among the instance's llm_usage lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(flatten)]
    pub envelope: Envelope,
}

impl LlmUsage {
    /// How many calls this line stands for (`count`, 1 when absent).
    pub fn calls(&self) -> u64 {
        self.count.unwrap_or(1)
    }
}

/// The one line a monitor writes back (protocol 1.1), to a client that asked
/// for acknowledgements on its register line: every llm_usage line of the
/// client's instance with `seq` up to this one is stored, and a resent copy
/// will not be counted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename = "ack")]
pub struct Ack {
    pub seq: u64,
}

impl Ack {
    /// The ack as one line, `\n` included: `{"type":"ack","seq":N}`.
    pub fn line(self) -> String {
        format!("{{\"type\":\"ack\",\"seq\":{}}}\n", self.seq)
    }

    /// Reads one line from the monitor (without its `\n`); `None` for
    /// anything that is not an ack (a client ignores such lines).
    pub fn decode(line: &[u8]) -> Option<Ack> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        serde_json::from_slice::<Ack>(line).ok().filter(|ack| ack.seq <= MAX_SEQ)
    }
}
