//! The two migration dialects build the same schema: the same tables, and in each table the same
//! columns with the same nullability, on SQLite and PostgreSQL; and both match the hand-kept
//! `diesel::table!` definitions in `core/src/store/schema.rs`.

use std::collections::BTreeMap;

use diesel::sql_types::{Integer, Text};
use diesel::{QueryableByName, RunQueryDsl};
use peertrack_core::store::testing::TestDatabase;
use peertrack_core::store::{Database, DbConnection};

/// Table name -> column name -> whether the column may be NULL.
type Shape = BTreeMap<String, BTreeMap<String, bool>>;

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    primary_key: i32,
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    table_name: String,
}

#[derive(QueryableByName)]
struct PostgresColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

const SQLITE_TABLES: &str = "SELECT name AS table_name FROM sqlite_master \
     WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND name <> '__diesel_schema_migrations'";

const SQLITE_COLUMNS: &str = "SELECT m.name AS table_name, p.name AS column_name, \
     p.type AS column_type, p.\"notnull\" AS not_null, p.pk AS primary_key \
     FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND m.name <> '__diesel_schema_migrations'";

const POSTGRES_TABLES: &str = "SELECT table_name::text AS table_name FROM information_schema.tables \
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
     AND table_name <> '__diesel_schema_migrations'";

const POSTGRES_COLUMNS: &str = "SELECT table_name::text AS table_name, \
     column_name::text AS column_name, is_nullable::text AS is_nullable \
     FROM information_schema.columns \
     WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'";

/// The tables and columns a database holds, read from its own catalogue.
fn shape_of(db: &Database) -> Shape {
    let mut conn = db.conn().expect("a connection");
    let mut shape = Shape::new();
    match &mut **conn {
        DbConnection::Sqlite(c) => {
            for table in diesel::sql_query(SQLITE_TABLES)
                .load::<TableName>(c)
                .expect("the SQLite tables")
            {
                shape.entry(table.table_name).or_default();
            }
            let columns = diesel::sql_query(SQLITE_COLUMNS)
                .load::<SqliteColumn>(c)
                .expect("the SQLite columns");
            let mut key_columns: BTreeMap<&str, usize> = BTreeMap::new();
            for column in columns.iter().filter(|c| c.primary_key > 0) {
                *key_columns.entry(column.table_name.as_str()).or_default() += 1;
            }
            for column in &columns {
                // A lone INTEGER PRIMARY KEY is the rowid, which is never NULL even though
                // SQLite reports no NOT NULL constraint on it.
                let is_rowid = column.primary_key > 0
                    && column.column_type.eq_ignore_ascii_case("INTEGER")
                    && key_columns.get(column.table_name.as_str()) == Some(&1);
                let nullable = column.not_null == 0 && !is_rowid;
                shape
                    .entry(column.table_name.clone())
                    .or_default()
                    .insert(column.column_name.clone(), nullable);
            }
        }
        DbConnection::Postgres(c) => {
            for table in diesel::sql_query(POSTGRES_TABLES)
                .load::<TableName>(c)
                .expect("the PostgreSQL tables")
            {
                shape.entry(table.table_name).or_default();
            }
            for column in diesel::sql_query(POSTGRES_COLUMNS)
                .load::<PostgresColumn>(c)
                .expect("the PostgreSQL columns")
            {
                shape
                    .entry(column.table_name)
                    .or_default()
                    .insert(column.column_name, column.is_nullable == "YES");
            }
        }
    }
    shape
}

/// The tables and columns `schema.rs` declares: each `diesel::table! {` block, its `    name (`
/// line, then `        column -> Type,` lines up to the block's closing brace.
fn declared_shape() -> Shape {
    let source = include_str!("../../src/store/schema.rs");
    let mut shape = Shape::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "diesel::table! {" {
            continue;
        }
        let header = lines
            .by_ref()
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
            .expect("a table name after diesel::table!");
        let name = header
            .strip_prefix("    ")
            .and_then(|rest| rest.split_once(" ("))
            .map(|(name, _)| name)
            .unwrap_or_else(|| panic!("a `    name (` line, not {header:?}"));
        let columns = shape.entry(name.to_string()).or_default();
        for line in lines.by_ref() {
            let line = line.trim();
            if line == "}" {
                break;
            }
            if let Some((column, sql_type)) = line.split_once(" -> ") {
                columns.insert(column.to_string(), sql_type.starts_with("Nullable<"));
            }
        }
    }
    shape
}

/// Every way in which `actual` differs from `expected`, in words.
fn differences(expected_name: &str, expected: &Shape, actual_name: &str, actual: &Shape) -> Vec<String> {
    let mut found = Vec::new();
    for (table, columns) in expected {
        let Some(other) = actual.get(table) else {
            found.push(format!(
                "table {table} is in {expected_name} but not in {actual_name}"
            ));
            continue;
        };
        for (column, nullable) in columns {
            match other.get(column) {
                None => found.push(format!(
                    "column {table}.{column} is in {expected_name} but not in {actual_name}"
                )),
                Some(other_nullable) if other_nullable != nullable => found.push(format!(
                    "column {table}.{column} is {} in {expected_name} but {} in {actual_name}",
                    nullability(*nullable),
                    nullability(*other_nullable)
                )),
                Some(_) => {}
            }
        }
        for column in other.keys().filter(|c| !columns.contains_key(*c)) {
            found.push(format!(
                "column {table}.{column} is in {actual_name} but not in {expected_name}"
            ));
        }
    }
    for table in actual.keys().filter(|t| !expected.contains_key(*t)) {
        found.push(format!(
            "table {table} is in {actual_name} but not in {expected_name}"
        ));
    }
    found
}

fn nullability(nullable: bool) -> &'static str {
    if nullable {
        "nullable"
    } else {
        "NOT NULL"
    }
}

#[track_caller]
fn assert_same(expected_name: &str, expected: &Shape, actual_name: &str, actual: &Shape) {
    let found = differences(expected_name, expected, actual_name, actual);
    assert!(found.is_empty(), "the schemas differ:\n  {}", found.join("\n  "));
}

#[test]
fn schema_rs_declares_every_table_the_migrations_make() {
    let declared = declared_shape();
    // A parser that found nothing would make the comparisons below meaningless.
    assert!(declared.len() >= 20, "schema.rs tables: {:?}", declared.keys());
    assert_eq!(
        declared.get("organisations").map(|c| c.len()),
        Some(3),
        "organisations has id, name, created_at"
    );
    assert_eq!(declared["people"].get("email"), Some(&true));
    assert_eq!(declared["people"].get("created_at"), Some(&false));
}

#[test]
fn sqlite_matches_schema_rs() {
    let sqlite = TestDatabase::sqlite();
    assert_same("schema.rs", &declared_shape(), "SQLite", &shape_of(&sqlite));
}

#[test]
fn postgres_matches_schema_rs() {
    let Some(postgres) = TestDatabase::postgres() else {
        return;
    };
    assert_same("schema.rs", &declared_shape(), "PostgreSQL", &shape_of(&postgres));
}

#[test]
fn sqlite_and_postgres_have_the_same_tables_and_columns() {
    let Some(postgres) = TestDatabase::postgres() else {
        return;
    };
    let sqlite = TestDatabase::sqlite();
    let sqlite_shape = shape_of(&sqlite);
    let postgres_shape = shape_of(&postgres);
    assert!(!sqlite_shape.is_empty());
    assert_same("SQLite", &sqlite_shape, "PostgreSQL", &postgres_shape);
    let tables: Vec<&String> = sqlite_shape.keys().collect();
    let declared = declared_shape();
    assert_eq!(
        tables,
        declared.keys().collect::<Vec<_>>(),
        "the same tables as schema.rs"
    );
}
