//! Running the `ringhost` binary in a temporary folder and talking to it.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for this test.
pub const RINGHOST: &str = env!("CARGO_BIN_EXE_ringhost");

/// A free TCP port on loopback (the listener is dropped; a race is possible but rare).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes `ringhost.toml` in `dir` with `extra` appended, listening on loopback ports
/// the system chooses when the host binds them (so no other test can take them first;
/// [`Host::wait_healthy`] reads them from the host's log); returns its path and the
/// HTTP address as configured.
pub fn write_config(dir: &Path, extra: &str) -> (PathBuf, SocketAddr) {
    let http: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let path = dir.join("ringhost.toml");
    std::fs::write(
        &path,
        format!(
            "[http]\nlisten = \"{http}\"\n[sip]\nudp = [\"127.0.0.1:0\"]\n\
             tcp = [\"127.0.0.1:0\"]\n{extra}"
        ),
    )
    .unwrap();
    (path, http)
}

/// The first loopback address logged on the line saying `message`, after `field`.
fn logged_addr(logs: &str, message: &str, field: &str) -> Option<SocketAddr> {
    let line = logs.lines().rev().find(|l| l.contains(message))?;
    let after = &line[line.find(field)?..];
    let at = after.find("127.0.0.1:")?;
    let addr: String = after[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    addr.parse().ok()
}

/// A running `ringhost` process; killed if the test forgets to stop it.
pub struct Host {
    child: Option<Child>,
    stderr: PathBuf,
    stdout: PathBuf,
    /// Where its HTTP server listens.
    pub http: SocketAddr,
}

impl Host {
    /// Starts `ringhost ARGS` with `dir` as its working directory.
    pub fn start(dir: &Path, args: &[&str], http: SocketAddr, env: &[(&str, &str)]) -> Host {
        let id = free_port();
        let stderr = dir.join(format!("stderr-{id}.log"));
        let stdout = dir.join(format!("stdout-{id}.log"));
        let child = Command::new(RINGHOST)
            .args(args)
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .env_remove("RINGHOST_DATABASE_URL")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        Host {
            child: Some(child),
            stderr,
            stdout,
            http,
        }
    }

    /// Waits until `/healthz` answers 200 and returns its body; `http` is then the
    /// address the host logged it listens on.
    pub fn wait_healthy(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(addr) = logged_addr(&self.logs(), "HTTP listening", "address") {
                self.http = addr;
            }
            if let Ok((200, body)) = http_get(self.http, "/healthz") {
                return body;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "ringhost exited ({status}) before it was healthy:\n{}",
                    self.logs()
                );
            }
            assert!(
                Instant::now() < deadline,
                "not healthy after 30 s:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The UDP port the host's SIP listens on, from its log (once healthy).
    pub fn sip_port(&self) -> u16 {
        logged_addr(&self.logs(), "SIP listening", "udp")
            .unwrap_or_else(|| panic!("no SIP address logged:\n{}", self.logs()))
            .port()
    }

    /// What the host logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// What the host printed on its standard output so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Sends `signal` (`TERM`, `INT`, `KILL`) and waits for the process to end.
    pub fn stop(&mut self, signal: &str) -> ExitStatus {
        let mut child = self.child.take().expect("already stopped");
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running 30 s after {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `ringhost ARGS` to completion in `dir`: (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(RINGHOST)
        .args(args)
        .current_dir(dir)
        .env_remove("RINGHOST_DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A minimal HTTP/1.1 GET: (status, body). Enough for health and metrics, and keeps a
/// full HTTP client out of the test build.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    http_exchange(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
}

/// A minimal HTTP/1.1 request with an API key and a body: (status, body).
pub fn http_call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    http_exchange(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Sends `request` whole and reads the answer to the end: (status, body).
fn http_exchange(addr: SocketAddr, request: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Runs a query on a SQLite file and returns the rows of its first two columns as text.
pub fn sqlite_rows(db: &Path, sql: &str) -> Vec<(String, Option<String>)> {
    use sqlx::{Connection as _, Row as _};
    let url = format!("sqlite://{}", db.display());
    let sql = sql.to_owned();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect()
        })
}
