//! The `peertrack` binary as an operator meets it: bad configuration stops it with one plain
//! line naming the variable, and the admin commands print their result alone.

use std::process::{Command, Output};

use crate::PEERTRACK;

fn peertrack(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(PEERTRACK);
    command
        .current_dir(dir)
        .args(args)
        .env_remove("PEERTRACK_DATABASE_URL")
        .env("RUST_LOG", "error");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run peertrack")
}

fn one_line_error(output: &Output) -> String {
    assert!(!output.status.success(), "expected a failure");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    stderr
}

#[test]
fn an_unknown_database_scheme_is_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = peertrack(
        dir.path(),
        &[("PEERTRACK_DATABASE_URL", "mysql://localhost/db")],
        &["migrate"],
    );
    let error = one_line_error(&output);
    assert!(
        error.contains("PEERTRACK_DATABASE_URL") && error.contains("mysql"),
        "{error}"
    );
}

#[test]
fn an_unreachable_database_is_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = peertrack(
        dir.path(),
        &[(
            "PEERTRACK_DATABASE_URL",
            "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2",
        )],
        &["migrate"],
    );
    let error = one_line_error(&output);
    assert!(error.contains("PEERTRACK_DATABASE_URL"), "{error}");
    assert!(!error.contains("secret"), "the password stays hidden: {error}");
}

#[test]
fn an_unwritable_sqlite_path_is_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = peertrack(
        dir.path(),
        &[("PEERTRACK_DATABASE_URL", "/proc/peertrack/nowhere.db")],
        &["migrate"],
    );
    let error = one_line_error(&output);
    assert!(error.contains("PEERTRACK_DATABASE_URL"), "{error}");
}

#[test]
fn a_bad_listen_address_is_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = peertrack(dir.path(), &[("PEERTRACK_LISTEN", "everywhere")], &["serve"]);
    assert!(one_line_error(&output).contains("PEERTRACK_LISTEN"));
}

#[test]
fn admin_commands_print_their_result_alone() {
    let dir = tempfile::tempdir().unwrap();
    let add = peertrack(
        dir.path(),
        &[],
        &[
            "admin",
            "add-admin",
            "--email",
            "Ada@Example.org",
            "--name",
            "Ada",
        ],
    );
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let token = peertrack(dir.path(), &[], &["admin", "token", "--email", "ada@example.org"]);
    let token = String::from_utf8(token.stdout).unwrap();
    assert_eq!(token.lines().count(), 1);
    assert!(token.starts_with("pt_") && token.trim().len() > 40, "{token}");

    let organisation = peertrack(
        dir.path(),
        &[],
        &["admin", "add-organisation", "--name", "Penumbra"],
    );
    let id = String::from_utf8(organisation.stdout).unwrap().trim().to_string();
    assert!(uuid_like(&id), "{id}");
    let key = peertrack(
        dir.path(),
        &[],
        &["admin", "api-key", "--organisation", &id, "--name", "HR system"],
    );
    let key = String::from_utf8(key.stdout).unwrap();
    assert!(key.starts_with("ptk_") && key.lines().count() == 1, "{key}");

    let nobody = peertrack(
        dir.path(),
        &[],
        &["admin", "token", "--email", "nobody@example.org"],
    );
    assert!(one_line_error(&nobody).contains("--email"));
    assert!(
        dir.path().join("peertrack.db").exists(),
        "the default database file is created"
    );
}

#[test]
fn revoke_api_key_revokes_that_key_alone_on_both_databases() {
    use peertrack_core::store::testing::TestDatabase;
    use peertrack_core::store::{organisations, tokens, DatabaseUrl};

    let mut databases = vec![TestDatabase::sqlite()];
    databases.extend(TestDatabase::postgres());
    for database in databases {
        let url = match &database.url {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(url) => url.clone(),
        };
        let now = chrono::Utc::now().naive_utc();
        let ((revoked, revoked_id), (kept, _)) = database
            .write(|conn| {
                let organisation = organisations::create(conn, "Penumbra HR", now)?;
                let (revoked, key) = tokens::create_api_key(conn, &organisation.id, "HR system", now)?;
                let kept = tokens::create_api_key(conn, &organisation.id, "Spare", now)?;
                Ok(((revoked, key.id), kept))
            })
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let env = [("PEERTRACK_DATABASE_URL", url.as_str())];

        let output = peertrack(
            dir.path(),
            &env,
            &["admin", "revoke-api-key", "--id", &revoked_id],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let said = String::from_utf8(output.stdout).unwrap();
        assert_eq!(said.trim(), "API key \"HR system\" revoked");
        assert_eq!(
            database.read(|conn| tokens::api_key(conn, &revoked)).unwrap(),
            None
        );
        assert!(
            database
                .read(|conn| tokens::api_key(conn, &kept))
                .unwrap()
                .is_some(),
            "the other key still works"
        );

        let nobody = peertrack(
            dir.path(),
            &env,
            &["admin", "revoke-api-key", "--id", "no-such-key"],
        );
        assert!(one_line_error(&nobody).contains("--id"));
    }
}

#[test]
fn publish_programme_publishes_a_file_and_names_the_field_at_fault_on_both_databases() {
    use peertrack_core::store::testing::TestDatabase;
    use peertrack_core::store::{programmes, DatabaseUrl};

    let mut databases = vec![TestDatabase::sqlite()];
    databases.extend(TestDatabase::postgres());
    for database in databases {
        let url = match &database.url {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(url) => url.clone(),
        };
        let dir = tempfile::tempdir().unwrap();
        let env = [("PEERTRACK_DATABASE_URL", url.as_str())];
        // The shipped Peer2Peer file, as an organisation edits it for its own version.
        let shipped = include_str!("../../../core/programmes/p2p.toml");
        let edited = shipped.replacen("version = 1", "version = 2", 1).replacen(
            "min_attendance_percent = 80",
            "min_attendance_percent = 90",
            1,
        );
        assert_ne!(edited, shipped);
        let file = dir.path().join("lothian-p2p.toml");

        std::fs::write(
            &file,
            edited.replacen("min_attendance_percent = 90", "min_attendance_percent = 190", 1),
        )
        .unwrap();
        let refused = peertrack(
            dir.path(),
            &env,
            &["admin", "publish-programme", file.to_str().unwrap()],
        );
        let error = one_line_error(&refused);
        assert!(error.contains("rule.min_attendance_percent"), "{error}");

        std::fs::write(&file, &edited).unwrap();
        let output = peertrack(
            dir.path(),
            &env,
            &["admin", "publish-programme", file.to_str().unwrap()],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8(output.stdout).unwrap().trim(),
            "P2P version 2 published"
        );
        let current = database.read(|conn| programmes::current(conn, "P2P")).unwrap();
        assert_eq!(current.definition.version, 2);
        assert_eq!(current.definition.rule.min_attendance_percent, Some(90));

        // The same file again is refused: a published version never changes.
        let again = peertrack(
            dir.path(),
            &env,
            &["admin", "publish-programme", file.to_str().unwrap()],
        );
        assert!(one_line_error(&again).contains("version"));
    }
}

#[test]
fn openapi_prints_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let output = peertrack(dir.path(), &[], &["openapi"]);
    let spec: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(spec["info"]["title"], "Peertrack");
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4
}
