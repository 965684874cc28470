//! Running the real `skyfly` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `skyfly` binary of this build, (re)built once per test process so that a plain
/// `cargo test` never runs a stale binary against newer migrations.
pub fn skyfly_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test executable path");
            // target/<profile>/deps/<test> -> target/<profile>/skyfly
            let profile_dir = exe.parent().and_then(|d| d.parent()).expect("profile dir");
            let target_dir = profile_dir.parent().expect("target dir");
            let mut build = Command::new(env!("CARGO"));
            build
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "skyfly-cli",
                    "--bin",
                    "skyfly",
                    "--target-dir",
                ])
                .arg(target_dir);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            let status = build
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build");
            assert!(status.success(), "cargo build --bin skyfly failed");
            let bin = profile_dir.join(if cfg!(windows) {
                "skyfly.exe"
            } else {
                "skyfly"
            });
            assert!(bin.exists(), "{} is missing after the build", bin.display());
            bin
        })
        .clone()
}

pub fn skyfly(database_url: &str, args: &[&str]) -> Output {
    Command::new(skyfly_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("NATS_URL", "")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run skyfly")
}

/// `skyfly <args>` as [`skyfly`] runs it, with `env` on top (`RUST_LOG`, …), awaited for
/// `deadline` at most: a command that has not exited by then is killed and fails the test.
pub async fn skyfly_within(
    database_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
    deadline: std::time::Duration,
) -> Output {
    let child = tokio::process::Command::new(skyfly_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("NATS_URL", "")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run skyfly");
    tokio::time::timeout(deadline, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("skyfly {args:?} did not exit within {deadline:?}"))
        .expect("wait for skyfly")
}

/// A running `skyfly serve` on an ephemeral port.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
}

impl Server {
    /// `skyfly serve` (role `all`) without NATS.
    pub fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[], &[("NATS_URL", "")])
    }

    /// `skyfly serve` with more arguments (`--role worker`, …) and environment (`NATS_URL`, …).
    /// Waits until it says it runs; `addr` is empty for a role without HTTP.
    pub fn start_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let mut child = Command::new(skyfly_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--db-pool", "8"])
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start skyfly serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if !sent && line.contains("is running (no HTTP") {
                    let _ = tx.send(String::new());
                    sent = true;
                }
                if !sent && let Some(rest) = line.split("http://").nth(1) {
                    let _ = tx.send(
                        rest.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                    sent = true;
                }
            }
        });
        let addr = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the server prints its address");
        Self { child, addr }
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        let _ = self.child.wait();
    }

    /// One HTTP/1.1 request; the status and the JSON body (Null if none).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, serde_json::Value) {
        self.request(method, path, token, &[], body)
            .expect("the server answers")
    }

    /// One HTTP/1.1 request with extra headers; an error if the server is gone (killed) before
    /// it answered.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> std::io::Result<(u16, serde_json::Value)> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.addr)?;
        let body = body.unwrap_or("");
        let mut extra = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        for (name, value) in headers {
            extra.push_str(&format!("{name}: {value}\r\n"));
        }
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        if response.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let text = String::from_utf8_lossy(&response);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let payload = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_owned()
        };
        Ok((
            status,
            serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        ))
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
