//! Limits counted in the database (every instance behind a load balancer counts against one
//! allowance): one upsert per event, fixed windows, concurrent counts never lost, and expired
//! rows cleaned.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use peertrack_core::on_both_backends;
use peertrack_core::store::rate_limits::{count, forget_expired, hit, row_key};
use peertrack_core::store::Database;

fn at(seconds: i64) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 7)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        + Duration::seconds(seconds)
}

fn counts_in_fixed_windows_per_key(db: &Database) {
    let key = row_key("sign-in", "198.51.100.1");
    assert_ne!(
        key,
        row_key("verify", "198.51.100.1"),
        "each limit has its own keys"
    );
    assert!(!key.contains("198"), "the address itself is not stored");
    db.write(|conn| {
        assert_eq!(count(conn, &key, at(0))?, 0);
        for expected in 1..=3 {
            assert_eq!(hit(conn, &key, at(expected), 600)?, expected as u32);
        }
        assert_eq!(count(conn, &key, at(5))?, 3);
        let other = row_key("sign-in", "198.51.100.2");
        assert_eq!(hit(conn, &other, at(5), 600)?, 1, "another key counts alone");
        // The window opened at 1 s ends at 601 s: the next event starts a new one.
        assert_eq!(count(conn, &key, at(601))?, 0);
        assert_eq!(hit(conn, &key, at(602), 600)?, 1);
        assert_eq!(count(conn, &key, at(603))?, 1);
        // Only the other key's window (ending at 605 s) has ended by 700 s.
        assert_eq!(forget_expired(conn, at(700))?, 1);
        assert_eq!(count(conn, &key, at(700))?, 1);
        Ok(())
    })
    .unwrap();
}

fn concurrent_hits_are_all_counted(db: &Database) {
    let key = row_key("verify", "203.0.113.9");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            let key = key.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    db.read(|conn| hit(conn, &key, at(10), 600)).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(db.read(|conn| count(conn, &key, at(11))).unwrap(), 40);
}

on_both_backends!(counts_in_fixed_windows_per_key, concurrent_hits_are_all_counted);
