//! The programmes Peertrack ships with, as data files under `core/programmes/`.

use chrono::NaiveDateTime;

use crate::domain::ProgrammeDefinition;
use crate::store::programmes::{self, Published};
use crate::store::DbConnection;
use crate::{Error, Result};

/// The seeded programme files: Peer2Peer and the PDA in Mental Health Peer Support.
pub const SEEDED_PROGRAMMES: &[(&str, &str)] = &[
    ("p2p.toml", include_str!("../programmes/p2p.toml")),
    ("pda-mhps.toml", include_str!("../programmes/pda-mhps.toml")),
];

/// Reads the seeded programme files.
pub fn seeded_definitions() -> Result<Vec<ProgrammeDefinition>> {
    SEEDED_PROGRAMMES
        .iter()
        .map(|(file, text)| {
            ProgrammeDefinition::from_toml(text).map_err(|e| Error::Corrupt(format!("{file}: {e}")))
        })
        .collect()
}

/// Publishes each seeded programme that is absent, or whose file has a newer version.
pub fn seed_programmes(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<(String, Published)>> {
    seeded_definitions()?
        .into_iter()
        .map(|definition| {
            let outcome = programmes::publish(conn, &definition, now)?;
            Ok((definition.code, outcome))
        })
        .collect()
}
