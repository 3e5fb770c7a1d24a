//! Certificate status on a date, expiry, and renewal by continuing professional development.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::eligibility::{hours_requirement, Requirement, RequirementKind};

/// What a certificate is on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Issued, not revoked, not expired.
    Valid,
    /// Past its expiry date.
    Expired,
    /// Withdrawn by an administrator.
    Revoked,
}

impl CertificateStatus {
    /// The status on `date`. A certificate stops being valid on its `expires_on` date; a revoked
    /// certificate is never valid again, whatever the date asked about.
    pub fn on(date: NaiveDate, expires_on: Option<NaiveDate>, revoked: bool) -> Self {
        if revoked {
            CertificateStatus::Revoked
        } else if expires_on.is_some_and(|expiry| date >= expiry) {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        }
    }

    /// The wire form: `valid`, `expired`, `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Expired => "expired",
            CertificateStatus::Revoked => "revoked",
        }
    }
}

/// The expiry date of a certificate issued on `issued_on`, or `None` when it does not expire.
pub fn expiry_after(issued_on: NaiveDate, validity_months: Option<u32>) -> Option<NaiveDate> {
    let months = validity_months?;
    issued_on.checked_add_months(Months::new(months))
}

/// The new expiry when a certificate is renewed on `today`: a renewal before expiry continues
/// the cycle from the old expiry date; a late renewal starts a new cycle from today.
pub fn renewed_expiry(current_expiry: NaiveDate, today: NaiveDate, validity_months: u32) -> NaiveDate {
    let from = current_expiry.max(today);
    from.checked_add_months(Months::new(validity_months))
        .unwrap_or(NaiveDate::MAX)
}

/// A minimum number of continuing development hours in one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryMinimum {
    /// The category, e.g. `ethics`.
    pub category: String,
    /// Whole hours needed in it.
    pub hours: u32,
}

/// How a certificate is renewed: hours of continuing development within a period before expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalRule {
    /// How far back from the expiry date development hours count, in months.
    pub period_months: u32,
    /// Whole hours needed in all.
    pub min_hours: u32,
    /// Minimums per category, within the total.
    #[serde(default)]
    pub categories: Vec<CategoryMinimum>,
}

/// One piece of continuing professional development a peer worker logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpdEntry {
    /// When it was completed.
    pub completed_on: NaiveDate,
    /// How long it took.
    pub minutes: u32,
    /// Its category, e.g. `ethics`.
    pub category: String,
}

impl RenewalRule {
    /// Checks that the categories fit inside the total.
    pub fn check(&self) -> Result<(), String> {
        if self.period_months == 0 {
            return Err("a renewal period of 0 months counts nothing".into());
        }
        let by_category: u32 = self.categories.iter().map(|c| c.hours).sum();
        if by_category > self.min_hours {
            return Err(format!(
                "the category minimums add up to {by_category} hours, more than the {} hours asked for in all",
                self.min_hours
            ));
        }
        Ok(())
    }

    /// The first day whose development counts towards renewing a certificate expiring on `expires_on`.
    pub fn window_start(&self, expires_on: NaiveDate) -> NaiveDate {
        expires_on
            .checked_sub_months(Months::new(self.period_months))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Evaluates logged development for renewing a certificate that expires on `expires_on`,
    /// counting entries from `window_start(expires_on)` up to and including `today`.
    pub fn evaluate(
        &self,
        entries: &[CpdEntry],
        expires_on: NaiveDate,
        today: NaiveDate,
    ) -> Vec<Requirement> {
        let start = self.window_start(expires_on);
        let counted: Vec<&CpdEntry> = entries
            .iter()
            .filter(|e| e.completed_on >= start && e.completed_on <= today)
            .collect();
        let total: u64 = counted.iter().map(|e| u64::from(e.minutes)).sum();
        let mut requirements = vec![hours_requirement(
            RequirementKind::CpdHours,
            "continuing development",
            self.min_hours,
            total,
        )];
        for minimum in &self.categories {
            let minutes = counted
                .iter()
                .filter(|e| e.category.eq_ignore_ascii_case(&minimum.category))
                .map(|e| u64::from(e.minutes))
                .sum();
            let what = format!("continuing development in {}", minimum.category);
            requirements.push(hours_requirement(
                RequirementKind::CpdHoursInCategory(minimum.category.clone()),
                &what,
                minimum.hours,
                minutes,
            ));
        }
        requirements
    }
}

/// A certificate's number: the programme's code, the year of issue and the place in that
/// year's sequence, e.g. `P2P-2027-000042`.
pub fn certificate_number(programme_code: &str, year: i32, sequence: i32) -> String {
    format!("{programme_code}-{year}-{sequence:06}")
}

/// The public verification address of a certificate: the page its QR code opens.
pub fn verification_url(public_url: &str, code: &str) -> String {
    format!("{}/verify/{code}", public_url.trim_end_matches('/'))
}
