//! The tutor's register in the page-load benchmark (issue 17): tutors, each on a session of a
//! cohort of their own, read the register page and save it, one request at a time each.
//! Every save changes a mark (Present and Late in turn), so each one writes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use diesel::prelude::*;
use peertrack_core::store::schema::{cohort_tutors, enrolments, sessions};
use peertrack_core::store::tokens::{self, TokenPurpose};
use peertrack_core::store::{self, Database, DatabaseUrl, PoolOptions};

use super::Measured;

/// The two shapes measured.
pub const READ: &str = "GET /sessions/{id}/register";
pub const SAVE: &str = "POST /sessions/{id}/register";

/// Chooses `count` tutors, each with a held session of a cohort with learners (a different
/// tutor and cohort each), and makes each a one-time sign-in token: (token, session id).
pub fn tutor_tokens(url: &DatabaseUrl, count: usize) -> Result<Vec<(String, String)>> {
    let db = Database::open(url, PoolOptions::default())?;
    let now = store::stored(Utc::now());
    let chosen = db.write(|conn| {
        let with_learners = enrolments::table
            .filter(enrolments::withdrawn_at.is_null())
            .select(enrolments::cohort_id);
        let candidates: Vec<(String, String, String)> = sessions::table
            .inner_join(cohort_tutors::table.on(cohort_tutors::cohort_id.eq(sessions::cohort_id)))
            .filter(sessions::cancelled_at.is_null())
            .filter(sessions::starts_at.le(now))
            .filter(sessions::cohort_id.eq_any(with_learners))
            .order((sessions::starts_at.desc(), sessions::id))
            .select((sessions::id, sessions::cohort_id, cohort_tutors::person_id))
            .limit(20_000)
            .load(conn)?;
        let (mut tutors, mut cohorts, mut chosen) = (Vec::new(), Vec::new(), Vec::new());
        for (session, cohort, tutor) in candidates {
            if chosen.len() == count {
                break;
            }
            if tutors.contains(&tutor) || cohorts.contains(&cohort) {
                continue;
            }
            let expires = now + chrono::Duration::minutes(30);
            let (token, _) = tokens::create_token(conn, &tutor, TokenPurpose::SignIn, expires, now)?;
            tutors.push(tutor);
            cohorts.push(cohort);
            chosen.push((token, session));
        }
        Ok(chosen)
    })?;
    if chosen.len() < count {
        bail!(
            "only {} tutors with a held session to sign in; use more --people",
            chosen.len()
        );
    }
    Ok(chosen)
}

/// What the register form needs to be sent: its token, version and the learners' ids.
fn read_form(html: &str) -> Result<(String, i32, Vec<String>)> {
    let field = |name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_string)
            .with_context(|| format!("the register's {name}"))
    };
    let mut learners: Vec<String> = Vec::new();
    for rest in html.split("name=\"mark-").skip(1) {
        let id = rest.split('"').next().unwrap_or_default().to_string();
        if !learners.contains(&id) {
            learners.push(id);
        }
    }
    Ok((field("csrf")?, field("version")?.parse()?, learners))
}

/// Reads (`save` false) or saves each tutor's register with one loop per tutor, for `duration`.
/// `tutors` are (cookie, session id).
pub async fn measure(
    client: &reqwest::Client,
    base: &str,
    tutors: &[(String, String)],
    duration: Duration,
    save: bool,
) -> Measured {
    let started = Instant::now();
    let deadline = started + duration;
    let mut loops = tokio::task::JoinSet::new();
    for (cookie, session) in tutors {
        let (client, cookie) = (client.clone(), cookie.clone());
        let url = Arc::new(format!("{base}/sessions/{session}/register"));
        loops.spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let (mut errors, mut first_error) = (0, None::<String>);
            let (mut smallest, mut largest) = (usize::MAX, 0);
            let mut form = None;
            let mut turn = 0u64;
            while Instant::now() < deadline {
                if save && form.is_none() {
                    let page = client.get(url.as_str()).header("cookie", &cookie).send().await;
                    let text = match page {
                        Ok(page) => page.text().await.map_err(anyhow::Error::from),
                        Err(e) => Err(e.into()),
                    };
                    match text.and_then(|html| read_form(&html)) {
                        Ok(found) => form = Some(found),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e.to_string());
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    }
                }
                let request = match &mut form {
                    Some((csrf, version, learners)) if save => {
                        turn += 1;
                        let mark = if turn % 2 == 0 { "present" } else { "late" };
                        let mut body = format!("csrf={csrf}&version={version}");
                        for learner in learners.iter() {
                            body.push_str(&format!("&mark-{learner}={mark}"));
                        }
                        client
                            .post(url.as_str())
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(body)
                    }
                    _ => client.get(url.as_str()),
                };
                let sent = Instant::now();
                let outcome = match request.header("cookie", &cookie).send().await {
                    Ok(response) => {
                        let status = response.status();
                        let expected = if save {
                            status == reqwest::StatusCode::SEE_OTHER
                        } else {
                            status.is_success()
                        };
                        match response.bytes().await {
                            Ok(body) if expected => Ok(body.len()),
                            Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                match outcome {
                    Ok(size) => {
                        if let Some((_, version, _)) = &mut form {
                            *version += 1;
                        }
                        if !save {
                            smallest = smallest.min(size);
                            largest = largest.max(size);
                        }
                    }
                    Err(error) => {
                        errors += 1;
                        first_error.get_or_insert(error);
                        // Read the register again (its version) before the next save.
                        form = None;
                    }
                }
            }
            (latencies, errors, first_error, smallest, largest)
        });
    }
    let mut measured = Measured {
        path: if save { SAVE } else { READ }.to_string(),
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
        bytes: (usize::MAX, 0),
        first_error: None,
    };
    while let Some(done) = loops.join_next().await {
        let (latencies, errors, first_error, smallest, largest) = done.expect("a request loop");
        measured.requests += latencies.len();
        measured.latencies_us.extend(latencies);
        measured.errors += errors;
        measured.bytes = (measured.bytes.0.min(smallest), measured.bytes.1.max(largest));
        if measured.first_error.is_none() {
            measured.first_error = first_error;
        }
    }
    measured.elapsed = started.elapsed();
    measured.latencies_us.sort_unstable();
    measured
}
