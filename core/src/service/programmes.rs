//! Programmes and their versions, for anyone signed in.

use crate::access::Caller;
use crate::store::programmes::{self, ProgrammeVersion};
use crate::store::DbConnection;
use crate::Result;

/// Every programme at its current version.
pub fn list(conn: &mut DbConnection, _caller: &Caller) -> Result<Vec<ProgrammeVersion>> {
    programmes::list_current(conn)
}

/// A programme at its current version, by code.
pub fn current(conn: &mut DbConnection, _caller: &Caller, code: &str) -> Result<ProgrammeVersion> {
    programmes::current(conn, code)
}
