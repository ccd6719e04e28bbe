//! The real `lianfang` binary as a child process, for tests about the process itself
//! (logs, signals, crashes). Both pipes are drained all the time: a full pipe would block
//! the server.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{mpsc, Arc, Mutex},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crate::helpers::TEST_SECRET;

pub struct Binary {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl Binary {
    /// Starts `lianfang serve` on a random port with these extra environment variables.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lianfang"));
        command
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("JWT_SECRET", TEST_SECRET)
            .env("DEMO_RESIDENTS", "60")
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .env_remove("JWT_PUBLIC_KEY_FILE")
            .env_remove("JWT_JWKS_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start the binary");
        let stdout = child.stdout.take().expect("stdout");
        let (address, ready) = mpsc::channel();
        let printed = Arc::new(Mutex::new(String::new()));
        let banner = Arc::clone(&printed);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(base) = line.split("serving on ").nth(1) {
                    let _ = address.send(base.trim().to_owned());
                }
                let mut banner = banner.lock().unwrap();
                banner.push_str(&line);
                banner.push('\n');
            }
        });
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let mut stderr = child.stderr.take().expect("stderr");
        let stderr_reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let base = ready
            .recv_timeout(Duration::from_secs(60))
            .expect("the server starts");
        Self {
            child,
            base,
            log,
            stdout: printed,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// A development token signed like the binary's.
    pub fn token(agency: &str, org: &str, subject: &str) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_lianfang"))
            .env("JWT_SECRET", TEST_SECRET)
            .args([
                "token", "--agency", agency, "--role", "OPERATOR", "--org", org, "--sub", subject,
            ])
            .output()
            .expect("mint a token");
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }

    /// Sends a signal by name (`TERM`, `KILL`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                if let Some(reader) = self.stderr_reader.take() {
                    let _ = reader.join();
                }
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Everything the process wrote to stdout so far (the banner).
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything the process wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
