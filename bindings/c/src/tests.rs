//! The exported functions called as C calls them: NULL pointers, invalid
//! UTF-8, out-of-range numbers, the statuses and messages they give, and
//! delivery to a real Unix-socket monitor. Also the header drift check.

use crate::*;
use std::ffi::{c_char, CStr, CString};
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn text(ptr: *const c_char) -> String {
    assert!(!ptr.is_null());
    unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned()
}

fn last_argument() -> Option<String> {
    let ptr = kissmon_last_error_argument();
    (!ptr.is_null()).then(|| text(ptr))
}

/// Asserts `status` and that the thread's last error names `argument`.
#[track_caller]
fn assert_fails(status: kissmon_status, expected: kissmon_status, argument: &str) {
    assert_eq!(status, expected, "message: {}", text(kissmon_last_error_message()));
    assert_eq!(last_argument().as_deref(), Some(argument), "message: {}", text(kissmon_last_error_message()));
    assert!(text(kissmon_last_error_message()).contains(&format!("`{argument}`")));
}

/// A private directory with a short socket path.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kmc-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn socket(&self) -> CString {
        CString::new(self.0.join("m.sock").into_os_string().into_string().unwrap()).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A monitor that records every line it reads.
struct Monitor {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Monitor {
    fn up(socket: &CStr) -> Monitor {
        let listener = UnixListener::bind(socket.to_str().unwrap()).unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&lines);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || {
                    for line in BufReader::new(stream).lines() {
                        let Ok(line) = line else { return };
                        recorded.lock().unwrap().push(line);
                    }
                });
            }
        });
        Monitor { lines }
    }

    fn wait_for(&self, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.lines.lock().unwrap().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.lines.lock().unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

fn new_client(channel: &CStr, options: Option<&kissmon_options>) -> *mut kissmon_client {
    let mut client = std::ptr::null_mut();
    let options = options.map_or(std::ptr::null(), |o| o as *const _);
    let status = unsafe { kissmon_client_new(channel.as_ptr(), options, &mut client) };
    assert_eq!(status, kissmon_status::Ok, "{}", text(kissmon_last_error_message()));
    client
}

fn options_for(socket: &CStr) -> kissmon_options {
    kissmon_options { socket_path: socket.as_ptr(), has_pid: true, pid: 4242, ..zeroed_options() }
}

fn zeroed_options() -> kissmon_options {
    // The documented way to start: every has_ flag false, every pointer NULL.
    unsafe { std::mem::zeroed() }
}

fn usage(model: &CStr, feature: &CStr) -> kissmon_llm_usage {
    kissmon_llm_usage {
        model: model.as_ptr(),
        feature: feature.as_ptr(),
        tokens_in: 145,
        tokens_out: 87,
        ..unsafe { std::mem::zeroed() }
    }
}

#[test]
fn header_is_current() {
    let fresh = include_str!(concat!(env!("OUT_DIR"), "/kissmon.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/kissmon.h")).unwrap();
    assert!(
        fresh == committed,
        "bindings/c/include/kissmon.h differs from what cbindgen generates now; update it with\n  \
         cp {} bindings/c/include/kissmon.h\nand commit it",
        concat!(env!("OUT_DIR"), "/kissmon.h")
    );
}

#[test]
fn every_client_function_reports_a_null_client() {
    let null = std::ptr::null();
    let mut stats = std::mem::MaybeUninit::<kissmon_stats>::uninit();
    let model = c"gpt-4";
    let fields = usage(model, c"jokes");
    unsafe {
        let statuses = [
            kissmon_client_register(null, std::ptr::null(), std::ptr::null(), 0),
            kissmon_client_register_n(null, std::ptr::null(), std::ptr::null(), std::ptr::null(), 0),
            kissmon_client_heartbeat(null),
            kissmon_client_heartbeat_with_lag(null, 1.0),
            kissmon_client_log_llm_usage(null, &fields),
            kissmon_client_log_llm_usage_n(null, model.as_ptr(), 5, model.as_ptr(), 5, null.cast(), 0, &fields),
            kissmon_client_unregister(null),
            kissmon_client_announce_heartbeat_interval(null, 1.0),
            kissmon_client_start_heartbeat(null, 1.0),
            kissmon_client_stop_heartbeat(null),
            kissmon_client_start_host_heartbeat(null, 1.0, &mut 0),
            kissmon_client_heartbeat_tick(null, 1, &mut 0),
            kissmon_client_flush(null, 10),
            kissmon_client_close(null, 10),
            kissmon_client_stats(null, stats.as_mut_ptr()),
            kissmon_client_take_warnings(null, &mut std::ptr::null_mut()),
        ];
        for (n, status) in statuses.into_iter().enumerate() {
            assert_eq!(status, kissmon_status::NullArgument, "function #{n}");
        }
        assert_eq!(last_argument().as_deref(), Some("client"));
        kissmon_client_free(std::ptr::null_mut());
        kissmon_string_free(std::ptr::null_mut());
        kissmon_decode_error_free(std::ptr::null_mut());
    }
}

#[test]
fn client_new_names_each_bad_argument() {
    let mut client = std::ptr::null_mut();
    unsafe {
        assert_fails(
            kissmon_client_new(std::ptr::null(), std::ptr::null(), &mut client),
            kissmon_status::NullArgument,
            "channel",
        );
        assert_fails(
            kissmon_client_new(c"el_serda".as_ptr(), std::ptr::null(), std::ptr::null_mut()),
            kissmon_status::NullArgument,
            "out",
        );
        assert_fails(
            kissmon_client_new(c"el_\xffserda".as_ptr(), std::ptr::null(), &mut client),
            kissmon_status::InvalidUtf8,
            "channel",
        );
        assert_fails(
            kissmon_client_new(c"".as_ptr(), std::ptr::null(), &mut client),
            kissmon_status::InvalidArgument,
            "channel",
        );
    }
    let cases: [(kissmon_options, &str); 7] = [
        (kissmon_options { has_pid: true, pid: -1, ..zeroed_options() }, "pid"),
        (kissmon_options { has_pid: true, pid: 0, ..zeroed_options() }, "pid"),
        (kissmon_options { has_pid: true, pid: 1 << 40, ..zeroed_options() }, "pid"),
        (kissmon_options { has_queue_capacity: true, queue_capacity: 0, ..zeroed_options() }, "queue_capacity"),
        (kissmon_options { has_max_aggregates: true, max_aggregates: -3, ..zeroed_options() }, "max_aggregates"),
        (
            kissmon_options { has_heartbeat_interval: true, heartbeat_interval_s: f64::NAN, ..zeroed_options() },
            "heartbeat_interval",
        ),
        (kissmon_options { sdk_lang: c"g\xffo".as_ptr(), ..zeroed_options() }, "sdk_lang"),
    ];
    for (options, argument) in cases {
        client = 1usize as *mut kissmon_client; // must be reset to NULL on failure
        let status = unsafe { kissmon_client_new(c"el_serda".as_ptr(), &options, &mut client) };
        assert_ne!(status, kissmon_status::Ok, "{argument}");
        assert_eq!(last_argument().as_deref(), Some(argument));
        assert!(client.is_null());
    }
    let long_path = CString::new("/tmp/".repeat(30)).unwrap();
    let options = kissmon_options { socket_path: long_path.as_ptr(), ..zeroed_options() };
    let status = unsafe { kissmon_client_new(c"el_serda".as_ptr(), &options, &mut client) };
    assert_fails(status, kissmon_status::InvalidArgument, "socket_path");
}

#[test]
fn log_llm_usage_names_each_bad_argument() {
    let dir = Dir::new();
    let socket = dir.socket();
    let client = new_client(c"el_serda", Some(&options_for(&socket)));
    let good = usage(c"gpt-4", c"jokes");
    unsafe {
        assert_eq!(kissmon_client_log_llm_usage(client, &good), kissmon_status::Ok);
        assert_fails(kissmon_client_log_llm_usage(client, std::ptr::null()), kissmon_status::NullArgument, "usage");
        let cases: [(kissmon_llm_usage, kissmon_status, &str); 9] = [
            (kissmon_llm_usage { model: std::ptr::null(), ..good }, kissmon_status::NullArgument, "model"),
            (kissmon_llm_usage { feature: std::ptr::null(), ..good }, kissmon_status::NullArgument, "feature"),
            (kissmon_llm_usage { model: c"".as_ptr(), ..good }, kissmon_status::InvalidArgument, "model"),
            (kissmon_llm_usage { provider: c"open\xc3".as_ptr(), ..good }, kissmon_status::InvalidUtf8, "provider"),
            (kissmon_llm_usage { tokens_in: -1, ..good }, kissmon_status::InvalidArgument, "tokens_in"),
            (kissmon_llm_usage { tokens_out: (1 << 53) + 1, ..good }, kissmon_status::InvalidArgument, "tokens_out"),
            (
                kissmon_llm_usage { has_latency_ms: true, latency_ms: -1.0, ..good },
                kissmon_status::InvalidArgument,
                "latency_ms",
            ),
            (
                kissmon_llm_usage { has_cost_usd: true, cost_usd: f64::INFINITY, ..good },
                kissmon_status::InvalidArgument,
                "cost_usd",
            ),
            (
                kissmon_llm_usage { has_reasoning_tokens: true, reasoning_tokens: -5, ..good },
                kissmon_status::InvalidArgument,
                "reasoning_tokens",
            ),
        ];
        for (fields, status, argument) in cases {
            assert_fails(kissmon_client_log_llm_usage(client, &fields), status, argument);
        }
        // The (pointer, length) form: strings need no NUL and are checked the same way.
        let bytes = b"gpt-4jokes\xff";
        let n = |ptr: *const u8| ptr.cast::<c_char>();
        let log_n =
            |model: (*const c_char, usize), feature: (*const c_char, usize), provider: (*const c_char, usize)| {
                kissmon_client_log_llm_usage_n(
                    client, model.0, model.1, feature.0, feature.1, provider.0, provider.1, &good,
                )
            };
        let none = (std::ptr::null::<c_char>(), 0);
        assert_eq!(log_n((n(bytes.as_ptr()), 5), (n(bytes[5..].as_ptr()), 5), none), kissmon_status::Ok);
        assert_fails(
            log_n((n(bytes.as_ptr()), 5), (n(bytes[5..].as_ptr()), 6), none),
            kissmon_status::InvalidUtf8,
            "feature",
        );
        assert_fails(log_n(none, (n(bytes[5..].as_ptr()), 5), none), kissmon_status::InvalidArgument, "model");
        assert_fails(log_n((std::ptr::null(), 3), (n(bytes.as_ptr()), 5), none), kissmon_status::NullArgument, "model");
        assert_fails(
            log_n((n(bytes.as_ptr()), 5), (n(bytes.as_ptr()), 5), (n(bytes.as_ptr()), 0)),
            kissmon_status::InvalidArgument,
            "provider",
        );
        kissmon_client_free(client);
    }
}

#[test]
fn register_names_each_bad_argument() {
    let dir = Dir::new();
    let socket = dir.socket();
    let client = new_client(c"el_serda", Some(&options_for(&socket)));
    let names = [c"llm".as_ptr(), c"tr\xffanslator".as_ptr()];
    let enabled = [true, false];
    unsafe {
        assert_eq!(kissmon_client_register(client, names.as_ptr(), enabled.as_ptr(), 1), kissmon_status::Ok);
        assert_eq!(kissmon_client_register(client, std::ptr::null(), std::ptr::null(), 0), kissmon_status::Ok);
        assert_fails(
            kissmon_client_register(client, names.as_ptr(), enabled.as_ptr(), 2),
            kissmon_status::InvalidUtf8,
            "features",
        );
        assert_fails(
            kissmon_client_register(client, std::ptr::null(), enabled.as_ptr(), 1),
            kissmon_status::NullArgument,
            "features",
        );
        assert_fails(
            kissmon_client_register(client, names.as_ptr(), std::ptr::null(), 1),
            kissmon_status::NullArgument,
            "enabled",
        );
        let empty = [c"".as_ptr()];
        assert_fails(
            kissmon_client_register(client, empty.as_ptr(), enabled.as_ptr(), 1),
            kissmon_status::InvalidArgument,
            "features",
        );
        let packed = "llmtranslatoré";
        let lens = [3usize, 10];
        assert_eq!(
            kissmon_client_register_n(client, packed.as_ptr().cast(), lens.as_ptr(), enabled.as_ptr(), 2),
            kissmon_status::Ok
        );
        let cut = [3usize, 11]; // ends inside "é"
        assert_fails(
            kissmon_client_register_n(client, packed.as_ptr().cast(), cut.as_ptr(), enabled.as_ptr(), 2),
            kissmon_status::InvalidUtf8,
            "features",
        );
        assert_fails(
            kissmon_client_register_n(client, packed.as_ptr().cast(), std::ptr::null(), enabled.as_ptr(), 2),
            kissmon_status::NullArgument,
            "name_lens",
        );
        kissmon_client_free(client);
    }
}

#[test]
fn intervals_and_lags_are_checked() {
    let dir = Dir::new();
    let socket = dir.socket();
    let client = new_client(c"el_serda", Some(&options_for(&socket)));
    unsafe {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_fails(kissmon_client_start_heartbeat(client, bad), kissmon_status::InvalidArgument, "interval");
            assert_fails(
                kissmon_client_announce_heartbeat_interval(client, bad),
                kissmon_status::InvalidArgument,
                "interval",
            );
        }
        assert_fails(
            kissmon_client_start_host_heartbeat(client, 0.0, &mut 0),
            kissmon_status::InvalidArgument,
            "interval",
        );
        assert_fails(
            kissmon_client_start_host_heartbeat(client, 1e10, &mut 0),
            kissmon_status::InvalidArgument,
            "interval",
        );
        assert_fails(kissmon_client_heartbeat_with_lag(client, -0.5), kissmon_status::InvalidArgument, "lag_ms");
        assert_eq!(kissmon_client_heartbeat_with_lag(client, 0.0), kissmon_status::Ok);
        kissmon_client_free(client);
    }
}

#[test]
fn a_host_timer_fires_the_libraries_schedule_until_it_ends() {
    let dir = Dir::new();
    let socket = dir.socket();
    let monitor = Monitor::up(&socket);
    let client = new_client(c"el_serda", Some(&options_for(&socket)));
    unsafe {
        let mut schedule = 0;
        assert_eq!(kissmon_client_start_host_heartbeat(client, 60.0, &mut schedule), kissmon_status::Ok);
        assert_fails(
            kissmon_client_start_host_heartbeat(client, 60.0, std::ptr::null_mut()),
            kissmon_status::NullArgument,
            "out_schedule",
        );
        assert_fails(
            kissmon_client_heartbeat_tick(client, schedule, std::ptr::null_mut()),
            kissmon_status::NullArgument,
            "out_next_ns",
        );
        let mut next_ns = 0;
        assert_eq!(kissmon_client_heartbeat_tick(client, schedule, &mut next_ns), kissmon_status::Ok);
        assert!(next_ns > 59_000_000_000 && next_ns <= 60_000_000_000, "{next_ns}");
        assert_eq!(kissmon_client_flush(client, 3000), kissmon_status::Ok);
        let lines = monitor.wait_for(1);
        assert_eq!(lines[0]["type"], "heartbeat");
        assert!(lines[0]["lag_ms"].as_f64().is_some());
        assert_eq!(kissmon_client_unregister(client), kissmon_status::Ok);
        assert_eq!(kissmon_client_heartbeat_tick(client, schedule, &mut next_ns), kissmon_status::Ok);
        assert_eq!(next_ns, -1, "unregister ended the schedule");
        kissmon_client_free(client);
    }
}

#[test]
fn a_client_delivers_to_a_real_monitor() {
    let dir = Dir::new();
    let socket = dir.socket();
    let monitor = Monitor::up(&socket);
    let options = kissmon_options { sdk_lang: c"go".as_ptr(), sdk_version: c"9.9.9".as_ptr(), ..options_for(&socket) };
    let client = new_client(c"el_serda", Some(&options));
    let names = [c"llm".as_ptr()];
    let fields = kissmon_llm_usage {
        provider: c"openai".as_ptr(),
        has_latency_ms: true,
        latency_ms: 1850.0,
        has_ok: true,
        ok: false,
        ..usage(c"gpt-4", c"jokes")
    };
    unsafe {
        assert_eq!(kissmon_client_register(client, names.as_ptr(), [true].as_ptr(), 1), kissmon_status::Ok);
        assert_eq!(kissmon_client_heartbeat(client), kissmon_status::Ok);
        assert_eq!(kissmon_client_log_llm_usage(client, &fields), kissmon_status::Ok);
        assert_eq!(kissmon_client_flush(client, 3000), kissmon_status::Ok);
        let lines = monitor.wait_for(3);
        assert_eq!(lines[0]["type"], "register");
        assert_eq!(lines[0]["pid"], 4242);
        assert_eq!(lines[0]["features"], serde_json::json!({"llm": true}));
        assert_eq!(lines[0]["sdk"], serde_json::json!({"lang": "go", "version": "9.9.9"}));
        // After the registration, the sender's batching decides the order.
        let of_type = |kind: &str| lines.iter().filter(|l| l["type"] == kind).collect::<Vec<_>>();
        assert_eq!(of_type("heartbeat").len(), 1);
        let usage = of_type("llm_usage");
        assert_eq!(usage.len(), 1);
        assert_eq!(usage[0]["provider"], "openai");
        assert_eq!(usage[0]["latency_ms"], 1850.0);
        assert_eq!(usage[0]["ok"], false);
        let mut stats: kissmon_stats = std::mem::zeroed();
        assert_eq!(kissmon_client_stats(client, &mut stats), kissmon_status::Ok);
        assert_eq!((stats.sent, stats.queued, stats.dropped, stats.connected), (3, 0, 0, true));
        assert_eq!(CStr::from_ptr(stats.last_error.as_ptr()).to_bytes(), b"");
        assert_fails(kissmon_client_stats(client, std::ptr::null_mut()), kissmon_status::NullArgument, "out");
        assert_eq!(kissmon_client_close(client, 3000), kissmon_status::Ok);
        let lines = monitor.wait_for(4);
        assert_eq!(lines[3]["type"], "unregister");
        // After close, calls are accepted, ignored and counted.
        assert_eq!(kissmon_client_heartbeat(client), kissmon_status::Ok);
        assert_eq!(kissmon_client_stats(client, &mut stats), kissmon_status::Ok);
        assert_eq!(stats.dropped, 1);
        kissmon_client_free(client);
    }
}

#[test]
fn flush_without_a_monitor_times_out_and_says_why() {
    let dir = Dir::new();
    let socket = dir.socket();
    let client = new_client(c"el_serda", Some(&options_for(&socket)));
    unsafe {
        assert_eq!(kissmon_client_heartbeat(client), kissmon_status::Ok);
        let started = Instant::now();
        assert_eq!(kissmon_client_flush(client, 100), kissmon_status::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(last_argument(), None);
        assert!(text(kissmon_last_error_message()).contains("1 lines still unwritten"));
        let mut stats: kissmon_stats = std::mem::zeroed();
        assert_eq!(kissmon_client_stats(client, &mut stats), kissmon_status::Ok);
        assert_eq!(stats.queued, 1);
        assert!(!stats.connected);
        assert!(!CStr::from_ptr(stats.last_error.as_ptr()).to_bytes().is_empty(), "the missing socket is reported");
        let mut warnings: *mut c_char = std::ptr::null_mut();
        assert_eq!(kissmon_client_take_warnings(client, &mut warnings), kissmon_status::Ok);
        assert!(text(warnings).contains("cannot connect to the monitor"), "{}", text(warnings));
        kissmon_string_free(warnings);
        assert_eq!(kissmon_client_take_warnings(client, &mut warnings), kissmon_status::Ok);
        assert!(warnings.is_null(), "taken once");
        assert_fails(kissmon_client_take_warnings(client, std::ptr::null_mut()), kissmon_status::NullArgument, "out");
        assert_eq!(kissmon_client_close(client, 50), kissmon_status::TimedOut);
        kissmon_client_free(client);
    }
}

#[test]
fn decode_line_gives_canonical_json_or_class_and_field() {
    let mut json: *mut c_char = std::ptr::null_mut();
    let mut error: kissmon_decode_error = unsafe { std::mem::zeroed() };
    let line = br#"{"type": "heartbeat", "channel": "el_serda", "pid": 12345, "extra": 1}"#;
    unsafe {
        assert_eq!(kissmon_decode_line(line.as_ptr(), line.len(), &mut json, &mut error), kissmon_status::Ok);
        assert_eq!(text(json), r#"{"type":"heartbeat","channel":"el_serda","pid":12345}"#);
        assert_eq!(error.error_class, kissmon_error_class::None);
        kissmon_string_free(json);

        let line = br#"{"type":"heartbeat","channel":"el_serda","pid":0}"#;
        assert_eq!(kissmon_decode_line(line.as_ptr(), line.len(), &mut json, &mut error), kissmon_status::DecodeFailed);
        assert!(json.is_null());
        assert_eq!(error.error_class, kissmon_error_class::InvalidField);
        assert_eq!(text(kissmon_error_class_str(error.error_class as i32)), "invalid_field");
        assert_eq!(text(error.field), "pid");
        assert!(!text(error.detail).is_empty());
        kissmon_decode_error_free(&mut error);
        assert!(error.field.is_null() && error.detail.is_null());
        kissmon_decode_error_free(&mut error); // twice is harmless

        let line = b"{\"type\":\"heartbeat\",\"channel\":\"\xff\",\"pid\":1}";
        assert_eq!(
            kissmon_decode_line(line.as_ptr(), line.len(), &mut json, std::ptr::null_mut()),
            kissmon_status::DecodeFailed
        );
        assert_eq!(kissmon_decode_line(line.as_ptr(), line.len(), &mut json, &mut error), kissmon_status::DecodeFailed);
        assert_eq!(error.error_class, kissmon_error_class::InvalidUtf8);
        assert!(error.field.is_null());
        kissmon_decode_error_free(&mut error);

        assert_eq!(kissmon_decode_line(std::ptr::null(), 0, &mut json, &mut error), kissmon_status::DecodeFailed);
        assert_eq!(error.error_class, kissmon_error_class::InvalidJson);
        kissmon_decode_error_free(&mut error);
        assert_fails(
            kissmon_decode_line(std::ptr::null(), 4, &mut json, &mut error),
            kissmon_status::NullArgument,
            "line",
        );
        assert_fails(
            kissmon_decode_line(line.as_ptr(), line.len(), std::ptr::null_mut(), &mut error),
            kissmon_status::NullArgument,
            "json_out",
        );
    }
}

#[test]
fn status_and_class_texts_cover_every_value() {
    for (status, expected) in [(0, "ok"), (1, "invalid argument"), (4, "timed out before everything was written")] {
        assert_eq!(text(kissmon_status_str(status)), expected);
    }
    for status in 0..=7 {
        assert_ne!(text(kissmon_status_str(status)), "unknown status");
    }
    assert_eq!(text(kissmon_status_str(8)), "unknown status");
    assert_eq!(text(kissmon_status_str(-1)), "unknown status");
    let classes: Vec<String> = (1..=7).map(|c| text(kissmon_error_class_str(c))).collect();
    let core: Vec<&str> = kissmon_core::ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(classes, core);
    assert_eq!(text(kissmon_error_class_str(99)), "unknown");
    assert_eq!(text(kissmon_version()), env!("CARGO_PKG_VERSION"));
    kissmon_abi_v2();
}

#[test]
fn the_last_error_belongs_to_the_calling_thread() {
    unsafe {
        kissmon_client_heartbeat(std::ptr::null());
    }
    assert_eq!(last_argument().as_deref(), Some("client"));
    let other = std::thread::spawn(|| {
        let before = (text(kissmon_last_error_message()), last_argument());
        let mut json = std::ptr::null_mut();
        unsafe { kissmon_decode_line(std::ptr::null(), 1, &mut json, std::ptr::null_mut()) };
        (before, last_argument())
    })
    .join()
    .unwrap();
    assert_eq!(other, ((String::new(), None), Some("line".to_owned())));
    assert_eq!(last_argument().as_deref(), Some("client"));
}

#[test]
fn a_panic_becomes_a_status() {
    let status = crate::boundary::call(|| panic!("boom"));
    assert_eq!(status, kissmon_status::Panic);
    assert_eq!(text(kissmon_last_error_message()), "panic: boom");
    assert_eq!(last_argument(), None);
}
