//! A local HTTP receiver for alert notifications: records every request and
//! answers with the statuses it is told, in order (then 200), or never.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
    pub raw: String,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub enum Answer {
    /// These statuses, in order, then 200.
    Statuses(Vec<u16>),
    /// Read the request, then hold the connection and never answer.
    Never,
}

pub struct Receiver {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    pub fn start(answer: Answer) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        std::thread::spawn(move || {
            let mut statuses = match &answer {
                Answer::Statuses(statuses) => statuses.clone().into_iter(),
                Answer::Never => Vec::new().into_iter(),
            };
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(request) = read_request(&stream) else { continue };
                recorded.lock().unwrap().push(request);
                match answer {
                    Answer::Never => held.push(stream),
                    Answer::Statuses(_) => {
                        let status = statuses.next().unwrap_or(200);
                        let mut stream = stream;
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        );
                    }
                }
            }
        });
        Receiver { url, requests }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Alerts received with this status (`firing`/`resolved`) for `channel`.
    pub fn notices(&self, status: &str, channel: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.body["status"] == status && r.body["alerts"][0]["labels"]["channel"] == channel)
            .collect()
    }

    /// Waits for the `n`th request of `status` for `channel` and returns it.
    pub fn wait_notice(&self, status: &str, channel: &str, n: usize) -> Request {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.notices(status, channel);
            if got.len() >= n {
                return got[n - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {status} notice #{n} for {channel} within 20 s; got {:#?}",
                self.requests().iter().map(|r| &r.body).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split(' ').nth(1)?.to_owned();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok()?;
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let raw = String::from_utf8_lossy(&body).into_owned();
    Some(Request { path, headers, body: serde_json::from_str(&raw).unwrap_or_default(), raw, at: Instant::now() })
}
