//! What a signed credential says about one certificate: an Open Badges 3.0
//! `OpenBadgeCredential`.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::status_list::StatusEntry;
use super::{hex, OB3_CONTEXTS};

/// The JSON Schema of an Open Badges 3.0 `AchievementCredential`, which every credential names.
pub const ACHIEVEMENT_CREDENTIAL_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

/// What a signed credential says about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeFacts {
    /// The certificate's id (a UUID).
    pub certificate_id: String,
    /// The certificate number printed on it.
    pub number: String,
    /// The holder's person id; published only as a salted hash.
    pub holder_id: String,
    /// The holder's name; `None` once their details were erased.
    pub holder_name: Option<String>,
    /// The programme's code, e.g. `P2P`.
    pub programme_code: String,
    /// The programme's title.
    pub programme_title: String,
    /// What the programme is.
    pub programme_description: String,
    /// Who awards the certificate.
    pub awarding_body: String,
    /// What the holder did to earn it, in plain words.
    pub criteria: String,
    /// The programme's modules as (code, title), in teaching order.
    pub modules: Vec<(String, String)>,
    /// Credit points, for accredited awards.
    pub credits: Option<u32>,
    /// Award level (SCQF level, for example).
    pub level: Option<u32>,
    /// The organisation that delivered the programme and issues the credential.
    pub issuer_name: String,
    /// Peertrack's public base URL, e.g. `https://peertrack.example.org`.
    pub public_url: String,
    /// Where anyone can check the certificate.
    pub verification_url: String,
    /// The day the certificate was issued.
    pub issued_on: NaiveDate,
    /// The day it stops being valid, if it expires.
    pub expires_on: Option<NaiveDate>,
    /// When the holder's learning began.
    pub activity_start: Option<NaiveDate>,
    /// When the holder's learning ended.
    pub activity_end: Option<NaiveDate>,
    /// Where the certificate's revocation bit is published.
    pub status: Option<StatusEntry>,
    /// When it was revoked, if it was: the credential stops being valid then.
    pub revoked_at: Option<DateTime<Utc>>,
    /// How many times the certificate was renewed (or reissued): each edition is a new
    /// credential with its own id.
    pub edition: u32,
}

impl BadgeFacts {
    fn base_url(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// The issuer's id: Peertrack's public URL, where `/.well-known/jwks.json` holds the keys.
    pub(super) fn issuer_id(&self) -> String {
        self.base_url().to_string()
    }

    pub(super) fn credential_id(&self) -> String {
        match uuid::Uuid::parse_str(&self.certificate_id) {
            // The first edition keeps the certificate's id, as credentials always had.
            Ok(id) if self.edition == 0 => format!("urn:uuid:{id}"),
            Ok(_) => {
                let digest = Sha256::digest(format!(
                    "peertrack-credential:{}:{}",
                    self.certificate_id, self.edition
                ));
                let bytes: [u8; 16] = digest[..16].try_into().expect("16 bytes");
                format!("urn:uuid:{}", uuid::Builder::from_custom_bytes(bytes).into_uuid())
            }
            Err(_) => format!(
                "{}/v1/certificates/{}",
                self.base_url(),
                path_segment(&self.certificate_id)
            ),
        }
    }

    fn achievement_id(&self) -> String {
        format!(
            "{}/v1/programmes/{}",
            self.base_url(),
            path_segment(&self.programme_code)
        )
    }

    /// A salt per certificate, so the same person's credentials do not share a hash.
    fn identity_salt(&self) -> String {
        let digest = Sha256::digest(format!("peertrack-identity-salt:{}", self.certificate_id));
        hex(&digest[..16])
    }

    /// A pseudonymous subject id, different for every certificate: `sub` must be a URI equal
    /// to `credentialSubject.id`, and the person id itself is not published.
    /// When the credential stops being valid: expiry or revocation, whichever comes first.
    pub(super) fn valid_until(&self) -> Option<DateTime<Utc>> {
        let expiry = self.expires_on.map(midnight_utc);
        match (expiry, self.revoked_at) {
            (Some(e), Some(r)) => Some(e.min(r)),
            (e, r) => e.or(r),
        }
    }

    pub(super) fn subject_id(&self) -> String {
        let digest = Sha256::digest(format!(
            "peertrack-subject:{}:{}",
            self.certificate_id, self.holder_id
        ));
        let bytes: [u8; 16] = digest[..16].try_into().expect("16 bytes");
        format!("urn:uuid:{}", uuid::Builder::from_custom_bytes(bytes).into_uuid())
    }
}

/// The OB 3.0 `identityHash` of an identifier with a salt: `sha256$` and the hex digest of
/// the identifier followed by the salt.
pub fn identity_hash(identifier: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("{identifier}{salt}"));
    format!("sha256${}", hex(&digest))
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one URL path segment.
fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub(super) fn midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

fn date_time(date: NaiveDate) -> String {
    midnight_utc(date).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The certificate as an Open Badges 3.0 `OpenBadgeCredential` (unsigned), with its
/// `credentialStatus` (where its revocation bit is), the `credentialSchema` it follows, and
/// `validUntil` when it expires or was revoked.
pub fn open_badge_credential(facts: &BadgeFacts) -> Value {
    let base = facts.base_url();

    let mut identifiers = vec![json!({
        "type": "IdentityObject",
        "identityType": "identifier",
        "hashed": true,
        "identityHash": identity_hash(&facts.holder_id, &facts.identity_salt()),
        "salt": facts.identity_salt(),
    })];
    if let Some(name) = &facts.holder_name {
        identifiers.push(json!({
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": false,
            "identityHash": name,
        }));
    }

    let mut description = facts.programme_description.trim().to_string();
    if let Some(level) = facts.level {
        // OB 3.0 has no level field; an `alignment` would need the framework's URL.
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(&format!("Awarded at level {level}."));
    }
    let mut achievement = Map::new();
    achievement.insert("id".into(), json!(facts.achievement_id()));
    achievement.insert("type".into(), json!(["Achievement"]));
    achievement.insert("achievementType".into(), json!("Certificate"));
    achievement.insert("name".into(), json!(facts.programme_title));
    achievement.insert("description".into(), json!(description));
    achievement.insert("criteria".into(), json!({ "narrative": facts.criteria }));
    achievement.insert("humanCode".into(), json!(facts.programme_code));
    if let Some(credits) = facts.credits {
        achievement.insert("creditsAvailable".into(), json!(credits));
    }
    if !facts.modules.is_empty() {
        let titles: Vec<&str> = facts.modules.iter().map(|(_, t)| t.as_str()).collect();
        achievement.insert("tag".into(), json!(titles));
    }
    achievement.insert(
        "creator".into(),
        json!({
            "id": format!("{}#awarding-body", facts.achievement_id()),
            "type": ["Profile"],
            "name": facts.awarding_body,
        }),
    );

    let mut subject = Map::new();
    subject.insert("id".into(), json!(facts.subject_id()));
    subject.insert("type".into(), json!(["AchievementSubject"]));
    subject.insert("identifier".into(), json!(identifiers));
    if let Some(start) = facts.activity_start {
        subject.insert("activityStartDate".into(), json!(date_time(start)));
    }
    if let Some(end) = facts.activity_end {
        subject.insert("activityEndDate".into(), json!(date_time(end)));
    }
    if let Some(credits) = facts.credits {
        subject.insert("creditsEarned".into(), json!(credits));
    }
    subject.insert("achievement".into(), Value::Object(achievement));

    let mut credential = Map::new();
    credential.insert("@context".into(), json!(OB3_CONTEXTS));
    credential.insert("id".into(), json!(facts.credential_id()));
    credential.insert(
        "type".into(),
        json!(["VerifiableCredential", "OpenBadgeCredential"]),
    );
    credential.insert(
        "issuer".into(),
        json!({
            "id": facts.issuer_id(),
            "type": ["Profile"],
            "name": facts.issuer_name,
            "url": base,
        }),
    );
    credential.insert("validFrom".into(), json!(date_time(facts.issued_on)));
    if let Some(until) = facts.valid_until() {
        credential.insert(
            "validUntil".into(),
            json!(until.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
    }
    credential.insert("awardedDate".into(), json!(date_time(facts.issued_on)));
    credential.insert("name".into(), json!(facts.programme_title));
    credential.insert(
        "description".into(),
        json!(format!(
            "Certificate {}. Check that it is still valid at {}",
            facts.number, facts.verification_url
        )),
    );
    credential.insert("credentialSubject".into(), Value::Object(subject));
    if let Some(status) = &facts.status {
        credential.insert("credentialStatus".into(), status.credential_status());
    }
    credential.insert(
        "credentialSchema".into(),
        json!([{
            "id": ACHIEVEMENT_CREDENTIAL_SCHEMA,
            "type": "1EdTechJsonSchemaValidator2019",
        }]),
    );
    Value::Object(credential)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::fixtures::*;

    #[test]
    fn the_payload_is_an_open_badges_3_credential() {
        let (_temp, keys) = ring();
        let claims = payload(&sign(&keys, &pda()));
        // OB 3.0 §8.2.4.1: the payload is the credential, registered claims beside it.
        assert!(claims.get("vc").is_none(), "no vc wrapper: {claims}");
        let mut vc = claims.clone();
        for claim in ["iss", "jti", "sub", "nbf", "iat", "exp"] {
            vc.as_object_mut().unwrap().remove(claim);
        }
        assert_eq!(
            vc["@context"],
            json!([
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
            ])
        );
        assert_eq!(vc["type"], json!(["VerifiableCredential", "OpenBadgeCredential"]));
        assert_eq!(vc["issuer"]["type"], json!(["Profile"]));
        assert_eq!(vc["issuer"]["name"], "Dundee Recovery College");
        assert_eq!(vc["issuer"]["id"], "https://peertrack.example.org");
        assert_eq!(vc["validFrom"], "2025-06-20T00:00:00Z");
        let subject = &vc["credentialSubject"];
        let types: Vec<&str> = subject["type"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(types.contains(&"AchievementSubject"));
        assert_eq!(subject["activityStartDate"], "2025-01-13T00:00:00Z");
        assert_eq!(subject["activityEndDate"], "2025-06-06T00:00:00Z");
        let achievement = &subject["achievement"];
        assert_eq!(achievement["type"], json!(["Achievement"]));
        assert_eq!(achievement["achievementType"], "Certificate");
        assert_eq!(achievement["name"], "PDA in Mental Health Peer Support");
        assert_eq!(achievement["humanCode"], "PDA-MHPS");
        assert_eq!(
            achievement["id"],
            "https://peertrack.example.org/v1/programmes/PDA-MHPS"
        );
        assert!(achievement["criteria"]["narrative"]
            .as_str()
            .unwrap()
            .contains("Developing Practice"));
        assert_eq!(
            achievement["tag"],
            json!(["Recovery Context", "Developing Practice"])
        );
        assert_eq!(achievement["creator"]["name"], "SQA");
        assert!(vc["description"].as_str().unwrap().contains("PDA-2025-0007"));
        // The signed credential is exactly the unsigned one.
        assert_eq!(vc, open_badge_credential(&pda()));
    }

    #[test]
    fn credits_appear_only_for_accredited_awards() {
        let pda = open_badge_credential(&pda());
        assert_eq!(pda["credentialSubject"]["achievement"]["creditsAvailable"], 16);
        assert_eq!(pda["credentialSubject"]["creditsEarned"], 16);

        let p2p = open_badge_credential(&p2p());
        let subject = &p2p["credentialSubject"];
        assert!(subject.get("creditsEarned").is_none());
        assert!(subject["achievement"].get("creditsAvailable").is_none());
        assert_eq!(
            subject["achievement"]["tag"],
            json!(["Introducing Peer Support", "The Peer Support Relationship"])
        );
    }

    #[test]
    fn valid_until_and_exp_appear_only_when_the_certificate_expires() {
        let (_temp, keys) = ring();
        let lasting = payload(&sign(&keys, &p2p()));
        assert!(lasting.get("validUntil").is_none());
        assert!(lasting.get("exp").is_none());

        let expiring = BadgeFacts {
            expires_on: Some(date("2027-06-20")),
            ..p2p()
        };
        let claims = payload(&sign(&keys, &expiring));
        assert_eq!(claims["validUntil"], "2027-06-20T00:00:00Z");
        assert_eq!(claims["exp"], midnight_utc(date("2027-06-20")).timestamp());
    }

    #[test]
    fn the_holder_is_named_until_erased_and_then_nowhere() {
        let (_temp, keys) = ring();
        let named = payload(&sign(&keys, &pda()));
        let identifiers = named["credentialSubject"]["identifier"].as_array().unwrap();
        assert!(identifiers.iter().any(|i| i["identityType"] == "name"
            && i["hashed"] == false
            && i["identityHash"] == "Morag Fictional"));

        let erased = BadgeFacts {
            holder_name: None,
            ..pda()
        };
        let claims = payload(&sign(&keys, &erased));
        let text = claims.to_string();
        assert!(!text.contains("Morag"), "{text}");
        assert!(!text.contains("Fictional"), "{text}");
        assert!(!text.contains("\"identityType\":\"name\""), "{text}");
        // Nor does the person id appear in the clear.
        assert!(!text.contains(&erased.holder_id), "{text}");
        // The certificate itself is still there to verify.
        assert_eq!(
            claims["credentialSubject"]["achievement"]["name"],
            "PDA in Mental Health Peer Support"
        );
    }

    #[test]
    fn someone_who_knows_the_person_id_can_match_the_hashed_identifier() {
        let vc = open_badge_credential(&pda());
        let identifier = vc["credentialSubject"]["identifier"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["hashed"] == true)
            .unwrap()
            .clone();
        assert_eq!(identifier["type"], "IdentityObject");
        assert_eq!(identifier["identityType"], "identifier");
        let salt = identifier["salt"].as_str().unwrap();
        let expected = format!(
            "sha256${}",
            hex(&Sha256::digest(format!("{}{salt}", pda().holder_id)))
        );
        assert_eq!(identifier["identityHash"], expected);
        assert_ne!(identifier["identityHash"], identity_hash("someone-else", salt));
        // Another certificate of the same person carries a different hash and subject id, so
        // credentials cannot be linked to each other without the person id.
        let other = open_badge_credential(&BadgeFacts {
            certificate_id: "11111111-2222-4333-8444-555555555555".into(),
            ..pda()
        });
        let other_hash = &other["credentialSubject"]["identifier"][0]["identityHash"];
        assert_ne!(other_hash, &identifier["identityHash"]);
        assert_ne!(other["credentialSubject"]["id"], vc["credentialSubject"]["id"]);
    }

    #[test]
    fn the_credential_names_its_schema_and_its_status_entry() {
        let vc = open_badge_credential(&pda());
        assert_eq!(
            vc["credentialSchema"],
            json!([{
                "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": "1EdTechJsonSchemaValidator2019",
            }])
        );
        let status = &vc["credentialStatus"];
        assert_eq!(status["type"], "BitstringStatusListEntry");
        assert_eq!(status["statusPurpose"], "revocation");
        assert_eq!(status["statusListIndex"], "4242");
        assert_eq!(
            status["statusListCredential"],
            "https://peertrack.example.org/v1/credentials/status/1"
        );
    }

    #[test]
    fn a_revoked_certificate_is_valid_until_its_revocation() {
        let revoked_at = "2026-01-05T10:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let revoked = BadgeFacts {
            revoked_at: Some(revoked_at),
            ..pda()
        };
        assert_eq!(
            open_badge_credential(&revoked)["validUntil"],
            "2026-01-05T10:30:00Z"
        );
        // Expiry first: the earlier of the two.
        let expired_first = BadgeFacts {
            expires_on: Some(date("2025-12-31")),
            ..revoked
        };
        assert_eq!(
            open_badge_credential(&expired_first)["validUntil"],
            "2025-12-31T00:00:00Z"
        );
    }

    #[test]
    fn each_edition_is_a_new_credential_of_the_same_certificate() {
        let first = open_badge_credential(&pda());
        let renewed = open_badge_credential(&BadgeFacts { edition: 1, ..pda() });
        let again = open_badge_credential(&BadgeFacts { edition: 2, ..pda() });
        assert_eq!(first["id"], "urn:uuid:0b6f1c9e-5a0d-4e53-9a38-2f1d6c3e7a10");
        assert_ne!(renewed["id"], first["id"]);
        assert_ne!(again["id"], renewed["id"]);
        assert!(renewed["id"].as_str().unwrap().starts_with("urn:uuid:"));
        assert_eq!(
            renewed["credentialSubject"]["id"],
            first["credentialSubject"]["id"]
        );
    }
}
