//! `status --url` and `usage --url`: the same reports, read from a monitor's
//! HTTP API instead of its database, so an operator can ask a monitor on
//! another host.

use crate::error::{Error, Result};
use crate::report::{BotStatus, MonitorInfo, StatusReport, UsageLine, UsageReport};
use serde_json::Value;
use std::time::Duration;

/// Where a monitor's API is, and the token it wants.
pub struct Remote {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Remote {
    /// `url` is the monitor's base address, e.g. `http://10.0.0.5:9477`.
    pub fn new(url: &str, token: Option<String>) -> Result<Remote> {
        let base = url.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            return Err(Error::new(format!("--url {url}: expected http://HOST:PORT (plain HTTP; put TLS in front)")));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Ok(Remote { base, token, agent })
    }

    pub fn send_get(&self, path: &str) -> Result<Value> {
        self.get(path)
    }

    fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.agent.get(&url);
        if let Some(token) = &self.token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response =
            request.call().map_err(|err| Error::new(format!("cannot reach the monitor at {}: {err}", self.base)))?;
        let status = response.status().as_u16();
        let body: Value = response.body_mut().read_json().map_err(|err| {
            Error::new(format!("{url} answered {status} without JSON ({err}): is it a kissmon monitor?"))
        })?;
        match status {
            200 => Ok(body),
            401 => Err(Error::new(format!(
                "the monitor at {} wants a token: pass --token or set KISSMON_HTTP_TOKEN ({})",
                self.base, body["error"]["message"]
            ))),
            _ => Err(Error::new(format!("{url} answered {status}: {}", body["error"]["message"]))),
        }
    }

    /// POSTs (with `body`) or DELETEs `path`; the JSON of a 2xx answer.
    pub fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let auth = self.token.as_ref().map(|token| format!("Bearer {token}"));
        let result = match (method, body) {
            ("POST", Some(body)) => {
                let mut request = self.agent.post(&url);
                if let Some(auth) = &auth {
                    request = request.header("Authorization", auth);
                }
                request.send_json(body)
            }
            _ => {
                let mut request = self.agent.delete(&url);
                if let Some(auth) = &auth {
                    request = request.header("Authorization", auth);
                }
                request.call()
            }
        };
        let mut response =
            result.map_err(|err| Error::new(format!("cannot reach the monitor at {}: {err}", self.base)))?;
        let status = response.status().as_u16();
        let body: Value = response
            .body_mut()
            .read_json()
            .map_err(|err| Error::new(format!("{url} answered {status} without JSON ({err})")))?;
        match status {
            200..=299 => Ok(body),
            _ => Err(Error::new(format!("{method} {url} answered {status}: {}", body["error"]["message"]))),
        }
    }

    pub fn status(&self) -> Result<StatusReport> {
        let monitor = self.get("/api/v1/monitor")?;
        let bots = self.get("/api/v1/bots")?;
        let counters = self.get("/api/v1/counters")?;
        let alerts = self.get("/api/v1/alerts?history=1")?;
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let bots = bots["bots"]
            .as_array()
            .map(|bots| {
                bots.iter()
                    .map(|bot| BotStatus {
                        monitor_id: None,
                        channel: text(&bot["channel"]).unwrap_or_default(),
                        pid: bot["pid"].as_i64().unwrap_or_default(),
                        status: text(&bot["status"]).unwrap_or_default(),
                        reason: text(&bot["status_reason"]),
                        features: bot["features"].clone(),
                        registered_at: text(&bot["registered_at"]).unwrap_or_default(),
                        last_seen: text(&bot["last_seen"]).unwrap_or_default(),
                        last_seen_age_s: bot["last_seen"].as_str().and_then(crate::time::parse_iso).map(|at| {
                            std::time::SystemTime::now().duration_since(at).unwrap_or_default().as_secs_f64()
                        }),
                        lang: text(&bot["lang"]),
                        sdk_version: text(&bot["sdk_version"]),
                        heartbeat_interval_s: bot["heartbeat_interval_s"].as_f64(),
                        pid_unverified: bot["pid_unverified"].as_bool().unwrap_or(false),
                        peer_mismatch: bot["peer_mismatch"].as_bool().unwrap_or(false),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let counters = counters["counters"]
            .as_object()
            .map(|map| map.iter().map(|(k, v)| (k.clone(), v.as_i64().unwrap_or_default())).collect())
            .unwrap_or_default();
        Ok(StatusReport {
            monitors: Vec::new(),
            monitor: MonitorInfo {
                monitor_id: None,
                pid: monitor["pid"].as_u64().map(|pid| pid.to_string()),
                started_at: text(&monitor["started_at"]),
                stopped_at: None,
            },
            bots,
            counters,
            alerts: alerts["active"]
                .as_array()
                .map(|alerts| {
                    alerts
                        .iter()
                        .map(|alert| crate::report::ActiveAlert {
                            monitor_id: text(&alert["labels"]["monitor_id"]),
                            alertname: text(&alert["alertname"]).unwrap_or_default(),
                            severity: text(&alert["severity"]).unwrap_or_default(),
                            state: text(&alert["state"]).unwrap_or_default(),
                            channel: text(&alert["channel"]),
                            starts_at: text(&alert["starts_at"]).unwrap_or_default(),
                            summary: text(&alert["summary"]).unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Usage over the last `since` (`None`: everything).
    pub fn usage(&self, since: Option<Duration>) -> Result<UsageReport> {
        let since_param = match since {
            Some(since) => format!("{}s", since.as_secs().max(1)),
            None => "0".to_owned(),
        };
        let usage = self.get(&format!("/api/v1/usage?group_by=channel,model,feature&since={since_param}"))?;
        let int = |v: &Value| v.as_i64().unwrap_or_default();
        let cost = |v: &Value| v.as_f64().filter(|c| *c != 0.0);
        let lines: Vec<UsageLine> = usage["groups"]
            .as_array()
            .map(|groups| {
                groups
                    .iter()
                    .map(|g| UsageLine {
                        monitor_id: None,
                        channel: g["channel"].as_str().unwrap_or_default().to_owned(),
                        model: g["model"].as_str().unwrap_or_default().to_owned(),
                        feature: g["feature"].as_str().unwrap_or_default().to_owned(),
                        calls: int(&g["calls"]),
                        tokens_in: int(&g["tokens_in"]),
                        tokens_out: int(&g["tokens_out"]),
                        cost_usd: cost(&g["cost_usd"]),
                        mean_latency_ms: g["mean_latency_ms"].as_f64(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let totals = &usage["totals"];
        Ok(UsageReport {
            since: since.and_then(|_| usage["since"].as_str().map(str::to_owned)),
            total_calls: int(&totals["calls"]),
            total_tokens_in: int(&totals["tokens_in"]),
            total_tokens_out: int(&totals["tokens_out"]),
            total_cost_usd: cost(&totals["cost_usd"]),
            lines,
        })
    }
}
