//! A `nats-server` of the test's own (JetStream, a free port, its own storage directory) that the
//! test can stop and start again — the machine's NATS is never touched.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("NATS_SERVER_BIN") {
        return path.into();
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let candidate = PathBuf::from(dir).join("nats-server");
        if candidate.exists() {
            return candidate;
        }
    }
    PathBuf::from("/usr/sbin/nats-server")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl NatsServer {
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("skyfly-nats-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("storage directory");
        let mut server = Self {
            child: None,
            port: free_port(),
            dir,
        };
        server.resume();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts it (again: same port, same storage) and waits until it accepts connections.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(binary())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server (install it: apt-get install nats-server)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "nats-server did not come up on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: an outage, not a shutdown.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every message of a JetStream stream, in stream order, as event envelopes.
pub async fn stream_contents(url: &str, stream: &str) -> Vec<skyfly_domain::event::RecordedEvent> {
    let client = async_nats::connect(url).await.expect("connect to NATS");
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(stream).await.expect("the stream exists");
    let info = stream.info().await.expect("stream info").clone();
    let mut events = Vec::new();
    for sequence in info.state.first_sequence..=info.state.last_sequence {
        let message = stream
            .get_raw_message(sequence)
            .await
            .expect("every message of the stream is there");
        events.push(serde_json::from_slice(&message.payload).expect("an event envelope"));
    }
    events
}
