//! Email in tests: a real SMTP server on loopback that keeps what it receives (the one SMTP test
//! server of the workspace, for the in-process server and the `peertrack` executable alike), a
//! small reader for the MIME messages it keeps, and the delivery worker started next to a
//! [`TestServer`].

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use peertrack_core::domain::{Clock, SystemClock};
use peertrack_core::store::outbox::{self, OutboxMessage};
use peertrack_core::worker::transport::MailTransport;
use peertrack_core::worker::{DeliveryWorker, RetryPolicy, StopHandle, WorkerSettings};

use crate::TestServer;

/// One email as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    /// The envelope sender.
    pub envelope_from: String,
    /// The envelope recipients.
    pub envelope_to: Vec<String>,
    /// The message as sent, headers and body.
    pub raw: Vec<u8>,
}

impl ReceivedEmail {
    /// The message as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<ReceivedEmail>>,
    refusing: AtomicBool,
    delay: Mutex<Duration>,
    sign_ins: AtomicUsize,
}

/// A real SMTP server on a loopback port, for the life of the test process. It speaks enough
/// SMTP for any client (EHLO, AUTH, MAIL, RCPT, DATA with dot-stuffing, RSET, QUIT), takes any
/// credentials, and refuses addresses at `bounce.example.org` for good (550).
#[derive(Clone)]
pub struct SmtpServer {
    /// Where it listens.
    pub address: SocketAddr,
    shared: Arc<Shared>,
}

impl SmtpServer {
    /// Starts on a free port.
    pub fn start() -> Self {
        Self::start_on(crate::free_address())
    }

    /// Starts on `address` (an SMTP server coming back where it was).
    pub fn start_on(address: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).expect("bind the SMTP test server");
        let address = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = serving.clone();
                std::thread::spawn(move || {
                    let _ = session(stream, &shared);
                });
            }
        });
        SmtpServer { address, shared }
    }

    /// `smtp://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// `smtp://user:password@127.0.0.1:port?tls=none`: signing in, over plain text.
    pub fn url_signing_in(&self, user: &str, password: &str) -> String {
        format!("smtp://{user}:{password}@{}?tls=none", self.address)
    }

    /// While on, the server answers every connection "421 service not available".
    pub fn refuse(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
    }

    /// From now on the server takes `delay` to accept each message (a slow mail server keeps
    /// a worker busy mid-batch).
    pub fn take_each_message(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    /// How many times a client signed in (`AUTH`).
    pub fn sign_ins(&self) -> usize {
        self.shared.sign_ins.load(Ordering::SeqCst)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<ReceivedEmail> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until at least `count` emails arrived to `recipient` (any recipient if empty).
    pub async fn wait_for(&self, recipient: &str, count: usize, within: Duration) -> Vec<Email> {
        let started = Instant::now();
        loop {
            let found: Vec<Email> = self
                .received()
                .into_iter()
                .filter(|m| recipient.is_empty() || m.envelope_to.iter().any(|t| t == recipient))
                .map(|m| Email::parse(&m.raw))
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                started.elapsed() < within,
                "waited {within:?} for {count} email(s) to {recipient:?}; got {}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The address in `MAIL FROM:<a>` or `RCPT TO:<a>`.
fn address_in(line: &str) -> String {
    let after = line.split_once(':').map_or("", |(_, rest)| rest);
    let address = after.split_whitespace().next().unwrap_or_default();
    address.trim_matches(['<', '>']).to_string()
}

/// One SMTP conversation.
fn session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 smtp.test.localhost ESMTP ready\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" if shared.refusing.load(Ordering::SeqCst) => {
                // What a server in maintenance says: try again later.
                writer.write_all(b"421 Service not available, closing connection\r\n")?;
                return Ok(());
            }
            "EHLO" => {
                writer.write_all(b"250-smtp.test.localhost\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n")?
            }
            // Any credentials will do: only whether the client signed in is of interest.
            "AUTH" => {
                shared.sign_ins.fetch_add(1, Ordering::SeqCst);
                writer.write_all(b"235 2.7.0 Authentication succeeded\r\n")?;
            }
            "MAIL" => {
                from = address_in(&text);
                to.clear();
                writer.write_all(b"250 OK\r\n")?;
            }
            // Addresses at bounce.example.org do not exist: a permanent refusal.
            "RCPT" if address_in(&text).ends_with("@bounce.example.org") => {
                writer.write_all(b"550 Mailbox unavailable\r\n")?;
            }
            "RCPT" => {
                to.push(address_in(&text));
                writer.write_all(b"250 OK\r\n")?;
            }
            "DATA" => {
                writer.write_all(b"354 Start mail input; end with <CRLF>.<CRLF>\r\n")?;
                let mut raw = Vec::new();
                loop {
                    line.clear();
                    if reader.read_until(b'\n', &mut line)? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" {
                        break;
                    }
                    raw.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
                }
                let delay = *shared.delay.lock().unwrap();
                std::thread::sleep(delay);
                shared.received.lock().unwrap().push(ReceivedEmail {
                    envelope_from: std::mem::take(&mut from),
                    envelope_to: std::mem::take(&mut to),
                    raw,
                });
                writer.write_all(b"250 OK queued\r\n")?;
            }
            "QUIT" => {
                writer.write_all(b"221 Goodbye\r\n")?;
                return Ok(());
            }
            _ => writer.write_all(b"250 OK\r\n")?,
        }
    }
}

/// A MIME part: its headers and decoded body.
#[derive(Debug, Clone)]
pub struct Part {
    /// Headers, names lower-cased, continuation lines joined.
    pub headers: Vec<(String, String)>,
    /// The body, decoded from base64 or quoted-printable.
    pub body: Vec<u8>,
    /// Nested parts, for multipart bodies.
    pub parts: Vec<Part>,
}

/// A received email, read.
pub type Email = Part;

impl Part {
    /// Reads a message or part.
    pub fn parse(raw: &[u8]) -> Part {
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_lowercase(), value.trim().to_string()));
            }
        }
        let mut part = Part {
            headers,
            body: Vec::new(),
            parts: Vec::new(),
        };
        let content_type = part.header("content-type").unwrap_or_default().to_string();
        if content_type.starts_with("multipart/") {
            let boundary = parameter(&content_type, "boundary").expect("a multipart boundary");
            let delimiter = format!("--{boundary}");
            let mut sections: Vec<&str> = body.split(&delimiter).collect();
            sections.remove(0);
            for section in sections {
                if section.starts_with("--") {
                    break;
                }
                part.parts
                    .push(Part::parse(section.trim_start_matches('\n').as_bytes()));
            }
        } else {
            part.body = match part
                .header("content-transfer-encoding")
                .map(str::to_lowercase)
                .as_deref()
            {
                Some("base64") => decode_base64(body),
                Some("quoted-printable") => decode_quoted_printable(body),
                _ => body.trim_end_matches('\n').as_bytes().to_vec(),
            };
        }
        part
    }

    /// The first header with this name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every leaf part, depth first.
    pub fn leaves(&self) -> Vec<&Part> {
        if self.parts.is_empty() {
            return vec![self];
        }
        self.parts.iter().flat_map(Part::leaves).collect()
    }

    /// The leaf with this content type (without parameters).
    pub fn leaf(&self, content_type: &str) -> Option<&Part> {
        self.leaves().into_iter().find(|p| {
            p.header("content-type")
                .is_some_and(|t| t.split(';').next().unwrap().trim() == content_type)
        })
    }

    /// The plain-text part, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.leaf("text/plain").expect("a text/plain part").body.clone()).unwrap()
    }

    /// The HTML part, as text.
    pub fn html(&self) -> String {
        String::from_utf8(self.leaf("text/html").expect("a text/html part").body.clone()).unwrap()
    }

    /// The subject.
    pub fn subject(&self) -> String {
        self.header("subject").unwrap_or_default().to_string()
    }
}

fn parameter(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        (key.trim().eq_ignore_ascii_case(name)).then(|| value.trim().trim_matches('"').to_string())
    })
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes() {
        let Some(value) = ALPHABET.iter().position(|&c| c == byte) else {
            continue;
        };
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.trim_end_matches('\n').as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 2; // a soft line break joins the lines
                continue;
            }
            let hex = std::str::from_utf8(&bytes[(i + 1).min(bytes.len())..(i + 3).min(bytes.len())])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// A running delivery worker; stopped (gracefully) when dropped.
pub struct RunningWorker {
    stop: StopHandle,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningWorker {
    /// Stops the worker and waits until it has.
    pub async fn stop(mut self) {
        self.stop.stop();
        if let Some(task) = self.task.take() {
            task.await.expect("the worker stops cleanly");
        }
    }

    /// Kills the worker where it stands, as a crash would (its claims stay until they run out).
    pub fn abort(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

/// Settings for tests: look often, retry fast.
pub fn quick_settings(server: &TestServer) -> WorkerSettings {
    let mut settings = WorkerSettings::new("Peertrack <no-reply@peertrack.test>", server.base.clone());
    settings.poll_interval = Duration::from_millis(25);
    settings.retry = RetryPolicy {
        first: Duration::from_millis(100),
        cap: Duration::from_millis(400),
    };
    settings
}

impl TestServer {
    /// Starts a delivery worker on this server's database, sending through `transport`.
    pub fn start_worker(&self, transport: MailTransport, settings: WorkerSettings) -> RunningWorker {
        self.start_worker_with_clock(transport, settings, Arc::new(SystemClock))
    }

    /// Like [`TestServer::start_worker`], with a clock of the test's choosing.
    pub fn start_worker_with_clock(
        &self,
        transport: MailTransport,
        settings: WorkerSettings,
        clock: Arc<dyn Clock>,
    ) -> RunningWorker {
        let worker =
            DeliveryWorker::new(self.database.db.clone(), transport, clock, settings).expect("a worker");
        let stop = worker.stop_handle();
        RunningWorker {
            stop,
            task: Some(tokio::spawn(worker.run())),
        }
    }

    /// A worker sending to `smtp` with [`quick_settings`].
    pub fn start_smtp_worker(&self, smtp_url: &str) -> RunningWorker {
        let transport =
            MailTransport::new(Some(smtp_url), std::path::Path::new("unused")).expect("an SMTP URL");
        self.start_worker(transport, quick_settings(self))
    }

    /// Every message in the outbox, in queue order.
    pub async fn outbox(&self) -> Vec<OutboxMessage> {
        self.database
            .db
            .read_async(|conn| outbox::list(conn, None, 10_000))
            .await
            .expect("read the outbox")
    }

    /// Waits until no message is pending.
    pub async fn wait_until_delivered(&self, within: Duration) -> Vec<OutboxMessage> {
        let started = Instant::now();
        loop {
            let messages = self.outbox().await;
            if messages.iter().all(|m| m.status != "pending") {
                return messages;
            }
            assert!(
                started.elapsed() < within,
                "messages still pending after {within:?}: {:?}",
                messages
                    .iter()
                    .filter(|m| m.status == "pending")
                    .map(|m| (&m.template, m.attempts, &m.last_error))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
