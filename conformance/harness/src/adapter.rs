//! One language's adapter: a child process that reads commands on stdin and
//! answers each on stdout, one JSON object per line (conformance/README.md,
//! "Adapter protocol"). The harness restarts it after a crash or a hang.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// The longest any one command may take: flush and close wait at most their
/// timeout (the corpus uses a few seconds), everything else returns at once.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// What an adapter answered.
#[derive(Debug)]
pub enum Answer {
    Ok(Value),
    /// `error` with the class and the rest of the object (argument, field, detail).
    Error(String, Value),
    NotApplicable(String),
}

struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
    answers: Receiver<String>,
}

pub struct Adapter {
    command: Vec<String>,
    process: Option<Process>,
}

impl Adapter {
    pub fn new(command: Vec<String>) -> Adapter {
        Adapter { command, process: None }
    }

    fn process(&mut self) -> Result<&mut Process, String> {
        if self.process.is_none() {
            let (program, args) = self.command.split_first().ok_or("no adapter command")?;
            // Its own process group, so that `stall` stops the adapter and
            // every thread and child it has, whatever runtime it uses.
            let mut child = Command::new(program)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .process_group(0)
                .spawn()
                .map_err(|err| format!("cannot start the adapter {:?}: {err}", self.command))?;
            let stdin = child.stdin.take().unwrap();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            let (send, answers) = mpsc::channel();
            std::thread::spawn(move || {
                for line in stdout.lines() {
                    let Ok(line) = line else { break };
                    if send.send(line).is_err() {
                        break;
                    }
                }
            });
            self.process = Some(Process { child, stdin: Some(stdin), answers });
        }
        Ok(self.process.as_mut().unwrap())
    }

    /// Sends one command and waits for its answer. A dead, silent or garbled
    /// adapter is an error, and is restarted on the next command.
    pub fn send(&mut self, command: &Value) -> Result<Answer, String> {
        let result = self.exchange(command);
        if result.is_err() {
            self.kill();
        }
        result
    }

    fn exchange(&mut self, command: &Value) -> Result<Answer, String> {
        let process = self.process()?;
        let stdin = process.stdin.as_mut().ok_or("the adapter's stdin is closed")?;
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .map_err(|err| format!("the adapter does not read its commands: {err}"))?;
        let line = match process.answers.recv_timeout(ANSWER_WITHIN) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => return Err(format!("no answer within {ANSWER_WITHIN:?} to {command}")),
            Err(RecvTimeoutError::Disconnected) => {
                let status = process.child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(format!("the adapter exited ({status}) on {command}"));
            }
        };
        let answer: Value =
            serde_json::from_str(&line).map_err(|err| format!("the adapter answered {line:?}: {err}"))?;
        if let Some(value) = answer.get("ok") {
            return Ok(Answer::Ok(value.clone()));
        }
        if let Some(reason) = answer.get("not_applicable").and_then(Value::as_str) {
            return Ok(Answer::NotApplicable(reason.to_owned()));
        }
        if let Some(class) = answer.get("error").and_then(Value::as_str) {
            return Ok(Answer::Error(class.to_owned(), answer.clone()));
        }
        Err(format!("the adapter answered {line:?}, which is none of ok, error or not_applicable"))
    }

    /// Stops the adapter's process group for `duration`, then lets it go on.
    pub fn stall(&mut self, duration: Duration) -> Result<(), String> {
        let pid = self.process()?.child.id() as libc::pid_t;
        // SAFETY: kill() only sends a signal, to the group this harness made.
        if unsafe { libc::kill(-pid, libc::SIGSTOP) } != 0 {
            return Err(format!("cannot stop the adapter: {}", std::io::Error::last_os_error()));
        }
        std::thread::sleep(duration);
        // SAFETY: as above.
        unsafe { libc::kill(-pid, libc::SIGCONT) };
        Ok(())
    }

    /// The adapter's own name for its language, from the `hello` command.
    pub fn hello(&mut self) -> Result<String, String> {
        match self.send(&json!({"cmd": "hello"}))? {
            Answer::Ok(value) => value["lang"].as_str().map(str::to_owned).ok_or("hello: no lang".into()),
            other => Err(format!("hello: {other:?}")),
        }
    }

    fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            // SAFETY: as in `stall`; SIGKILL ends the whole group, SIGCONT first for a stopped one.
            unsafe {
                libc::kill(-(process.child.id() as libc::pid_t), libc::SIGCONT);
                libc::kill(-(process.child.id() as libc::pid_t), libc::SIGKILL);
            }
            let _ = process.child.wait();
        }
    }

    /// Closes the adapter's stdin and gives it a few seconds to exit.
    pub fn finish(mut self) {
        if let Some(Process { mut child, stdin, .. }) = self.process.take() {
            drop(stdin);
            for _ in 0..500 {
                if !matches!(child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            eprintln!("the adapter did not exit when its stdin closed; killing it");
            self.process = Some(Process { child, stdin: None, answers: mpsc::channel().1 });
        }
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
        self.kill();
    }
}
