//! Supervision people can correct, over real HTTP on both databases: a supervisor declines a
//! session with a reason the learner reads (and is emailed), and a declined session never
//! counts; supervisors and learners list what waits; a placement ends on a date and
//! supervision after it is refused; and the `/supervision` page does the same with forms.

use chrono::{Duration, NaiveDate, Utc};
use peertrack_core::notify::templates::Templates;
use peertrack_core::store::{self, tokens};
use peertrack_e2e::scenario::organisation;
use peertrack_e2e::{e2e_on_both_backends, TestServer};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::pages::{browser, get, hidden, post_form, sign_in};

/// A learner on placement with a supervisor, in a cohort with a tutor.
struct Placement {
    today: NaiveDate,
    placement_id: String,
    learner_id: String,
    learner_email: String,
    supervisor_email: String,
    learner: String,
    supervisor: String,
    tutor: String,
}

/// An organisation, a cohort of Peer2Peer with its tutor, a learner enrolled in it, and their
/// placement (from 30 days ago) with a supervisor; every name ends in `suffix`.
async fn placement(server: &TestServer, suffix: &str) -> Placement {
    let today = Utc::now().date_naive();
    let organisation_id = organisation(server, &format!("Host {suffix}")).await;
    let tutor_email = format!("tutor-{suffix}@example.org");
    let (status, cohort) = server
        .call(
            &server.admin_token,
            Method::POST,
            "/v1/cohorts",
            Some(json!({
                "programme_code": "P2P",
                "organisation_id": organisation_id,
                "name": format!("Cohort {suffix}"),
                "starts_on": today - Duration::days(40),
                "ends_on": today + Duration::days(40),
                "tutor_emails": [tutor_email],
            })),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    let cohort_id = cohort["id"].as_str().unwrap();
    let tutor = server.token_for(&tutor_email).await;
    let learner_email = format!("learner-{suffix}@example.org");
    let (status, enrolment) = server
        .call(
            &tutor,
            Method::POST,
            &format!("/v1/cohorts/{cohort_id}/enrolments"),
            Some(json!({"email": learner_email, "name": format!("Rowan {suffix}"), "enrolled_on": today - Duration::days(40)})),
        )
        .await;
    assert_eq!(status, 201, "{enrolment}");
    let learner_id = enrolment["person_id"].as_str().unwrap().to_string();
    let supervisor_email = format!("supervisor-{suffix}@example.org");
    let (status, placement) = server
        .call(
            &tutor,
            Method::POST,
            "/v1/placements",
            Some(json!({
                "person_id": learner_id,
                "organisation_id": organisation_id,
                "supervisor_email": supervisor_email,
                "starts_on": today - Duration::days(30),
            })),
        )
        .await;
    assert_eq!(status, 201, "{placement}");
    Placement {
        today,
        placement_id: placement["id"].as_str().unwrap().to_string(),
        learner_id,
        learner: server.token_for(&learner_email).await,
        supervisor: server.token_for(&supervisor_email).await,
        learner_email,
        supervisor_email,
        tutor,
    }
}

impl Placement {
    /// The learner logs a session `days_ago` (with notes); its id.
    async fn log(&self, server: &TestServer, days_ago: i64) -> String {
        let (status, body) = self.try_log(server, self.today - Duration::days(days_ago)).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn try_log(&self, server: &TestServer, on: NaiveDate) -> (StatusCode, Value) {
        server
            .call(
                &self.learner,
                Method::POST,
                &format!("/v1/placements/{}/supervision", self.placement_id),
                Some(json!({"occurred_on": on, "duration_minutes": 60, "format": "individual", "notes": "Talked about boundaries"})),
            )
            .await
    }

    async fn decline(&self, server: &TestServer, token: &str, id: &str, reason: &str) -> (StatusCode, Value) {
        server
            .call(
                token,
                Method::POST,
                &format!("/v1/supervision/{id}/decline"),
                Some(json!({ "reason": reason })),
            )
            .await
    }

    async fn end(&self, server: &TestServer, token: &str, on: NaiveDate) -> (StatusCode, Value) {
        server
            .call(
                token,
                Method::POST,
                &format!("/v1/placements/{}/end", self.placement_id),
                Some(json!({ "ended_on": on })),
            )
            .await
    }

    /// The verified supervision sessions that count for the learner, as eligibility says.
    async fn counted(&self, server: &TestServer) -> f64 {
        let (status, body) = server
            .call(
                &self.tutor,
                Method::GET,
                &format!("/v1/people/{}/eligibility?programme=P2P", self.learner_id),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["requirement"] == "supervision_sessions")
            .unwrap_or_else(|| panic!("{body}"))["actual"]
            .as_f64()
            .unwrap()
    }
}

/// The ids of a list's items.
fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect()
}

/// The one field a 422 names.
fn field_of(problem: &Value) -> &str {
    problem["errors"][0]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("{problem}"))
}

async fn a_declined_session_tells_the_learner_why_and_never_counts(server: &TestServer) {
    let p = placement(server, "dc").await;
    let first = p.log(server, 20).await;
    let second = p.log(server, 13).await;
    let third = p.log(server, 6).await;
    let (status, _) = server
        .call(
            &p.supervisor,
            Method::POST,
            &format!("/v1/supervision/{first}/verify"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(p.counted(server).await, 1.0);

    // A reason is needed, in words.
    let (status, problem) = p.decline(server, &p.supervisor, &second, "   ").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(field_of(&problem), "reason");

    let reason = "We met on the 14th, not the 13th: could you log it again with that date?";
    let (status, declined) = p.decline(server, &p.supervisor, &second, reason).await;
    assert_eq!(status, 200, "{declined}");
    assert_eq!(declined["status"], "declined");
    assert_eq!(declined["verified"], false);
    assert_eq!(declined["decline_reason"], reason);
    assert_eq!(p.counted(server).await, 1.0, "a declined session does not count");

    // The learner sees the reason in their list, and is emailed it.
    let (status, theirs) = server
        .call(&p.learner, Method::GET, "/v1/supervision?status=declined", None)
        .await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(ids(&theirs), [second.as_str()]);
    assert_eq!(theirs["items"][0]["decline_reason"], reason);
    let outbox = server.outbox().await;
    let email = outbox
        .iter()
        .find(|m| m.template == "supervision_declined")
        .expect("an email to the learner");
    assert_eq!(email.recipient, p.learner_email);
    let rendered = Templates::new("http://peertrack.test")
        .render(&email.template, &serde_json::from_str(&email.payload).unwrap())
        .unwrap();
    assert!(rendered.text.contains(reason), "{}", rendered.text);
    assert!(rendered.text.starts_with("Hello Rowan dc,"), "{}", rendered.text);

    // Declining again changes nothing and emails nobody twice.
    let (status, again) = p.decline(server, &p.supervisor, &second, "Something else").await;
    assert_eq!(status, 200);
    assert_eq!(again["decline_reason"], reason);
    let emails = server
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "supervision_declined")
        .count();
    assert_eq!(emails, 1);

    // A verified session is final: it cannot be declined.
    let (status, problem) = p.decline(server, &p.supervisor, &first, "Changed my mind").await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("already verified"));
    assert_eq!(p.counted(server).await, 1.0);

    // The supervisor may still verify a declined one (they changed their mind): it counts, and
    // the reason is gone.
    let (status, verified) = server
        .call(
            &p.supervisor,
            Method::POST,
            &format!("/v1/supervision/{second}/verify"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["decline_reason"], Value::Null);
    assert_eq!(p.counted(server).await, 2.0);
    let (_, pending) = server
        .call(&p.learner, Method::GET, "/v1/supervision?status=pending", None)
        .await;
    assert_eq!(ids(&pending), [third.as_str()]);
}

async fn supervisors_and_learners_list_what_waits(server: &TestServer) {
    let p = placement(server, "wl").await;
    let other = placement(server, "wo").await;
    let logged = [
        p.log(server, 20).await,
        p.log(server, 13).await,
        p.log(server, 6).await,
    ];
    let elsewhere = other.log(server, 5).await;

    // The supervisor sees what waits for them, oldest first, with whose it is.
    let (status, page) = server
        .call(
            &p.supervisor,
            Method::GET,
            "/v1/supervision?status=pending&role=supervisor",
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), logged.iter().map(String::as_str).collect::<Vec<_>>());
    let item = &page["items"][0];
    assert_eq!(item["learner_name"], "Rowan wl");
    assert_eq!(item["organisation_name"], "Host wl");
    assert_eq!(item["person_id"], p.learner_id.as_str());
    assert_eq!(item["status"], "pending");
    assert_eq!(item["notes"], "Talked about boundaries");
    assert_eq!(page["next_cursor"], Value::Null);

    // Paged like every list.
    let (_, first) = server
        .call(
            &p.supervisor,
            Method::GET,
            "/v1/supervision?status=pending&limit=2",
            None,
        )
        .await;
    assert_eq!(ids(&first), [logged[0].as_str(), logged[1].as_str()]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, rest) = server
        .call(
            &p.supervisor,
            Method::GET,
            &format!("/v1/supervision?status=pending&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(ids(&rest), [logged[2].as_str()]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let (status, problem) = server
        .call(&p.supervisor, Method::GET, "/v1/supervision?cursor=bm9wZQ", None)
        .await;
    assert_eq!(status, 400, "{problem}");

    // The learner sees their own, waiting for their supervisor; as a supervisor they have none.
    let (_, theirs) = server
        .call(&p.learner, Method::GET, "/v1/supervision?status=pending", None)
        .await;
    assert_eq!(ids(&theirs).len(), 3);
    let (_, as_supervisor) = server
        .call(
            &p.learner,
            Method::GET,
            "/v1/supervision?status=pending&role=supervisor",
            None,
        )
        .await;
    assert!(ids(&as_supervisor).is_empty());

    // Nobody sees anyone else's: not another supervisor, learner or tutor.
    for token in [&other.supervisor, &other.learner, &p.tutor] {
        let (_, list) = server.call(token, Method::GET, "/v1/supervision", None).await;
        assert!(
            !ids(&list).iter().any(|id| logged.iter().any(|l| l == id)),
            "{list}"
        );
    }
    let (_, others) = server
        .call(
            &other.supervisor,
            Method::GET,
            "/v1/supervision?status=pending",
            None,
        )
        .await;
    assert_eq!(ids(&others), [elsewhere.as_str()]);

    // Once decided, a session waits no more; `verified` lists what was verified.
    let (status, _) = server
        .call(
            &p.supervisor,
            Method::POST,
            &format!("/v1/supervision/{}/verify", logged[0]),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = p
        .decline(server, &p.supervisor, &logged[1], "We did not meet that day")
        .await;
    assert_eq!(status, 200);
    let (_, waiting) = server
        .call(&p.supervisor, Method::GET, "/v1/supervision?status=pending", None)
        .await;
    assert_eq!(ids(&waiting), [logged[2].as_str()]);
    let (_, verified) = server
        .call(&p.learner, Method::GET, "/v1/supervision?status=verified", None)
        .await;
    assert_eq!(ids(&verified), [logged[0].as_str()]);
    let (_, everything) = server
        .call(&p.learner, Method::GET, "/v1/supervision", None)
        .await;
    assert_eq!(ids(&everything).len(), 3);
}

async fn an_ended_placement_refuses_later_supervision(server: &TestServer) {
    let p = placement(server, "en").await;
    p.log(server, 5).await;
    // Not before supervision already logged, nor before the placement began.
    let (status, problem) = p.end(server, &p.supervisor, p.today - Duration::days(10)).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(field_of(&problem), "ended_on");
    let (status, problem) = p.end(server, &p.tutor, p.today - Duration::days(40)).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(field_of(&problem), "ended_on");
    // The learner cannot end their own placement.
    let (status, _) = p.end(server, &p.learner, p.today - Duration::days(3)).await;
    assert_eq!(status, 403);

    let (status, ended) = p.end(server, &p.tutor, p.today - Duration::days(3)).await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["ends_on"], (p.today - Duration::days(3)).to_string());
    let (status, problem) = p.try_log(server, p.today - Duration::days(1)).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(field_of(&problem), "occurred_on");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("last day"), "{message}");
    let (status, _) = p.try_log(server, p.today - Duration::days(4)).await;
    assert_eq!(status, 201, "within the placement, it is logged");

    // The supervisor corrects the last day; later supervision can be logged again.
    let (status, _) = p.end(server, &p.supervisor, p.today).await;
    assert_eq!(status, 200);
    let (status, _) = p.try_log(server, p.today - Duration::days(1)).await;
    assert_eq!(status, 201);
    let (status, ended) = p
        .end(server, &server.admin_token, p.today + Duration::days(30))
        .await;
    assert_eq!(
        status, 200,
        "an administrator may, and the day may be ahead: {ended}"
    );
}

async fn only_the_supervisor_may_decline(server: &TestServer) {
    let p = placement(server, "od").await;
    let other = placement(server, "oo").await;
    let id = p.log(server, 3).await;
    let (status, _) = p.decline(server, &p.tutor, &id, "Not recognised").await;
    assert_eq!(status, 403, "the tutor");
    let (status, _) = p.decline(server, &p.learner, &id, "Not recognised").await;
    assert_eq!(status, 403, "the learner");
    let (status, _) = p
        .decline(server, &server.admin_token, &id, "Not recognised")
        .await;
    assert_eq!(status, 403, "an administrator");
    let (status, _) = p.decline(server, &other.learner, &id, "Not recognised").await;
    assert_eq!(status, 404, "another learner may not know it exists");
    let (status, _) = p.decline(server, &other.supervisor, &id, "Not recognised").await;
    assert_eq!(status, 404, "another supervisor");
    let (status, _) = p.end(server, &other.tutor, p.today).await;
    assert_eq!(status, 404, "a tutor of another cohort cannot end it");
    // A partner's API key is no person's credential.
    let key = {
        let organisation_id = organisation(server, "Partner od").await;
        server
            .database
            .db
            .write_async(move |conn| {
                let (key, _) =
                    tokens::create_api_key(conn, &organisation_id, "HR system", store::stored(Utc::now()))?;
                Ok(key)
            })
            .await
            .unwrap()
    };
    let refused = server
        .http
        .post(server.url(&format!("/v1/supervision/{id}/decline")))
        .header("X-Api-Key", key)
        .json(&json!({"reason": "Not recognised"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // Nothing changed.
    let (_, pending) = server
        .call(&p.supervisor, Method::GET, "/v1/supervision?status=pending", None)
        .await;
    assert_eq!(ids(&pending), [id.as_str()]);
}

/// The status of a supervision session, as the learner's list says.
async fn status_of(server: &TestServer, p: &Placement, id: &str) -> String {
    let (_, list) = server
        .call(&p.learner, Method::GET, "/v1/supervision", None)
        .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {list}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn a_supervisor_verifies_and_declines_from_the_page(server: &TestServer) {
    let p = placement(server, "pg").await;
    let first = p.log(server, 20).await;
    let second = p.log(server, 13).await;
    let third = p.log(server, 6).await;
    let session = sign_in(server, &p.supervisor_email).await;

    let home = get(server, &session, "/home").await.text().await.unwrap();
    assert!(home.contains("href=\"/supervision\""), "{home}");
    assert!(home.contains("3 sessions to verify or decline"), "{home}");

    let page = get(server, &session, "/supervision").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("<h1>Supervision waiting for you</h1>"));
    assert!(!html.contains("<script"));
    assert!(
        html.contains("Rowan pg") && html.contains("Host pg") && html.contains("Talked about boundaries")
    );
    assert_eq!(html.matches(">Verify</button>").count(), 3, "{html}");
    assert_eq!(html.matches(">Decline</button>").count(), 3, "{html}");
    assert!(html.contains(&format!("action=\"/supervision/{second}/decline\"")));
    assert!(html.contains("End placement"));
    let csrf = hidden(&html, "csrf");

    // Decline opens a page of its own that asks why; nobody but the supervisor can open it.
    let decline_path = format!("/supervision/{second}/decline");
    let asking = get(server, &session, &decline_path).await;
    assert_eq!(asking.status(), 200);
    assert_eq!(asking.headers()["cache-control"], "no-store");
    let html = asking.text().await.unwrap();
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("<h1>Decline Rowan pg"), "{html}");
    assert!(
        html.contains("<label for=\"reason\">Reason for declining"),
        "{html}"
    );
    assert!(
        html.contains("60 minutes") && html.contains("Talked about boundaries"),
        "{html}"
    );
    let learner = sign_in(server, &p.learner_email).await;
    let theirs = get(server, &learner, &decline_path).await;
    assert_ne!(
        theirs.status(),
        200,
        "the learner cannot open their supervisor's decline page"
    );
    assert!(!theirs.text().await.unwrap().contains("Reason for declining"));

    // Verify, with the form's token.
    let verified = post_form(
        server,
        &session,
        &format!("/supervision/{first}/verify"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(verified.status(), StatusCode::SEE_OTHER);
    assert_eq!(verified.headers()[LOCATION], "/supervision?done=verified");
    assert_eq!(status_of(server, &p, &first).await, "verified");

    // Without the token, nothing happens.
    let forged = post_form(
        server,
        &session,
        &format!("/supervision/{second}/decline"),
        &[("csrf", "forged"), ("reason", "Not that day")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(server, &p, &second).await, "pending");

    // Decline without a reason: said beside the field, nothing saved.
    let missing = post_form(
        server,
        &session,
        &format!("/supervision/{second}/decline"),
        &[("csrf", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = missing.text().await.unwrap();
    assert!(
        html.contains("id=\"reason-error\">Please tell the learner why"),
        "{html}"
    );
    assert!(html.contains("Nothing was saved"));
    assert_eq!(status_of(server, &p, &second).await, "pending");
    // Too short: what was typed is kept.
    let short = post_form(
        server,
        &session,
        &format!("/supervision/{second}/decline"),
        &[("csrf", &csrf), ("reason", "no")],
    )
    .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = short.text().await.unwrap();
    assert!(html.contains("id=\"reason-error\">The reason must"), "{html}");
    assert!(html.contains(">no</textarea>"), "{html}");

    let reason = "We met on the 14th, not the 13th";
    let declined = post_form(
        server,
        &session,
        &format!("/supervision/{second}/decline"),
        &[("csrf", &csrf), ("reason", reason)],
    )
    .await;
    assert_eq!(declined.status(), StatusCode::SEE_OTHER);
    assert_eq!(declined.headers()[LOCATION], "/supervision?done=declined");
    assert_eq!(status_of(server, &p, &second).await, "declined");

    // What is left waiting; the learner reads the reason on their page.
    let html = get(server, &session, "/supervision?done=declined")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("We have emailed the learner your reason"));
    assert_eq!(html.matches(">Verify</button>").count(), 1);
    assert!(html.contains(&format!("/supervision/{third}/verify")));
    // Its decline page now says it is decided, with no form.
    let decided = get(server, &session, &decline_path).await.text().await.unwrap();
    assert!(decided.contains("You have declined this session"), "{decided}");
    assert!(!decided.contains("<textarea"), "{decided}");
    let theirs = get(server, &learner, "/me/supervision")
        .await
        .text()
        .await
        .unwrap();
    assert!(theirs.contains("Not confirmed by your supervisor"), "{theirs}");
    assert!(theirs.contains(reason), "{theirs}");
    assert!(theirs.contains("Confirmed"));

    // Ending the placement: a day that is not one is said beside the field, kept as typed.
    let end_path = format!("/supervision/placements/{}/end", p.placement_id);
    let wrong = post_form(
        server,
        &session,
        &end_path,
        &[("csrf", &csrf), ("ended_on", "soon")],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "id=\"ended_on-error-{}\">Enter the placement",
            p.placement_id
        )),
        "{html}"
    );
    assert!(html.contains("value=\"soon\""));
    let before = (p.today - Duration::days(10)).to_string();
    let refused = post_form(
        server,
        &session,
        &end_path,
        &[("csrf", &csrf), ("ended_on", &before)],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("The last day cannot be before"));
    let today = p.today.to_string();
    let ended = post_form(
        server,
        &session,
        &end_path,
        &[("csrf", &csrf), ("ended_on", &today)],
    )
    .await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    let (_, placement) = server
        .call(
            &p.learner,
            Method::GET,
            &format!("/v1/placements/{}", p.placement_id),
            None,
        )
        .await;
    assert_eq!(placement["ends_on"], today);
}

async fn a_learner_cannot_act_on_supervision_from_the_pages(server: &TestServer) {
    let p = placement(server, "la").await;
    let other = placement(server, "lo").await;
    let id = p.log(server, 4).await;
    let mine = sign_in(server, &p.learner_email).await;
    let theirs = sign_in(server, &other.learner_email).await;

    // A learner's own /supervision has nothing to act on.
    let page = get(server, &mine, "/supervision").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Nothing is waiting for you"), "{html}");
    assert!(!html.contains(&id));
    let csrf = hidden(&html, "csrf");
    let their_csrf = hidden(&get(server, &theirs, "/home").await.text().await.unwrap(), "csrf");

    // The learner knows the session: refused in words. Another learner hears it is not there.
    let refused = post_form(
        server,
        &mine,
        &format!("/supervision/{id}/verify"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("supervisor can verify supervision"));
    let refused = post_form(
        server,
        &mine,
        &format!("/supervision/{id}/decline"),
        &[("csrf", &csrf), ("reason", "Did not happen")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    for path in [
        format!("/supervision/{id}/verify"),
        format!("/supervision/{id}/decline"),
        format!("/supervision/placements/{}/end", p.placement_id),
    ] {
        let hidden_from = post_form(
            server,
            &theirs,
            &path,
            &[
                ("csrf", &their_csrf),
                ("reason", "Did not happen"),
                ("ended_on", &p.today.to_string()),
            ],
        )
        .await;
        assert_eq!(hidden_from.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let refused = post_form(
        server,
        &mine,
        &format!("/supervision/placements/{}/end", p.placement_id),
        &[("csrf", &csrf), ("ended_on", &p.today.to_string())],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(server, &p, &id).await, "pending");
    let (_, placement) = server
        .call(
            &p.learner,
            Method::GET,
            &format!("/v1/placements/{}", p.placement_id),
            None,
        )
        .await;
    assert_eq!(placement["ends_on"], Value::Null);
    // Signed out, the page sends you to sign in.
    let anonymous = browser().get(server.url("/supervision")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

e2e_on_both_backends!(
    a_declined_session_tells_the_learner_why_and_never_counts,
    supervisors_and_learners_list_what_waits,
    an_ended_placement_refuses_later_supervision,
    only_the_supervisor_may_decline,
    a_supervisor_verifies_and_declines_from_the_page,
    a_learner_cannot_act_on_supervision_from_the_pages,
);
