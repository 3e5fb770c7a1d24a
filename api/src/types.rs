//! Wire types: what a request may carry, each described once for the OpenAPI document
//! (poem-openapi's `Type`) and read once, strictly, by serde, with a plain message when a value
//! does not fit (see [`crate::body`]). poem-openapi's own `String` accepts `5` or `true` as
//! text, and its `NaiveDate` is described as `naive-date`; these are not.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type};
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

/// Text between `MIN` and `MAX` characters long (by default, any length). It never holds a
/// NUL character: PostgreSQL can neither store nor compare one, so it is refused as unreadable
/// input (400) rather than failing in the database (500). Also the type of path and query
/// parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Text<const MIN: usize = 0, const MAX: usize = { usize::MAX }>(pub String);

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    /// The text, trimmed.
    pub fn trimmed(&self) -> &str {
        self.0.trim()
    }

    /// The text, trimmed, as an owned string.
    pub fn into_trimmed(self) -> String {
        let trimmed = self.0.trim();
        if trimmed.len() == self.0.len() {
            self.0
        } else {
            trimmed.to_string()
        }
    }

    /// Why `text` does not fit, in plain words.
    fn fault(text: &str) -> Option<String> {
        if text.contains('\0') {
            return Some("must not contain a NUL character".into());
        }
        let length = text.chars().count();
        if length < MIN {
            return Some(format!("must be at least {MIN} character(s) long"));
        }
        if length > MAX {
            return Some(format!("must be at most {MAX} characters long"));
        }
        None
    }

    fn checked(text: String) -> Result<Self, String> {
        match Self::fault(&text) {
            Some(fault) => Err(fault),
            None => Ok(Text(text)),
        }
    }
}

impl<const MIN: usize, const MAX: usize> std::ops::Deref for Text<MIN, MAX> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MIN: usize, const MAX: usize> From<Text<MIN, MAX>> for String {
    fn from(text: Text<MIN, MAX>) -> Self {
        text.0
    }
}

impl<const MIN: usize, const MAX: usize> AsRef<str> for Text<MIN, MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(text.to_string())
    }
}

impl<const MIN: usize, const MAX: usize> Type for Text<MIN, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        match (MIN, MAX) {
            (0, usize::MAX) => "string".into(),
            _ => format!("string({MIN}..={MAX})").into(),
        }
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            min_length: (MIN > 0).then_some(MIN),
            max_length: (MAX < usize::MAX).then_some(MAX),
            ..MetaSchema::new("string")
        }))
    }

    fn register(_registry: &mut Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const MIN: usize, const MAX: usize> ParseFromJSON for Text<MIN, MAX> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Self::checked(text).map_err(ParseError::custom),
            Some(other) => Err(ParseError::expected_type(other)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl<const MIN: usize, const MAX: usize> ParseFromParameter for Text<MIN, MAX> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::checked(value.to_string()).map_err(ParseError::custom)
    }
}

impl<const MIN: usize, const MAX: usize> ToJSON for Text<MIN, MAX> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

impl<'de, const MIN: usize, const MAX: usize> serde::Deserialize<'de> for Text<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<const MIN: usize, const MAX: usize>;

        impl<const MIN: usize, const MAX: usize> Visitor<'_> for TextVisitor<MIN, MAX> {
            type Value = Text<MIN, MAX>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("text")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Text::checked(text.to_string()).map_err(E::custom)
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Text::checked(text).map_err(E::custom)
            }
        }

        deserializer.deserialize_string(TextVisitor::<MIN, MAX>)
    }
}

/// A calendar date, `2027-03-01`: described as `format: date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

/// What a date must look like, in the words every refusal uses.
pub const DATE_LIKE: &str = "must be a date like 2027-03-01";
/// What a date and time must look like.
pub const DATE_TIME_LIKE: &str = "must be a date and time like 2027-03-01T10:00:00Z";

impl Date {
    fn parse(text: &str) -> Result<Self, &'static str> {
        text.parse::<NaiveDate>().map(Date).map_err(|_| DATE_LIKE)
    }
}

impl Type for Date {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string(date)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date")))
    }

    fn register(_registry: &mut Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Date {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Date::parse(&text).map_err(ParseError::custom),
            Some(other) => Err(ParseError::expected_type(other)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl ParseFromParameter for Date {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Date::parse(value).map_err(ParseError::custom)
    }
}

impl ToJSON for Date {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_string()))
    }
}

/// `like` for a value that is not text; serde's own error for a field that is not there at all
/// (so that the body reader names the missing field).
fn kept_if_missing<E: de::Error>(error: E, like: &str) -> E {
    if error.to_string().starts_with("missing field") {
        error
    } else {
        E::custom(like)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer).map_err(|e| kept_if_missing(e, DATE_LIKE))?;
        Date::parse(&text).map_err(de::Error::custom)
    }
}

/// An instant, RFC 3339 (`2027-03-01T10:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Instant(pub DateTime<Utc>);

impl Instant {
    fn parse(text: &str) -> Result<Self, &'static str> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| Instant(at.with_timezone(&Utc)))
            .map_err(|_| DATE_TIME_LIKE)
    }
}

impl Type for Instant {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string(date-time)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn register(_registry: &mut Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Instant {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Instant::parse(&text).map_err(ParseError::custom),
            Some(other) => Err(ParseError::expected_type(other)),
            None => Err(ParseError::expected_input()),
        }
    }
}

impl ToJSON for Instant {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_rfc3339()))
    }
}

impl<'de> serde::Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer).map_err(|e| kept_if_missing(e, DATE_TIME_LIKE))?;
        Instant::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_for_length_and_nul() {
        let read = |json: &str| serde_json::from_str::<Text<1, 5>>(json).map_err(|e| e.to_string());
        assert_eq!(read("\"Ada\"").unwrap().0, "Ada");
        assert!(read("\"\"")
            .unwrap_err()
            .starts_with("must be at least 1 character(s) long"));
        assert!(read("\"Adelaide\"")
            .unwrap_err()
            .starts_with("must be at most 5 characters long"));
        assert!(read("\"A\\u0000\"")
            .unwrap_err()
            .starts_with("must not contain a NUL character"));
        assert!(read("5").unwrap_err().contains("expected text"));
        // Characters, not bytes.
        assert_eq!(read("\"Żółć\"").unwrap().0, "Żółć");
    }

    #[test]
    fn dates_and_instants_say_what_they_look_like() {
        assert!(serde_json::from_str::<Date>("\"yesterday\"")
            .unwrap_err()
            .to_string()
            .starts_with(DATE_LIKE));
        assert!(serde_json::from_str::<Date>("7")
            .unwrap_err()
            .to_string()
            .starts_with(DATE_LIKE));
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Ends {
            ended_on: Date,
        }
        assert!(serde_json::from_str::<Ends>("{}")
            .unwrap_err()
            .to_string()
            .starts_with("missing field `ended_on`"));
        assert_eq!(
            serde_json::from_str::<Date>("\"2027-03-01\"").unwrap().0,
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
        );
        assert!(serde_json::from_str::<Instant>("\"Tuesday at ten\"")
            .unwrap_err()
            .to_string()
            .starts_with(DATE_TIME_LIKE));
        assert_eq!(
            serde_json::from_str::<Instant>("\"2027-03-01T11:00:00+01:00\"")
                .unwrap()
                .0
                .to_rfc3339(),
            "2027-03-01T10:00:00+00:00"
        );
    }
}

/// A list of at most `MAX` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items<T, const MAX: usize>(pub Vec<T>);

impl<T, const MAX: usize> IntoIterator for Items<T, MAX> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T: Type, const MAX: usize> Type for Items<T, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = T::RawValueType;

    fn name() -> Cow<'static, str> {
        format!("[{}; ..={MAX}]", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            items: Some(Box::new(T::schema_ref())),
            max_items: Some(MAX),
            ..MetaSchema::new("array")
        }))
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.0.iter().filter_map(|item| item.as_raw_value()))
    }
}

impl<T: ParseFromJSON, const MAX: usize> ParseFromJSON for Items<T, MAX> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let items = Vec::<T>::parse_from_json(value).map_err(ParseError::propagate)?;
        if items.len() > MAX {
            return Err(ParseError::custom(format!("must have at most {MAX} items")));
        }
        Ok(Items(items))
    }
}

impl<T: ToJSON, const MAX: usize> ToJSON for Items<T, MAX> {
    fn to_json(&self) -> Option<Value> {
        self.0.to_json()
    }
}

impl<'de, T: serde::Deserialize<'de>, const MAX: usize> serde::Deserialize<'de> for Items<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(deserializer)?;
        if items.len() > MAX {
            return Err(de::Error::custom(format!("must have at most {MAX} items")));
        }
        Ok(Items(items))
    }
}

/// A whole number from `MIN` to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Whole<const MIN: i64, const MAX: i64>(pub i64);

impl<const MIN: i64, const MAX: i64> Whole<MIN, MAX> {
    fn fault() -> String {
        format!("must be a whole number from {MIN} to {MAX}")
    }

    fn checked(number: i64) -> Result<Self, String> {
        if (MIN..=MAX).contains(&number) {
            Ok(Whole(number))
        } else {
            Err(Self::fault())
        }
    }
}

impl<const MIN: i64, const MAX: i64> Type for Whole<MIN, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        format!("integer({MIN}..={MAX})").into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(MIN as f64),
            maximum: Some(MAX as f64),
            ..MetaSchema::new_with_format("integer", "int64")
        }))
    }

    fn register(_registry: &mut Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const MIN: i64, const MAX: i64> ParseFromJSON for Whole<MIN, MAX> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.as_ref().and_then(Value::as_i64) {
            Some(number) => Self::checked(number).map_err(ParseError::custom),
            None => Err(ParseError::custom(Self::fault())),
        }
    }
}

impl<const MIN: i64, const MAX: i64> ParseFromParameter for Whole<MIN, MAX> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        let number = value
            .trim()
            .parse::<i64>()
            .map_err(|_| ParseError::custom(Self::fault()))?;
        Self::checked(number).map_err(ParseError::custom)
    }
}

impl<const MIN: i64, const MAX: i64> ToJSON for Whole<MIN, MAX> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

impl<'de, const MIN: i64, const MAX: i64> serde::Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number =
            serde_json::Number::deserialize(deserializer).map_err(|_| de::Error::custom(Self::fault()))?;
        let whole = number.as_i64().ok_or_else(|| de::Error::custom(Self::fault()))?;
        Self::checked(whole).map_err(de::Error::custom)
    }
}

/// Hours, from a quarter of an hour to 100 (for example `1.5`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Hours(pub f64);

const HOURS_FAULT: &str = "must be a number of hours from 0.25 to 100";

impl Hours {
    fn checked(hours: f64) -> Result<Self, &'static str> {
        if (0.25..=100.0).contains(&hours) {
            Ok(Hours(hours))
        } else {
            Err(HOURS_FAULT)
        }
    }
}

impl Type for Hours {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "number(hours)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(0.25),
            maximum: Some(100.0),
            ..MetaSchema::new_with_format("number", "double")
        }))
    }

    fn register(_registry: &mut Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Hours {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.as_ref().and_then(Value::as_f64) {
            Some(hours) => Hours::checked(hours).map_err(ParseError::custom),
            None => Err(ParseError::custom(HOURS_FAULT)),
        }
    }
}

impl ToJSON for Hours {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hours = f64::deserialize(deserializer).map_err(|_| de::Error::custom(HOURS_FAULT))?;
        Hours::checked(hours).map_err(de::Error::custom)
    }
}

/// A whole number in a path, described as one; a segment that is not a number reads as `None`,
/// so that the operation can refuse it naming its parameter (poem names path parameters only
/// by position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathNumber(pub Option<i64>);

impl Type for PathNumber {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "integer(int64)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("integer", "int64")))
    }

    fn register(_registry: &mut Registry) {}

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromParameter for PathNumber {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(PathNumber(value.trim().parse().ok()))
    }
}
