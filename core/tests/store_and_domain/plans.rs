//! What the plan tests share: the statements a piece of work prepares, and SQLite's plan for
//! one, read as SQLite plans it (`SQLITE_ENABLE_QPSG`: with no values bound).

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::Text;
use peertrack_core::store::DbConnection;

/// The statements `run` prepares, as SQL without their values.
pub fn statements_of(conn: &mut DbConnection, run: impl FnOnce(&mut DbConnection)) -> Vec<String> {
    let caught = Arc::new(Mutex::new(Vec::new()));
    let sink = caught.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default().to_string();
            sink.lock().expect("the statements").push(sql);
        }
    });
    run(conn);
    conn.set_instrumentation(None::<Box<dyn Instrumentation>>);
    let statements = caught.lock().expect("the statements").clone();
    statements
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// SQLite's plan for a statement with no values bound, one line a loop.
pub fn sqlite_plan(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    let lines: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .load(conn)
        .expect("the plan");
    lines.into_iter().map(|l| l.detail).collect()
}
