//! Request bodies: read with serde, tracking the path to every value, so a body that does not
//! fit is refused (400) with the field at fault named by its full path (`records[1].status`)
//! and a plain reason. This is the one place where field names for unreadable input are made.
//!
//! A body type derives poem-openapi's `Object` (its description in the OpenAPI document) and
//! serde's `Deserialize` (how it is read), with `deny_unknown_fields` on both; the test
//! `every_body_reads_what_its_description_says` in `tests/` keeps the two in step.

use poem::error::ResponseError;
use poem::http::StatusCode;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde::de::DeserializeOwned;

use crate::problem::{FieldError, Problem};

/// What a field the request does not have is told.
pub const NOT_A_FIELD: &str = "is not a field of this request; remove it";

/// A JSON request body of type `T`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

/// A body that could not be read, with the problem to answer.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.detail)]
pub struct UnreadableBody(pub Problem);

impl ResponseError for UnreadableBody {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        is_json_media_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned + Send> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = <Vec<u8> as FromRequest>::from_request(request, body).await?;
        read(&bytes).map(JsonBody).map_err(|p| UnreadableBody(p).into())
    }
}

impl<'a, T: Type + DeserializeOwned + Send> ApiExtractor<'a> for JsonBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if is_json_media_type(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            _ => Err(poem::Error::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)),
        }
    }
}

/// Whether a `Content-Type` names JSON (`application/json`, or `application/...+json`).
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads `bytes` as a `T`, or the problem naming what does not fit.
pub fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "The request body is empty; send a JSON object.",
        ));
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        // serde would read a struct from a JSON array too; every body here is an object.
        return Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(_) => Problem::new(StatusCode::BAD_REQUEST, "The request body must be a JSON object."),
            Err(error) => Problem::new(
                StatusCode::BAD_REQUEST,
                format!("The request body is not valid JSON: {error}."),
            ),
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => {
            return match deserializer.end() {
                Ok(()) => Ok(value),
                Err(trailing) => Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    format!("The request body is not valid JSON: {trailing}."),
                )),
            }
        }
        Err(error) => error,
    };
    let inner = error.inner();
    let path = error.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let (field, message) = if inner.is_data() {
        plain(&path, &message_of(inner))
    } else if serde_json::from_slice::<serde_json::Value>(bytes).is_ok() {
        // Well-formed JSON that serde_json calls a syntax error: a number or a list where a
        // choice (an enum) belongs.
        (path, "is not one of the values this field takes".to_string())
    } else {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("The request body is not valid JSON: {inner}."),
        ));
    };
    if field.is_empty() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("The request body {message}."),
        ));
    }
    Err(Problem::invalid(
        StatusCode::BAD_REQUEST,
        vec![FieldError { field, message }],
    ))
}

/// serde_json's message without its " at line L column C".
fn message_of(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

/// `path` joined with a field name, as the contract writes paths.
fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The text between the first pair of backticks.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = message[start..].find('`')? + start;
    Some(&message[start..end])
}

/// The field at fault and what to do about it, in plain words, from serde's message.
fn plain(path: &str, message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = quoted(rest).unwrap_or(rest);
        return (join(path, name), "is required".into());
    }
    if message.starts_with("unknown field ") {
        let name = quoted(message).unwrap_or_default();
        // serde_path_to_error's path already ends at the unknown field.
        let field = if path.rsplit('.').next() == Some(name) {
            path.to_string()
        } else {
            join(path, name)
        };
        return (field, NOT_A_FIELD.into());
    }
    if message.starts_with("unknown variant ") {
        let choices = message
            .split_once("expected one of ")
            .map(|(_, list)| list.replace('`', ""))
            .or_else(|| {
                message
                    .split_once("expected ")
                    .map(|(_, one)| one.replace('`', ""))
            })
            .unwrap_or_default();
        return (path.to_string(), format!("must be one of {choices}"));
    }
    if let Some(expected) = message.split_once(", expected ").map(|(_, e)| e) {
        if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
            return (path.to_string(), expectation(expected));
        }
    }
    (path.to_string(), message.to_string())
}

/// "must be text" for serde's "a string", and the like.
fn expectation(expected: &str) -> String {
    match expected {
        "text" | "a string" | "string" => "must be text".into(),
        "a boolean" => "must be true or false".into(),
        "a sequence" => "must be a list".into(),
        "f64" | "f32" => "must be a number".into(),
        e if e.starts_with('i') || e.starts_with('u') => "must be a whole number".into(),
        e if e.starts_with("struct ") || e == "a map" => "must be a JSON object".into(),
        e if e.starts_with("one of ") => format!("must be {e}"),
        e => format!("must be {e}"),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::types::{Date, Text};

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mark {
        Present,
        Late,
        Absent,
        Excused,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Row {
        person_id: Text<1, 64>,
        status: Mark,
        note: Option<Text<0, 500>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sheet {
        records: Vec<Row>,
        on: Option<Date>,
        count: Option<i32>,
        flag: Option<bool>,
    }

    fn refusal(json: &str) -> (String, String) {
        let problem = read::<Sheet>(json.as_bytes()).unwrap_err();
        match problem.errors {
            Some(errors) => (errors[0].field.clone(), errors[0].message.clone()),
            None => (String::new(), problem.detail),
        }
    }

    fn fault(field: &str, message: &str) -> (String, String) {
        (field.to_string(), message.to_string())
    }

    #[test]
    fn each_fault_is_named_by_its_full_path_in_plain_words() {
        let row =
            |r: &str| format!("{{\"records\": [{{\"person_id\": \"p1\", \"status\": \"late\"}}, {r}]}}");
        assert_eq!(
            refusal(&row(r#"{"person_id": "p2", "status": "sleeping"}"#)),
            fault(
                "records[1].status",
                "must be one of present, late, absent, excused"
            )
        );
        assert_eq!(
            refusal(&row(r#"{"person_id": "p2", "status": 5}"#)),
            fault("records[1].status", "is not one of the values this field takes")
        );
        assert_eq!(
            refusal(&row(r#"{"person_id": 7, "status": "late"}"#)),
            fault("records[1].person_id", "must be text")
        );
        assert_eq!(
            refusal(&row(r#"{"person_id": "", "status": "late"}"#)),
            fault("records[1].person_id", "must be at least 1 character(s) long")
        );
        assert_eq!(
            refusal(&row(r#"{"status": "late"}"#)),
            fault("records[1].person_id", "is required")
        );
        assert_eq!(
            refusal(&row(r#"{"person_id": "p2", "status": "late", "mood": "fine"}"#)),
            fault("records[1].mood", NOT_A_FIELD)
        );
        assert_eq!(
            refusal(r#"{"records": [], "colour": 1}"#),
            fault("colour", NOT_A_FIELD)
        );
        assert_eq!(refusal(r#"{}"#), fault("records", "is required"));
        assert_eq!(refusal(r#"{"records": {}}"#), fault("records", "must be a list"));
        assert_eq!(
            refusal(r#"{"records": [], "on": "yesterday"}"#),
            fault("on", "must be a date like 2027-03-01")
        );
        assert_eq!(
            refusal(r#"{"records": [], "count": 1.5}"#),
            fault("count", "must be a whole number")
        );
        assert_eq!(
            refusal(r#"{"records": [], "flag": "yes"}"#),
            fault("flag", "must be true or false")
        );
        assert_eq!(
            refusal(r#"{"records": [], "count": 99999999999}"#),
            fault("count", "must be a whole number")
        );
    }

    #[test]
    fn bodies_that_cannot_be_read_as_a_whole_say_so() {
        assert!(refusal("").1.contains("empty"));
        assert!(refusal("{\"records\": ").1.contains("not valid JSON"));
        assert!(refusal("{\"records\": []} {}").1.contains("not valid JSON"));
        assert_eq!(refusal("[\"Penumbra\"]").0, "");
        assert!(
            refusal("[\"Penumbra\"]").1.contains("must be a JSON object"),
            "{:?}",
            refusal("[1]")
        );
    }

    #[test]
    fn json_media_types_are_recognised() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
    }
}
