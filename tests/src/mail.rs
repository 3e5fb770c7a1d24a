//! Email in end-to-end tests: a real SMTP server on loopback (the `mailin` protocol engine on
//! plain TCP) that keeps what it receives, a small reader for the MIME messages it keeps, and the delivery worker started
//! next to a [`TestServer`].

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::io::{BufRead as _, BufReader, Write as _};

use mailin::{response, Action, Handler, Response, SessionBuilder};
use peertrack_core::domain::{Clock, SystemClock};
use peertrack_core::notify::transport::MailTransport;
use peertrack_core::notify::worker::{DeliveryWorker, RetryPolicy, StopHandle, WorkerSettings};
use peertrack_core::store::outbox::{self, OutboxMessage};

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

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<ReceivedEmail>>,
    refusing: AtomicBool,
}

#[derive(Clone)]
struct Capture {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Capture {
    fn helo(&mut self, _ip: std::net::IpAddr, _domain: &str) -> Response {
        if self.shared.refusing.load(Ordering::SeqCst) {
            // What a server in maintenance says: try again later.
            response::NO_SERVICE
        } else {
            response::OK
        }
    }

    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_string();
        self.to.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        // Addresses at bounce.example.org do not exist: a permanent refusal.
        if to.ends_with("@bounce.example.org") {
            return response::NO_MAILBOX;
        }
        self.to.push(to.to_string());
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> Response {
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.shared.received.lock().unwrap().push(ReceivedEmail {
            envelope_from: self.from.clone(),
            envelope_to: self.to.clone(),
            raw: std::mem::take(&mut self.data),
        });
        response::OK
    }
}

/// Speaks SMTP on one connection until the client quits or goes.
fn serve_connection(stream: std::net::TcpStream, sessions: &SessionBuilder, handler: Capture) {
    let remote = stream
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut session = sessions.build(remote, handler);
    let reply = |writer: &mut std::net::TcpStream, response: &Response| {
        response.write_to(writer).and_then(|()| writer.flush()).is_ok()
    };
    if !reply(&mut writer, &session.greeting()) {
        return;
    }
    let mut line = Vec::with_capacity(80);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => {
                if !reply(&mut writer, &response) {
                    return;
                }
            }
            Action::Close | Action::UpgradeTls => {
                reply(&mut writer, &response);
                return;
            }
            Action::NoReply => {}
        }
    }
}

/// A real SMTP server on a loopback port, for the life of the test process.
#[derive(Clone)]
pub struct SmtpServer {
    /// Where it listens.
    pub address: SocketAddr,
    shared: Arc<Shared>,
}

/// A loopback address where nothing listens (yet): an SMTP server that is down.
pub fn unused_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().unwrap()
}

impl SmtpServer {
    /// Starts on a free port.
    pub fn start() -> Self {
        Self::start_on(unused_address())
    }

    /// Starts on `address` (an SMTP server coming back where it was).
    pub fn start_on(address: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).expect("bind the SMTP test server");
        let shared = Arc::new(Shared::default());
        let handler = Capture {
            shared: shared.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        std::thread::spawn(move || {
            let sessions = SessionBuilder::new("smtp.test.localhost");
            for stream in listener.incoming().flatten() {
                let (sessions, handler) = (sessions.clone(), handler.clone());
                std::thread::spawn(move || serve_connection(stream, &sessions, handler));
            }
        });
        SmtpServer { address, shared }
    }

    /// `smtp://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// While on, the server answers every connection "421 service not available".
    pub fn refuse(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
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
