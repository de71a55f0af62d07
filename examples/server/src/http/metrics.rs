//! `/metrics`: OpenMetrics text built at scrape time from live state (the
//! registry's snapshot, the database's running usage totals, the monitor's
//! counters), so a bot the registry forgot leaves no stale series.
//!
//! Bot series carry one unbounded label, `channel`; usage series add model,
//! feature and provider, which are bounded by what bots report. Label values
//! are escaped here: prometheus-client writes them as given.

use super::HttpState;
use crate::counters::Counter;
use crate::registry::Status;
use crate::store::totals::{Totals, LATENCY_BUCKETS_S};
use crate::time::unix;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, LabelSetEncoder, LabelValueEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;
use std::fmt::Write as _;
use std::sync::Arc;

/// A label value written per the exposition format: `\`, `"` and line feeds escaped.
#[derive(Debug, Clone, Copy)]
struct Value<'a>(&'a str);

impl EncodeLabelValue for Value<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        let text = self.0;
        let mut start = 0;
        for (i, c) in text.char_indices() {
            let escaped = match c {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => continue,
            };
            encoder.write_str(&text[start..i])?;
            encoder.write_str(escaped)?;
            start = i + c.len_utf8();
        }
        encoder.write_str(&text[start..])
    }
}

/// Labels as (name, value) pairs.
struct Labels<'a>(&'a [(&'static str, &'a str)]);

impl EncodeLabelSet for Labels<'_> {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> std::fmt::Result {
        for (name, value) in self.0 {
            let mut label = encoder.encode_label();
            let mut key = label.encode_label_key()?;
            key.write_str(name)?;
            let mut value_encoder = key.encode_label_value()?;
            Value(value).encode(&mut value_encoder)?;
            value_encoder.finish()?;
        }
        Ok(())
    }
}

/// The content types /metrics answers with: OpenMetrics when the scraper
/// asks for it (Prometheus does), else the older text format, which every
/// other reader (promtool 2.42, curl, older agents) parses.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The same exposition in the text format 0.0.4: a counter family takes
/// the name of its `_total` samples, and the lines 0.0.4 lacks (`# UNIT`,
/// `# EOF`) go. Samples are the same in both formats.
pub fn to_text_format(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    let mut lines = openmetrics.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        // prometheus-client writes HELP, then TYPE, then samples.
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            if lines.peek() == Some(&format!("# TYPE {name} counter").as_str()) {
                lines.next();
                let help = &rest[name.len()..];
                out.push_str(&format!("# HELP {name}_total{help}\n# TYPE {name}_total counter\n"));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Writes the whole exposition, in OpenMetrics.
pub fn render(state: &Arc<HttpState>) -> Result<String, std::fmt::Error> {
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register_collector(Box::new(Scrape(Arc::clone(state))));
    let mut out = String::with_capacity(64 * 1024);
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}

#[derive(Debug)]
struct Scrape(Arc<HttpState>);

impl std::fmt::Debug for HttpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpState").finish_non_exhaustive()
    }
}

impl prometheus_client::collector::Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let state = &self.0;
        bots(state, &mut encoder)?;
        let totals = state.store.totals().lock().clone();
        usage(&totals, &mut encoder)?;
        monitor(state, &mut encoder)?;
        alerts(state, &mut encoder)
    }
}

fn alerts(state: &HttpState, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    {
        let view = Arc::clone(&state.alerts.view.borrow());
        let mut family = encoder.encode_descriptor(
            "kissmon_alerts_firing",
            "Alerts firing now, by rule and severity (series of rules with none firing are absent)",
            None,
            MetricType::Gauge,
        )?;
        for ((alertname, severity), n) in view.firing_counts() {
            let labels = [("alertname", alertname.as_str()), ("severity", severity.as_str())];
            family.encode_family(&Labels(&labels))?.encode_gauge(&(n as i64))?;
        }
        gauge(
            encoder,
            "kissmon_alert_silences_active",
            "Silences in force now, as the alert engine last read them",
            None,
            view.silences_active as f64,
        )?;
    }
    let mut family = encoder.encode_descriptor(
        "kissmon_alert_notifications",
        "Notification attempts by notifier and outcome (delivered, failed; gave_up and dropped count notices)",
        None,
        MetricType::Counter,
    )?;
    for ((notifier, outcome), n) in state.alerts.stats.snapshot() {
        family
            .encode_family(&Labels(&[("notifier", notifier.as_str()), ("outcome", outcome)]))?
            .encode_counter::<NoLabelSet, _, u64>(&n, None)?;
    }
    Ok(())
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, unit: Option<&Unit>, value: f64) -> std::fmt::Result {
    encoder.encode_descriptor(name, help, unit, MetricType::Gauge)?.encode_gauge(&value)
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    encoder.encode_descriptor(name, help, None, MetricType::Counter)?.encode_counter::<NoLabelSet, _, u64>(&value, None)
}

fn bots(state: &HttpState, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let fleet = state.fleet();
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_bot_state",
            "1 for the bot's status, 0 for each other status",
            None,
            MetricType::Gauge,
        )?;
        for bot in &fleet.bots {
            for status in Status::ALL {
                let labels = [("channel", bot.channel.as_str()), ("state", status.as_str())];
                family.encode_family(&Labels(&labels))?.encode_gauge(&i64::from(bot.status == status))?;
            }
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_bot_last_heartbeat_timestamp",
            "When the bot last registered or sent a heartbeat",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?;
        for bot in &fleet.bots {
            family.encode_family(&Labels(&[("channel", &bot.channel)]))?.encode_gauge(&unix(bot.last_seen))?;
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_bot_heartbeat_lag",
            "The bot's event-loop lag at its last heartbeat",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?;
        for bot in &fleet.bots {
            if let Some(lag_ms) = bot.lag_ms {
                family.encode_family(&Labels(&[("channel", &bot.channel)]))?.encode_gauge(&(lag_ms / 1000.0))?;
            }
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_bot_resident_memory",
            "The bot's resident memory at the latest sample (bots on this host)",
            Some(&Unit::Bytes),
            MetricType::Gauge,
        )?;
        for bot in &fleet.bots {
            if let Some(rss_mb) = bot.rss_mb {
                let bytes = (rss_mb * 1024.0 * 1024.0).round();
                family.encode_family(&Labels(&[("channel", &bot.channel)]))?.encode_gauge(&bytes)?;
            }
        }
    }
    Ok(())
}

fn ok_label(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown",
    }
}

fn usage(totals: &Totals, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let mut series: Vec<_> = totals.usage.iter().collect();
    series.sort_unstable_by(|a, b| a.0.cmp(b.0));
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_llm_calls",
            "LLM calls stored in the database (a folded row counts all its calls)",
            None,
            MetricType::Counter,
        )?;
        for (key, sums) in &series {
            let labels = [
                ("channel", key.channel.as_str()),
                ("model", &key.model),
                ("feature", &key.feature),
                ("provider", &key.provider),
                ("ok", ok_label(key.ok)),
            ];
            family.encode_family(&Labels(&labels))?.encode_counter::<NoLabelSet, _, u64>(&sums.calls, None)?;
        }
    }
    // Tokens and cost do not depend on `ok`: sum it away.
    let mut merged: Vec<(&crate::store::totals::UsageSeries, crate::store::totals::UsageSums)> = Vec::new();
    for (key, sums) in &series {
        match merged.last_mut() {
            Some((last, total))
                if (&last.channel, &last.model, &last.feature, &last.provider)
                    == (&key.channel, &key.model, &key.feature, &key.provider) =>
            {
                total.tokens_in += sums.tokens_in;
                total.tokens_out += sums.tokens_out;
                total.cache_read_tokens += sums.cache_read_tokens;
                total.reasoning_tokens += sums.reasoning_tokens;
                total.cost_usd += sums.cost_usd;
            }
            _ => merged.push((key, **sums)),
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_llm_tokens",
            "LLM tokens stored in the database, by type",
            None,
            MetricType::Counter,
        )?;
        for (key, sums) in &merged {
            for (kind, value) in [
                ("input", sums.tokens_in),
                ("output", sums.tokens_out),
                ("cache_read", sums.cache_read_tokens),
                ("reasoning", sums.reasoning_tokens),
            ] {
                let labels = [
                    ("channel", key.channel.as_str()),
                    ("model", &key.model),
                    ("feature", &key.feature),
                    ("provider", &key.provider),
                    ("type", kind),
                ];
                family.encode_family(&Labels(&labels))?.encode_counter::<NoLabelSet, _, u64>(&value, None)?;
            }
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_llm_cost_usd",
            "LLM cost in US dollars stored in the database, as the bots reported it",
            None,
            MetricType::Counter,
        )?;
        for (key, sums) in &merged {
            let labels = [
                ("channel", key.channel.as_str()),
                ("model", &key.model),
                ("feature", &key.feature),
                ("provider", &key.provider),
            ];
            family.encode_family(&Labels(&labels))?.encode_counter::<NoLabelSet, _, f64>(&sums.cost_usd, None)?;
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_llm_request_duration",
            "Latency of the LLM calls that reported one, by model and provider (OpenTelemetry GenAI buckets)",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        let mut latencies: Vec<_> = totals.latency.iter().collect();
        latencies.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for ((model, provider), latency) in latencies {
            let buckets: Vec<(f64, u64)> =
                LATENCY_BUCKETS_S.iter().copied().chain([f64::MAX]).zip(latency.buckets.iter().copied()).collect();
            family
                .encode_family(&Labels(&[("model", model), ("provider", provider)]))?
                .encode_histogram::<NoLabelSet>(latency.sum_s, latency.count(), &buckets, None)?;
        }
    }
    Ok(())
}

fn monitor(state: &HttpState, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let counters = &state.counters;
    {
        let mut family =
            encoder.encode_descriptor("kissmon_lines", "Lines read from bots, by type", None, MetricType::Counter)?;
        for (kind, c) in [
            ("register", Counter::lines_register),
            ("heartbeat", Counter::lines_heartbeat),
            ("unregister", Counter::lines_unregister),
            ("llm_usage", Counter::lines_llm_usage),
            ("blank", Counter::lines_blank),
        ] {
            family
                .encode_family(&Labels(&[("type", kind)]))?
                .encode_counter::<NoLabelSet, _, u64>(&counters.get(c), None)?;
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "kissmon_bad_lines",
            "Lines rejected, by error class",
            None,
            MetricType::Counter,
        )?;
        for class in kissmon::ErrorClass::ALL {
            family
                .encode_family(&Labels(&[("class", class.as_str())]))?
                .encode_counter::<NoLabelSet, _, u64>(&counters.get(Counter::bad_line(class)), None)?;
        }
    }
    let plain: [(&str, &str, Counter); 18] = [
        ("kissmon_connections_accepted", "Bot connections accepted", Counter::connections_accepted),
        (
            "kissmon_connections_shed",
            "Bot connections closed at once: --max-connections were open",
            Counter::connections_shed,
        ),
        ("kissmon_lines_shed", "Lines shed because the registry was overloaded", Counter::lines_shed_overload),
        ("kissmon_peer_mismatch_rejected_lines", "Lines rejected for a pid mismatch", Counter::peer_mismatch_rejected),
        (
            "kissmon_usage_folded_calls",
            "LLM calls folded into aggregates while the writer was behind",
            Counter::usage_folded,
        ),
        ("kissmon_usage_shed_calls", "LLM calls shed past the aggregate bound", Counter::usage_shed),
        (
            "kissmon_usage_duplicate_lines",
            "Numbered llm_usage lines skipped as copies of lines already stored (protocol 1.1)",
            Counter::usage_duplicates,
        ),
        (
            "kissmon_usage_refused_calls",
            "Calls of numbered llm_usage lines not kept (past a bound, or behind a hole); their clients resend them",
            Counter::usage_refused,
        ),
        ("kissmon_acks_written", "Ack lines written to clients (protocol 1.1)", Counter::acks_written),
        (
            "kissmon_usage_acks_pruned",
            "Client instances whose ack mark was forgotten after --retention with nothing heard of them",
            Counter::usage_acks_pruned,
        ),
        (
            "kissmon_storage_errors",
            "Storage transactions the database refused (each is retried)",
            Counter::storage_errors,
        ),
        (
            "kissmon_storage_lost_rows",
            "Rows lost because the monitor stopped while the database still refused them",
            Counter::storage_rows_lost,
        ),
        ("kissmon_metrics_shed_rows", "rss/cpu sample rows shed while storage was stuck", Counter::metrics_shed),
        ("kissmon_transitions_shed_rows", "Transition rows shed while storage was stuck", Counter::transitions_shed),
        ("kissmon_transitions", "Bot status changes", Counter::transitions),
        ("kissmon_otlp_exports", "OTLP exports the endpoint took", Counter::otlp_exports),
        (
            "kissmon_otlp_export_failures",
            "OTLP exports that failed (each is retried later)",
            Counter::otlp_export_failures,
        ),
        (
            "kissmon_otlp_exports_deferred",
            "OTLP exports skipped while backing off from a failing endpoint (the next one carries their data)",
            Counter::otlp_exports_deferred,
        ),
    ];
    for (name, help, c) in plain {
        counter(encoder, name, help, counters.get(c))?;
    }
    counter(
        encoder,
        "kissmon_events_clients_dropped",
        "Event-stream clients disconnected for falling too far behind (they resume with their last id)",
        state.events.clients_dropped(),
    )?;
    gauge(
        encoder,
        "kissmon_events_clients",
        "Event-stream clients connected now",
        None,
        state.events.clients() as f64,
    )?;
    gauge(
        encoder,
        "kissmon_connections_open",
        "Bot connections open now",
        None,
        counters.get(Counter::connections_open) as f64,
    )?;
    let health = state.store.health();
    gauge(
        encoder,
        "kissmon_writer_lag",
        "How long the oldest row not yet committed has waited (0 when none waits)",
        Some(&Unit::Seconds),
        health.lag.as_secs_f64(),
    )?;
    gauge(encoder, "kissmon_writer_pending_rows", "Rows waiting for the writer", None, health.pending_rows as f64)?;
    gauge(
        encoder,
        "kissmon_storage_failing",
        "1 while the database refuses transactions (see /healthz for SQLite's words), else 0",
        None,
        if health.fault.is_some() { 1.0 } else { 0.0 },
    )?;
    if let Some(at) = health.last_commit {
        gauge(
            encoder,
            "kissmon_writer_last_commit_timestamp",
            "When the writer last committed",
            Some(&Unit::Seconds),
            unix(at),
        )?;
    }
    gauge(
        encoder,
        "kissmon_start_time",
        "When this monitor process started",
        Some(&Unit::Seconds),
        unix(state.started_at),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::to_text_format;

    #[test]
    fn the_text_format_names_counters_by_their_samples_and_drops_unit_and_eof() {
        let openmetrics = "# HELP kissmon_lines Lines read\n# TYPE kissmon_lines counter\nkissmon_lines_total{type=\"x\"} 2\n\
            # HELP kissmon_writer_lag_seconds Lag\n# TYPE kissmon_writer_lag_seconds gauge\n# UNIT kissmon_writer_lag_seconds seconds\n\
            kissmon_writer_lag_seconds 0.5\n# EOF\n";
        assert_eq!(
            to_text_format(openmetrics),
            "# HELP kissmon_lines_total Lines read\n# TYPE kissmon_lines_total counter\nkissmon_lines_total{type=\"x\"} 2\n\
             # HELP kissmon_writer_lag_seconds Lag\n# TYPE kissmon_writer_lag_seconds gauge\nkissmon_writer_lag_seconds 0.5\n"
        );
    }
}
