//! A throw-away PostgreSQL cluster for tests and the storage benchmark:
//! `initdb` in a temp dir, a private socket dir and a free port on loopback,
//! stopped and removed on drop. As root, PostgreSQL's tools run as the
//! `postgres` user (initdb refuses root). The binaries come from
//! `$KISSMON_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`, else `PATH`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KISSMON_PG_BIN") {
        return dir.into();
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map_or_else(PathBuf::new, |(_, bin)| bin)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Cluster {
    /// Makes and starts a cluster; panics with the tool's output when that fails.
    pub fn start() -> Cluster {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kissmon-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("socket")).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let chown = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).output().unwrap();
            assert!(chown.status.success(), "chown: {}", String::from_utf8_lossy(&chown.stderr));
        }
        let mut cluster = Cluster { dir, bin: bin_dir(), port: free_port(), as_postgres };
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        cluster.pg_ctl_start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn tool(&self, name: &str) -> PathBuf {
        if self.bin.as_os_str().is_empty() {
            PathBuf::from(name)
        } else {
            self.bin.join(name)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let tool = self.tool(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&tool);
            command
        } else {
            Command::new(&tool)
        };
        let output = command
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|err| panic!("cannot run {} (is PostgreSQL installed?): {err}", tool.display()));
        assert!(
            output.status.success(),
            "{} {args:?} failed:\n{}{}",
            tool.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn pg_ctl_start(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=50",
            self.port,
            self.dir.join("socket").display()
        );
        let log = self.dir.join("postgres.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"]);
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A new database in the cluster, and its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs one SQL statement with psql; returns its unaligned output.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let output = self
            .run("psql", &["-X", "-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", database, "-At", "-c", sql]);
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Stops (fast: sessions are ended, as in a restart for maintenance).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Starts again, on the same port.
    pub fn restart_after_stop(&mut self) {
        self.pg_ctl_start();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let tool = self.tool("pg_ctl");
        let data = self.data();
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&tool);
            command
        } else {
            Command::new(&tool)
        };
        let _ = command.args(["-D", &data, "-m", "immediate", "-w", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
