//! The `alertmanager` notifier against a real Alertmanager: Debian's
//! `prometheus-alertmanager` started on loopback by the test, a bot killed
//! with SIGKILL, and the alert read back from Alertmanager's `GET /api/v2/alerts`.
//!
//! Plain `cargo test` skips it; `examples/server/test-http.sh` installs the
//! package and runs it with `--ignored`. Without the binary it fails.

mod support;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::*;

const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

struct Alertmanager {
    child: Child,
    url: String,
}

impl Alertmanager {
    fn start(dir: &TempDir) -> Alertmanager {
        let config = dir.path("alertmanager.yml");
        std::fs::write(&config, "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n").unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(ALERTMANAGER)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.path("am-data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // No gossip: a single instance on loopback.
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path("alertmanager.log")).unwrap())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot run {ALERTMANAGER} ({err}): install Debian's prometheus-alertmanager")
            });
        let url = format!("http://127.0.0.1:{port}");
        let ready = format!("{url}/-/ready");
        wait_for("Alertmanager ready", Duration::from_secs(30), || {
            ureq::get(&ready).call().is_ok_and(|r| r.status() == 200)
        });
        Alertmanager { child, url }
    }

    fn alerts(&self) -> serde_json::Value {
        let (status, body) = http_get(&format!("{}/api/v2/alerts", self.url), None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs Debian's prometheus-alertmanager: run by examples/server/test-http.sh"]
fn a_dead_bot_shows_in_a_real_alertmanager_with_its_labels() {
    let dir = TempDir::new();
    let alertmanager = Alertmanager::start(&dir);
    let config = dir.path("kissmon.toml");
    std::fs::write(
        &config,
        format!(
            "[alerts]\n[[alerts.notifier]]\nname = \"am\"\nkind = \"alertmanager\"\nurl = \"{}\"\n",
            alertmanager.url
        ),
    )
    .unwrap();
    let monitor = Monitor::start(&dir, &["--config", config.to_str().unwrap()]);
    let mut child = Command::new("sleep").arg("600").spawn().unwrap();
    let bot = kissmon::MonitorClient::builder("am-doomed")
        .socket_path(&monitor.socket)
        .pid(child.id())
        .heartbeat_interval(Duration::from_secs(30))
        .build()
        .unwrap();
    bot.register([("llm", true)]).unwrap();
    monitor.wait_status("am-doomed", "online");
    wait_for("the pid looked up", Duration::from_secs(15), || {
        bot_field(&monitor.db, "am-doomed", "proc_start").is_some()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let mut found = serde_json::Value::Null;
    wait_for("the alert in Alertmanager", Duration::from_secs(30), || {
        found = alertmanager
            .alerts()
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["labels"]["channel"] == "am-doomed")
            .cloned()
            .unwrap_or_default();
        !found.is_null()
    });
    assert_eq!(found["labels"]["alertname"], "BotDead", "{found:#}");
    assert_eq!(found["labels"]["severity"], "critical", "{found:#}");
    assert_eq!(found["status"]["state"], "active", "{found:#}");
    assert!(found["annotations"]["summary"].as_str().unwrap().contains("am-doomed"), "{found:#}");
    assert!(found["generatorURL"].as_str().unwrap().ends_with("/api/v1/alerts"), "{found:#}");
    wait_for("one delivery counted", Duration::from_secs(15), || {
        monitor.get("/metrics").1.contains("kissmon_alert_notifications_total{notifier=\"am\",outcome=\"delivered\"} 1")
    });
}
