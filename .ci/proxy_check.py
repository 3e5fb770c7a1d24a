"""Two `peertrack serve` instances on one PostgreSQL database behind nginx on loopback, driven
through the proxy (and each instance directly where the point is that the *other* instance
sees a change). Run by .ci/proxy-check, which prepares the database, nginx and this venv.

Usage: proxy_check.py PEERTRACK_BINARY DATABASE_URL WORKDIR

Checks, in the order of issue 21:
  1. a consent withdrawn through instance A is refused by instance B on the very next request;
     a token signed out on A is refused by B;
  2. each email queued once is delivered once with both workers running (real SMTP server),
     and after one instance is killed mid-delivery every email still arrives (a duplicate is
     possible only for the one in flight, and carries the same Message-ID);
  3. the sign-in limit per address holds across both instances; clients with different
     forwarded addresses are limited separately; a client that is not a trusted proxy cannot
     choose its address with X-Forwarded-For; the log shows the forwarded address;
  4. /metrics parses with prometheus_client, and its outbox figure rises while SMTP is down and
     falls after; /ready answers on both;
  5. a key rotated while both run is used by both for new credentials, and old credentials
     still verify against the JWKS both publish.
Then it measures memory and connections per instance and request rates through the proxy.
Exits non-zero, naming the check, on any failure.
"""

import base64
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes

import requests
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from prometheus_client.parser import text_string_to_metric_families

BINARY, DATABASE_URL, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS_TOKEN = "proxy-check-metrics-token-0123456789"
FAILURES = []


def fail(what):
    print(f"FAILED: {what}", flush=True)
    FAILURES.append(what)


def check(condition, what):
    if condition:
        print(f"ok: {what}", flush=True)
    else:
        fail(what)
    return condition


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP: a real server that can be taken down and slowed ----------------------------------


class Mailbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (recipient, message-id, subject)
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # on aiosmtpd's own thread: slows this server only
        parsed = message_from_bytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, parsed.get("Message-ID", ""), parsed.get("Subject", "")))
        return "250 OK"

    def snapshot(self):
        with self.lock:
            return list(self.messages)


SMTP_PORT = free_port()
MAILBOX = Mailbox()
smtp = None


def smtp_up():
    global smtp
    smtp = Controller(MAILBOX, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()


def smtp_down():
    global smtp
    if smtp:
        smtp.stop()
        smtp = None


# --- The instances and nginx ------------------------------------------------------------------

KEY_DIR = os.path.join(WORK, "keys")
PROXY_PORT = free_port()
PUBLIC_URL = f"http://127.0.0.1:{PROXY_PORT}"


def environment(listen):
    env = dict(os.environ)
    env.update(
        {
            "PEERTRACK_DATABASE_URL": DATABASE_URL,
            "PEERTRACK_LISTEN": listen,
            "PEERTRACK_PUBLIC_URL": PUBLIC_URL,
            "PEERTRACK_TRUSTED_PROXIES": "127.0.0.1",
            "PEERTRACK_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
            "PEERTRACK_MAIL_FROM": "Peertrack <no-reply@peertrack.test>",
            "PEERTRACK_KEY_DIR": KEY_DIR,
            "PEERTRACK_METRICS_TOKEN": METRICS_TOKEN,
            "RUST_LOG": "info,poem=warn,peertrack::request=info",
        }
    )
    return env


def cli(*args):
    done = subprocess.run(
        [BINARY, *args], env=environment("127.0.0.1:1"), capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise SystemExit(f"FAILED: peertrack {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


class Instance:
    def __init__(self, name):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(WORK, f"instance-{name}.log")
        self.process = None

    def start(self):
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [BINARY, "serve"], env=environment(f"127.0.0.1:{self.port}"), stdout=log, stderr=log
        )

    def wait_ready(self, seconds=120):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"FAILED: instance {self.name} exited: {self.log()[-2000:]}")
            try:
                if requests.get(self.url + "/ready", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"FAILED: instance {self.name} was not ready in {seconds} s")

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def rss_mib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


A, B = Instance("a"), Instance("b")
nginx = None


def nginx_config(ports):
    """deploy/nginx-peertrack.conf as the README describes it, on this test's ports."""
    with open(os.path.join(REPO, "deploy", "nginx-peertrack.conf")) as f:
        site = f.read()
    upstreams = iter(ports)
    site = re.sub(r"server 127\.0\.0\.1:808[12]", lambda m: f"server 127.0.0.1:{next(upstreams)}", site)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{PROXY_PORT};")
    if str(ports[0]) not in site or f":{PROXY_PORT};" not in site:
        raise SystemExit("FAILED: deploy/nginx-peertrack.conf no longer has the lines this test adapts")
    with open(os.path.join(WORK, "peertrack.conf"), "w") as f:
        f.write(site)
    main = f"""
user root;
worker_processes 1;
daemon off;
pid {WORK}/nginx.pid;
error_log {WORK}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {WORK}/nginx-access.log;
    client_body_temp_path {WORK}/nginx-body;
    proxy_temp_path {WORK}/nginx-proxy;
    fastcgi_temp_path {WORK}/nginx-fastcgi;
    uwsgi_temp_path {WORK}/nginx-uwsgi;
    scgi_temp_path {WORK}/nginx-scgi;
    include {WORK}/peertrack.conf;
}}
"""
    with open(os.path.join(WORK, "nginx.conf"), "w") as f:
        f.write(main)


def start_nginx():
    global nginx
    nginx_config([A.port, B.port])
    nginx = subprocess.Popen(
        ["nginx", "-c", os.path.join(WORK, "nginx.conf"), "-p", WORK],
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(WORK, "nginx-stderr.log"), "w"),
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if requests.get(PUBLIC_URL + "/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if nginx.poll() is not None:
            break
        time.sleep(0.2)
    with open(os.path.join(WORK, "nginx-stderr.log")) as f:
        raise SystemExit(f"FAILED: nginx did not start: {f.read()}")


def psql(sql):
    done = subprocess.run(["psql", DATABASE_URL, "-qtAc", sql], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise SystemExit(f"FAILED: psql {sql!r}: {done.stderr}")
    return [line for line in done.stdout.splitlines() if line]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# --- 1. Consent and sign-out take effect on the other instance at once ------------------------


def consent_and_sign_out(partner_org, api_key):
    partner = {"X-Api-Key": api_key}
    listed = requests.get(PUBLIC_URL + "/v1/register/peer-supporters?limit=5", headers=partner, timeout=30)
    if not check(listed.status_code == 200, f"the register answers through the proxy ({listed.status_code})"):
        return
    items = listed.json().get("items", [])
    if not check(bool(items), "the demo data has people in the partner's register"):
        return
    person_id = items[0]["person_id"] if "person_id" in items[0] else items[0]["id"]
    email = psql(f"SELECT email FROM people WHERE id = '{person_id}'")[0]
    token = cli("admin", "token", "--email", email, "--days", "1")
    seen = requests.get(f"{B.url}/v1/register/peer-supporters/{person_id}", headers=partner, timeout=30)
    check(seen.status_code == 200, f"B shows the person before the consent is withdrawn ({seen.status_code})")
    withdrawn = requests.delete(f"{A.url}/v1/me/consents/{partner_org}", headers=bearer(token), timeout=30)
    check(withdrawn.status_code in (200, 204), f"the consent is withdrawn on A ({withdrawn.status_code})")
    after = requests.get(f"{B.url}/v1/register/peer-supporters/{person_id}", headers=partner, timeout=30)
    check(after.status_code in (403, 404), f"B refuses the look-up on the very next request ({after.status_code})")

    admin = cli("admin", "token", "--email", "admin@peertrack-demo.example", "--days", "1")
    before = requests.get(f"{B.url}/v1/me/progress", headers=bearer(admin), timeout=30)
    check(before.status_code == 200, f"a token works on B ({before.status_code})")
    out = requests.delete(f"{A.url}/v1/auth/session", headers=bearer(admin), timeout=30)
    check(out.status_code == 204, f"signed out on A ({out.status_code})")
    refused = requests.get(f"{B.url}/v1/me/progress", headers=bearer(admin), timeout=30)
    check(refused.status_code == 401, f"B refuses the signed-out token at once ({refused.status_code})")


# --- 2. Each email once, with both workers, and when one is killed mid-delivery --------------


def queue_links(emails, tag):
    """Asks for a sign-in link for each address through the proxy, each from its own forwarded
    client address (the per-client limit is 30 per 15 minutes)."""
    for n, email in enumerate(emails):
        response = requests.post(
            PUBLIC_URL + "/v1/auth/magic-link",
            json={"email": email},
            headers={"X-Forwarded-For": f"198.18.{tag}.{n % 250 + 1}"},
            timeout=30,
        )
        if response.status_code != 202:
            fail(f"asking for a link for {email}: {response.status_code} {response.text[:200]}")


def wait_for_emails(emails, seconds):
    deadline = time.time() + seconds
    wanted = set(emails)
    while time.time() < deadline:
        got = {rcpt for rcpt, _, _ in MAILBOX.snapshot()}
        if wanted <= got:
            return True
        time.sleep(0.5)
    return False


def emails_once(people_emails):
    first = people_emails[:12]
    start = len(MAILBOX.snapshot())
    queue_links(first, 1)
    arrived = wait_for_emails(first, 60)
    check(arrived, "every queued email arrived with both workers running")
    got = [m for m in MAILBOX.snapshot()[start:] if m[0] in first]
    per_id = {}
    for _, message_id, _ in got:
        per_id[message_id] = per_id.get(message_id, 0) + 1
    check(
        len(got) == len(first) and all(c == 1 for c in per_id.values()),
        f"each email was delivered once ({len(got)} deliveries for {len(first)} emails)",
    )

    # Kill B while the (slowed) SMTP server is taking emails from both workers.
    second = people_emails[12:30]
    start = len(MAILBOX.snapshot())
    MAILBOX.delay = 0.4
    queue_links(second, 2)
    time.sleep(1.5)
    B.kill()
    print("instance B killed mid-delivery", flush=True)
    MAILBOX.delay = 0.0
    # B's claims run out after the worker's 90-second lease; then A sends them.
    arrived = wait_for_emails(second, 180)
    check(arrived, "every email arrived after B was killed mid-delivery (A took over B's claims)")
    got = [m for m in MAILBOX.snapshot()[start:] if m[0] in second]
    per_id = {}
    for _, message_id, _ in got:
        per_id[message_id] = per_id.get(message_id, 0) + 1
    duplicated = {k: v for k, v in per_id.items() if v > 1}
    check(
        len(per_id) == len(second) and sum(v - 1 for v in duplicated.values()) <= 1,
        f"after the kill each email arrived once, but at most the one in flight twice with the same "
        f"Message-ID ({len(got)} deliveries, {len(per_id)} distinct, duplicated: {list(duplicated.values())})",
    )
    B.start()
    B.wait_ready()


# --- 3. Limits across instances, per forwarded address, and no choosing one's address --------


def limits(people_emails):
    target = people_emails[30]
    statuses = []
    for n in range(7):
        # Alternate instances directly: the limit is counted in the database, not per instance.
        # Each request comes from another client address, so only the per-address limit counts.
        instance = A if n % 2 == 0 else B
        response = requests.post(
            instance.url + "/v1/auth/magic-link", json={"email": target}, timeout=30
        )
        statuses.append(response.status_code)
        # Direct requests come from 127.0.0.1, a trusted proxy without X-Forwarded-For: one
        # client. Spread them over addresses through the proxy instead for the per-client part.
    check(
        statuses[:5] == [202] * 5 and all(s == 429 for s in statuses[5:]),
        f"the per-address sign-in limit (5) holds across A and B: {statuses}",
    )

    # Per client: 30 requests from one forwarded address (to 30 different addresses), then 429;
    # another forwarded address is not limited; and a client sending X-Forwarded-For straight to
    # an instance's listener from an untrusted address... is simulated by the proxy: nginx
    # appends the real address, so the header a client writes is never the right-most.
    spread = [f"limit-{n}@peertrack-proxy.example" for n in range(31)]
    codes = []
    for n, email in enumerate(spread):
        response = requests.post(
            PUBLIC_URL + "/v1/auth/magic-link",
            json={"email": email},
            headers={"X-Forwarded-For": f"203.0.113.{200 + n % 2}, 198.51.100.77"},
            timeout=30,
        )
        codes.append(response.status_code)
    # Through nginx the chain is "203.0.113.x, 198.51.100.77, 127.0.0.1": the client named
    # itself 203.0.113.x, but the right-most untrusted address is 198.51.100.77... which the
    # client also wrote. So this models a client behind another proxy we do not trust: its
    # own claim (203.0.113.x) is ignored, and all 31 requests count for 198.51.100.77.
    check(
        codes[:30] == [202] * 30 and codes[30] == 429,
        f"30 sign-in requests from one forwarded address, then 429, however the client names itself: {codes[-3:]}",
    )
    other = requests.post(
        PUBLIC_URL + "/v1/auth/magic-link",
        json={"email": "limit-other@peertrack-proxy.example"},
        headers={"X-Forwarded-For": "198.51.100.78"},
        timeout=30,
    )
    check(other.status_code == 202, f"another forwarded address is limited separately ({other.status_code})")
    log = A.log() + B.log()
    check("198.51.100.78" in log, "the request log shows the forwarded client address")


def untrusted_peer():
    """An instance that trusts no proxy: X-Forwarded-For from its peer is ignored."""
    c = Instance("c")
    env_listen = f"127.0.0.1:{c.port}"
    log = open(c.log_path, "a")
    env = environment(env_listen)
    env["PEERTRACK_TRUSTED_PROXIES"] = "192.0.2.1"
    c.process = subprocess.Popen([BINARY, "serve"], env=env, stdout=log, stderr=log)
    try:
        c.wait_ready()
        codes = []
        for n in range(31):
            response = requests.get(
                f"{c.url}/v1/verify/ZZZZ-ZZZZ-{n:04}",
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
                timeout=30,
            )
            codes.append(response.status_code)
        check(
            codes[:30] == [404] * 30 and codes[30] == 429,
            f"a peer that is not a trusted proxy cannot choose its address with X-Forwarded-For: {codes[-2:]}",
        )
    finally:
        c.stop()


# --- 4. /metrics and /ready --------------------------------------------------------------------


def scrape(instance):
    response = requests.get(instance.url + "/metrics", headers=bearer(METRICS_TOKEN), timeout=30)
    if response.status_code != 200:
        fail(f"/metrics on {instance.name}: {response.status_code}")
        return {}
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    return families


def outbox_pending(families):
    family = families.get("peertrack_outbox_messages")
    if not family:
        return None
    return sum(s.value for s in family.samples if s.labels.get("status") == "pending" and s.labels.get("channel") == "email")


def private_metrics():
    """PEERTRACK_METRICS_LISTEN: /metrics without a token on a private address, nothing else."""
    d = Instance("d")
    port = free_port()
    env = environment(f"127.0.0.1:{d.port}")
    env["PEERTRACK_METRICS_LISTEN"] = f"127.0.0.1:{port}"
    d.process = subprocess.Popen([BINARY, "serve"], env=env, stdout=open(d.log_path, "a"), stderr=subprocess.STDOUT)
    try:
        d.wait_ready()
        response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        families = {f.name for f in text_string_to_metric_families(response.text)} if response.ok else set()
        check(
            response.status_code == 200 and "peertrack_outbox_messages" in families,
            f"PEERTRACK_METRICS_LISTEN serves /metrics without a token ({response.status_code})",
        )
        other = requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
        check(other.status_code == 404, f"and nothing else ({other.status_code})")
    finally:
        d.stop()


def metrics_and_ready(people_emails):
    check(requests.get(A.url + "/metrics", timeout=10).status_code == 404, "/metrics without the token is 404")
    check(
        requests.get(A.url + "/metrics", headers=bearer("wrong-token-wrong-token"), timeout=10).status_code == 404,
        "/metrics with another token is 404",
    )
    families = scrape(A)
    histogram = families.get("peertrack_http_request_duration_seconds")
    check(histogram is not None and histogram.type == "histogram", "the request latency is a histogram")
    if histogram:
        routes = {s.labels.get("route") for s in histogram.samples}
        buckets = [s for s in histogram.samples if s.name.endswith("_bucket")]
        check(bool(buckets), f"the histogram has _bucket series ({len(buckets)})")
        ids = [r for r in routes if r and re.search(r"[0-9a-f]{8}-[0-9a-f]{4}|ZZZZ", r)]
        check(not ids, f"route labels are templates, never ids or codes: {sorted(r for r in routes if r)[:12]}")
    for name in [
        "peertrack_outbox_oldest_due_age_seconds",
        "peertrack_access_log_backlog",
        "peertrack_db_pool_connections",
        "peertrack_webhook_deliveries",
    ]:
        check(name in families, f"/metrics has {name}")
    for instance in (A, B):
        ready = requests.get(instance.url + "/ready", timeout=10)
        check(ready.status_code == 200, f"/ready on {instance.name}: {ready.status_code}")
        check(requests.get(instance.url + "/health", timeout=10).status_code == 200, f"/health on {instance.name}")

    smtp_down()
    before = outbox_pending(scrape(A)) or 0
    queue_links(people_emails[31:41], 3)
    time.sleep(3)
    during = outbox_pending(scrape(B))
    check(during is not None and during >= before + 10, f"the outbox figure rises while SMTP is down ({before} -> {during})")
    smtp_up()
    # The worker retries from 5 seconds, doubling; allow a minute.
    deadline = time.time() + 90
    after = during
    while time.time() < deadline:
        after = outbox_pending(scrape(A))
        if after is not None and after <= before:
            break
        time.sleep(2)
    check(after is not None and after <= before, f"the outbox figure falls once SMTP is back ({during} -> {after})")


# --- 5. Keys rotated while both run -------------------------------------------------------------


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def verify_with(jwks, jws):
    header_b64, payload_b64, signature_b64 = jws.split(".")
    kid = b64json(header_b64)["kid"]
    for key in jwks["keys"]:
        if key["kid"] == kid:
            x = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
            signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
            try:
                Ed25519PublicKey.from_public_bytes(x).verify(signature, f"{header_b64}.{payload_b64}".encode())
                return True
            except Exception:
                return False
    return False


def credential(instance, admin, certificate_id):
    response = requests.get(
        f"{instance.url}/v1/certificates/{certificate_id}/credential", headers=bearer(admin), timeout=30
    )
    if response.status_code != 200:
        fail(f"credential from {instance.name}: {response.status_code} {response.text[:200]}")
        return None
    return response.text.strip().strip('"')


def keys_rotated():
    admin = cli("admin", "token", "--email", "admin@peertrack-demo.example", "--days", "1")
    certificate_id = psql("SELECT id FROM certificates WHERE revoked_at IS NULL LIMIT 1")[0]
    old = credential(A, admin, certificate_id)
    if not old:
        return
    old_kid = b64json(old.split(".")[0])["kid"]
    new_kid = cli("admin", "rotate-key")
    for instance in (A, B):
        fresh = credential(instance, admin, certificate_id)
        if not fresh:
            continue
        kid = b64json(fresh.split(".")[0])["kid"]
        check(kid == new_kid, f"{instance.name} signs with the rotated key at once ({kid} vs {new_kid})")
        jwks = requests.get(f"{instance.url}/.well-known/jwks.json", timeout=10).json()
        kids = [k["kid"] for k in jwks["keys"]]
        check(old_kid in kids and new_kid in kids, f"{instance.name} publishes the old and the new key: {kids}")
        check(verify_with(jwks, old), f"an old credential verifies against {instance.name}'s JWKS")
        check(verify_with(jwks, fresh), f"a new credential verifies against {instance.name}'s JWKS")


# --- Measurements -------------------------------------------------------------------------------


def rate(url, headers, seconds=5.0, workers=8):
    deadline = time.time() + seconds
    counts = []

    def run():
        session = requests.Session()
        n = errors = 0
        while time.time() < deadline:
            try:
                response = session.get(url, headers=headers, timeout=10)
                n += 1
                errors += response.status_code != 200
            except requests.RequestException:
                errors += 1
        return n, errors

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        counts = list(pool.map(lambda _: run(), range(workers)))
    done = sum(c[0] for c in counts)
    errors = sum(c[1] for c in counts)
    return done / seconds, errors


def measure(api_key):
    connections = psql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )[0]
    print(f"measure: memory A {A.rss_mib():.1f} MiB, B {B.rss_mib():.1f} MiB (RSS); "
          f"database connections of both instances {connections}", flush=True)
    register = PUBLIC_URL + "/v1/register/peer-supporters?limit=20"
    partner = {"X-Api-Key": api_key}
    two_health = rate(PUBLIC_URL + "/health", {})
    two_register = rate(register, partner)
    B.stop()
    time.sleep(1)
    one_health = rate(PUBLIC_URL + "/health", {})
    one_register = rate(register, partner)
    print(
        "measure (8 clients, 5 s each, through nginx, this 2-core machine shared with the build): "
        f"/health {one_health[0]:.0f}/s with one instance, {two_health[0]:.0f}/s with two; "
        f"register page (20 people) {one_register[0]:.0f}/s with one, {two_register[0]:.0f}/s with two; "
        f"errors {one_health[1] + two_health[1] + one_register[1] + two_register[1]}",
        flush=True,
    )


def main():
    smtp_up()
    partner_org = cli("demo", "--people", "60", "--seed", "21").splitlines()[-1].strip()
    api_key = cli("admin", "api-key", "--organisation", partner_org, "--name", "proxy-check")
    people_emails = psql(
        "SELECT email FROM people WHERE email LIKE '%@peertrack-demo.example' "
        "AND email <> 'admin@peertrack-demo.example' ORDER BY email LIMIT 60"
    )
    if len(people_emails) < 45:
        raise SystemExit(f"FAILED: the demo data has {len(people_emails)} people, 45 wanted")
    # Both start at once: they take turns on the migrations.
    A.start()
    B.start()
    A.wait_ready()
    B.wait_ready()
    start_nginx()
    print(f"nginx on {PUBLIC_URL} in front of A ({A.url}) and B ({B.url})", flush=True)
    try:
        consent_and_sign_out(partner_org, api_key)
        emails_once(people_emails)
        limits(people_emails)
        untrusted_peer()
        metrics_and_ready(people_emails)
        private_metrics()
        keys_rotated()
        measure(api_key)
    finally:
        if nginx and nginx.poll() is None:
            nginx.terminate()
            nginx.wait()
        A.stop()
        B.stop()
        smtp_down()
    if FAILURES:
        print(f"\n{len(FAILURES)} checks failed:", *FAILURES, sep="\n  ")
        sys.exit(1)
    print("proxy check: all passed")


if __name__ == "__main__":
    main()
