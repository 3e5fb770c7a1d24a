//! Guards against N+1 queries: the SQL statements a page costs must not grow with the number
//! of people on it. Counts every statement the server's connections run (diesel's
//! instrumentation), on realistic demo data, on both databases. Not timed.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use peertrack_core::demo::{self, DemoOptions};
use peertrack_core::store::schema::{cohort_tutors, enrolments, organisations, sessions};
use peertrack_core::store::{self, tokens};
use peertrack_e2e::{Backend, TestServer};
use serde_json::Value;

/// Statements started on any connection opened after the counter was installed.
static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

/// The counter is global to this test binary, so its tests take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Counts statements except on the access log's own thread: it writes one row per answer
/// whatever the page size, and spreads look-ups into people's logs in the background, at
/// moments that have nothing to do with the request being counted. Nor does it count the
/// pool's liveness check (`SELECT 1` on PostgreSQL), which runs only when a connection was
/// last used more than half a second before: a matter of timing, not of the page.
fn count_statements() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        let background = std::thread::current().name() == Some("access-log-writer");
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let liveness_check = query.to_string().split(" -- binds:").next() == Some("SELECT 1");
            if !background && !liveness_check {
                STATEMENTS.fetch_add(1, Ordering::SeqCst);
            }
        }
    }))
}

/// Sends a GET and returns how many statements the server ran for it, with the JSON answer.
async fn statements_for(request: reqwest::RequestBuilder) -> (usize, Value) {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON answer");
    assert_eq!(status, 200, "{body}");
    (STATEMENTS.load(Ordering::SeqCst) - before, body)
}

/// A server on demo data, with the partner's API key.
async fn server_on_demo_data(backend: Backend) -> Option<(TestServer, String)> {
    diesel::connection::set_default_instrumentation(count_statements).expect("install the statement counter");
    let server = TestServer::start(backend).await?;
    let options = DemoOptions {
        people: 400,
        seed: 11,
        today: Utc::now().date_naive(),
    };
    let db = server.database.db.clone();
    tokio::task::spawn_blocking(move || demo::generate(&db, &options))
        .await
        .unwrap()
        .expect("demo data");
    let key = server
        .database
        .db
        .write_async(|conn| {
            let partner: String = organisations::table
                .filter(organisations::name.eq(demo::PARTNER_NAME))
                .select(organisations::id)
                .first(conn)?;
            let (secret, _) = tokens::create_api_key(conn, &partner, "HR system", store::stored(Utc::now()))?;
            Ok(secret)
        })
        .await
        .expect("an API key for the partner");
    Some((server, key))
}

async fn register_page_costs_the_same_whatever_its_size(server: &TestServer, key: &str) {
    let page = |query: &str| {
        server
            .http
            .get(server.url(&format!("/v1/register/peer-supporters?{query}")))
            .header("X-Api-Key", key)
    };
    // Measured from the second request on, so nothing done once per connection counts.
    statements_for(page("limit=5")).await;
    let (small, five) = statements_for(page("limit=5")).await;
    let (large, fifty) = statements_for(page("limit=50")).await;
    assert_eq!(five["items"].as_array().unwrap().len(), 5);
    assert_eq!(
        fifty["items"].as_array().unwrap().len(),
        50,
        "the demo has more than 50 sharing"
    );
    let cursor = fifty["next_cursor"].as_str().expect("a second page").to_string();
    let (next, _) = statements_for(page(&format!("limit=50&cursor={cursor}"))).await;
    eprintln!("register page: {small} statements for 5 people, {large} for 50, {next} for the next 50");
    assert_eq!(
        small, large,
        "a page of 50 must cost the statements of a page of 5"
    );
    assert_eq!(large, next, "a later page must cost the same as the first");
}

async fn cohort_progress_costs_the_same_whatever_its_size(server: &TestServer) {
    let cohorts: Vec<(String, i64)> = server
        .database
        .db
        .read_async(|conn| {
            Ok(enrolments::table
                .group_by(enrolments::cohort_id)
                .select((enrolments::cohort_id, diesel::dsl::count_star()))
                .load(conn)?)
        })
        .await
        .unwrap();
    let smallest = cohorts.iter().min_by_key(|(_, n)| *n).unwrap().clone();
    let largest = cohorts.iter().max_by_key(|(_, n)| *n).unwrap().clone();
    assert!(largest.1 > smallest.1, "the demo's cohorts differ in size");
    let mut costs = Vec::new();
    for (cohort_id, learners) in [&smallest, &largest] {
        let id = cohort_id.clone();
        let tutor: String = server
            .database
            .db
            .read_async(move |conn| {
                Ok(cohort_tutors::table
                    .filter(cohort_tutors::cohort_id.eq(id))
                    .select(cohort_tutors::person_id)
                    .first(conn)?)
            })
            .await
            .unwrap();
        let token = server.token_for_person(&tutor).await;
        let progress = || {
            server
                .http
                .get(server.url(&format!("/v1/cohorts/{cohort_id}/progress?limit=500")))
                .bearer_auth(&token)
        };
        statements_for(progress()).await;
        let (statements, body) = statements_for(progress()).await;
        assert_eq!(body["items"].as_array().unwrap().len() as i64, *learners);
        eprintln!("cohort progress: {statements} statements for {learners} learners");
        costs.push(statements);
    }
    assert_eq!(
        costs[0], costs[1],
        "progress must cost the same statements for a larger cohort"
    );
}

/// Sends a request and returns how many statements the server ran for it, with its status.
async fn statements_for_write(request: reqwest::RequestBuilder) -> (usize, reqwest::StatusCode, String) {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let body = response.text().await.expect("an answer");
    (STATEMENTS.load(Ordering::SeqCst) - before, status, body)
}

/// A register's save, where every mark changes, costs the same statements for a small cohort
/// as for a large one: the marks are written in one statement, not one each. (A tutor's save
/// is the busiest write there is; on SQLite the writes take turns, so each statement in it
/// is a wait for every other tutor.)
async fn saving_a_register_costs_the_same_whatever_its_size(server: &TestServer) {
    let cohorts: Vec<(String, i64)> = server
        .database
        .db
        .read_async(|conn| {
            Ok(enrolments::table
                .filter(enrolments::withdrawn_at.is_null())
                .group_by(enrolments::cohort_id)
                .select((enrolments::cohort_id, diesel::dsl::count_star()))
                .load(conn)?)
        })
        .await
        .unwrap();
    let smallest = cohorts.iter().min_by_key(|(_, n)| *n).unwrap().clone();
    let largest = cohorts.iter().max_by_key(|(_, n)| *n).unwrap().clone();
    assert!(largest.1 > smallest.1 + 2, "the demo's cohorts differ in size");
    let mut costs = Vec::new();
    for (cohort_id, _) in [&smallest, &largest] {
        let id = cohort_id.clone();
        let (tutor, session): (String, String) = server
            .database
            .db
            .read_async(move |conn| {
                let tutor = cohort_tutors::table
                    .filter(cohort_tutors::cohort_id.eq(&id))
                    .select(cohort_tutors::person_id)
                    .first(conn)?;
                let session = sessions::table
                    .filter(sessions::cohort_id.eq(&id))
                    .filter(sessions::cancelled_at.is_null())
                    .order(sessions::starts_at.desc())
                    .select(sessions::id)
                    .first(conn)?;
                Ok((tutor, session))
            })
            .await
            .unwrap();
        let token = server.token_for_person(&tutor).await;
        let path = server.url(&format!("/v1/sessions/{session}/attendance"));
        let sheet: Value = server
            .http
            .get(&path)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let learners: Vec<String> = sheet["learners"]
            .as_array()
            .unwrap_or_else(|| panic!("learners on the register: {sheet}"))
            .iter()
            .map(|l| l["person_id"].as_str().unwrap().to_string())
            .collect();
        assert!(learners.len() >= 3, "{sheet}");
        let save = |status: &str| {
            let records: Vec<Value> = learners
                .iter()
                .map(|id| serde_json::json!({"person_id": id, "status": status}))
                .collect();
            server
                .http
                .put(&path)
                .bearer_auth(&token)
                .json(&serde_json::json!({ "records": records }))
        };
        // Every mark changes on each save: present, then late.
        let (_, status, body) = statements_for_write(save("present")).await;
        assert_eq!(status, 200, "{body}");
        let (statements, status, body) = statements_for_write(save("late")).await;
        assert_eq!(status, 200, "{body}");
        eprintln!(
            "register save: {statements} statements for {} learners",
            learners.len()
        );
        costs.push(statements);
    }
    assert_eq!(
        costs[0], costs[1],
        "a register's save must cost the same statements for a larger cohort"
    );
}

async fn both_pages(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some((server, key)) = server_on_demo_data(backend).await else {
        return;
    };
    register_page_costs_the_same_whatever_its_size(&server, &key).await;
    cohort_progress_costs_the_same_whatever_its_size(&server).await;
    saving_a_register_costs_the_same_whatever_its_size(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_cost_a_fixed_number_of_statements_on_sqlite() {
    both_pages(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_cost_a_fixed_number_of_statements_on_postgres() {
    both_pages(Backend::Postgres).await;
}
