//! What each kind of notifier sends, built from one [`Notice`], and the
//! escaping of bot-supplied strings for each format: JSON through serde,
//! Slack mrkdwn (`&`, `<`, `>` as entities; formatting characters defused),
//! Discord markdown (backslash escapes; no mentions parsed).

use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One alert at one moment, as every notifier receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// `firing` or `resolved`.
    pub status: &'static str,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    /// Alertmanager's zero time while firing.
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    pub fingerprint: String,
}

/// Alertmanager's "no end yet".
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl Notice {
    pub fn alertname(&self) -> &str {
        self.labels.get("alertname").map_or("", String::as_str)
    }

    fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }

    fn summary(&self) -> &str {
        self.annotations.get("summary").map_or("", String::as_str)
    }
}

/// Alertmanager's webhook payload, version 4, for one alert.
pub fn webhook(notice: &Notice, receiver: &str, external_url: &str) -> Value {
    let group: BTreeMap<&str, &str> = [("alertname", notice.alertname())].into_iter().collect();
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname={:?}}}", notice.alertname()),
        "truncatedAlerts": 0,
        "status": notice.status,
        "receiver": receiver,
        "groupLabels": group,
        "commonLabels": notice.labels,
        "commonAnnotations": notice.annotations,
        "externalURL": external_url,
        "alerts": [notice],
    })
}

/// One alert for Alertmanager's `POST /api/v2/alerts`. A firing alert's
/// `endsAt` is `until` (RFC 3339): Alertmanager would resolve an alert
/// without one after its resolve_timeout, and this monitor only re-sends on
/// repeat_interval.
pub fn alertmanager(notice: &Notice, until: &str) -> Value {
    let ends_at = if notice.status == "resolved" { notice.ends_at.as_str() } else { until };
    json!([{
        "labels": notice.labels,
        "annotations": notice.annotations,
        "startsAt": notice.starts_at,
        "endsAt": ends_at,
        "generatorURL": notice.generator_url,
    }])
}

fn headline(notice: &Notice) -> (&'static str, String) {
    let mark = if notice.status == "resolved" { "RESOLVED" } else { "FIRING" };
    (mark, format!("{} {}", notice.alertname(), notice.label("severity")))
}

/// A Slack incoming-webhook message.
pub fn slack(notice: &Notice) -> Value {
    let (mark, title) = headline(notice);
    let channel = notice.label("channel");
    let mut text = format!("*[{mark}] {}*", slack_escape(&title));
    if !channel.is_empty() {
        text.push_str(&format!(" channel `{}`", slack_escape(channel)));
    }
    text.push_str(&format!("\n{}", slack_escape(notice.summary())));
    json!({ "text": text })
}

/// A Discord webhook message; `allowed_mentions` keeps bot strings from pinging anyone.
pub fn discord(notice: &Notice) -> Value {
    let (mark, title) = headline(notice);
    let channel = notice.label("channel");
    let mut content = format!("**[{mark}] {}**", discord_escape(&title));
    if !channel.is_empty() {
        content.push_str(&format!(" channel {}", discord_escape(channel)));
    }
    content.push_str(&format!("\n{}", discord_escape(notice.summary())));
    json!({ "content": truncate(&content, 2000), "allowed_mentions": { "parse": [] } })
}

/// Slack mrkdwn: the three characters Slack reads as markup become entities
/// (so `<!channel>` or `<http://x|y>` from a bot stays text), and `*`, `_`,
/// `~` and `` ` `` get a zero-width space before them, so they cannot open
/// bold, italics, strike or code.
pub fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '*' | '_' | '~' | '`' => {
                out.push('\u{200b}');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Discord markdown: every markdown character gets a backslash, and `@`
/// a zero-width space after it, so `@everyone` stays text even where mentions are parsed.
pub fn discord_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '-' | '[' | ']' | '(' | ')' | '<' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200b}"),
            _ => out.push(c),
        }
    }
    out
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > max_chars => format!("{}…", &text[..end]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(channel: &str) -> Notice {
        Notice {
            status: "firing",
            labels: [("alertname", "BotDead"), ("channel", channel), ("severity", "critical")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            annotations: [("summary".to_owned(), format!("bot {channel} is dead"))].into_iter().collect(),
            starts_at: "2026-01-01T00:00:00Z".into(),
            ends_at: ZERO_TIME.into(),
            generator_url: String::new(),
            fingerprint: "0123456789abcdef".into(),
        }
    }

    #[test]
    fn slack_text_cannot_mention_link_or_format() {
        let text = slack(&notice("<!channel> *bold* <http://evil|click> a&b"))["text"].as_str().unwrap().to_owned();
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        assert!(text.contains("&lt;http://evil|click&gt;"), "{text}");
        assert!(text.contains("a&amp;b"), "{text}");
        assert!(!text.contains("<!channel>") && !text.contains(" *bold*"), "{text}");
    }

    #[test]
    fn discord_content_cannot_mention_or_format() {
        let body = discord(&notice("@everyone **x** [link](http://evil) `c`"));
        let content = body["content"].as_str().unwrap();
        assert!(!content.contains("@everyone"), "{content}");
        assert!(content.contains(r"\*\*x\*\*") && content.contains(r"\[link\]\(http\:"), "{content}");
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
        let long = discord(&notice(&"x".repeat(5000)));
        assert!(long["content"].as_str().unwrap().chars().count() <= 2000);
    }

    #[test]
    fn the_webhook_payload_is_alertmanagers_v4_and_json_escapes_bot_strings() {
        let odd = "quote\" back\\slash\nnewline\u{1}ctl ünï";
        let body = webhook(&notice(odd), "ops", "http://127.0.0.1:9477/");
        let text = serde_json::to_string(&body).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["version"], "4");
        assert_eq!(back["status"], "firing");
        assert_eq!(back["alerts"][0]["labels"]["channel"], odd);
        assert_eq!(back["alerts"][0]["endsAt"], ZERO_TIME);
        assert_eq!(back["alerts"][0]["fingerprint"], "0123456789abcdef");
        assert_eq!(back["commonLabels"]["alertname"], "BotDead");
        assert_eq!(back["groupLabels"], json!({"alertname": "BotDead"}));
    }
}
