//! Request extractors that turn client mistakes into problem documents naming the field.
//!
//! Every part of a request a client fills in — the JSON body ([`JsonBody`]), the query string
//! ([`Query`]), the path's parameters ([`Path`]) — is read here, so that a mistake in any of them
//! is answered the same way: `application/problem+json`, a stable `code`, and `errors[].field`
//! naming the body field's path or the parameter. Two rules hold for all of them:
//! - a NUL character (U+0000) is refused with `422 invalid_character` naming where it is
//!   (PostgreSQL's `text` and `jsonb` cannot store it);
//! - a message never quotes the value the client sent (a card number in the wrong field must not
//!   come back in the answer, nor go into the idempotency store or a log).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON body. Malformed JSON is `400 malformed_json`; a wrong type, a missing or unknown field or
/// an out-of-range value is `422 invalid_field` with the field's path (`passengers[0].first_name`).
#[derive(Debug, Clone)]
pub struct JsonBody<T> {
    /// The deserialized body.
    pub value: T,
    /// The raw body, for idempotency fingerprints.
    pub raw: Bytes,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        let raw = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_unreadable",
                format!("the body could not be read: {e}"),
            )
        })?;
        if !is_json && !raw.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        // An empty body is an empty object, so that commands without parameters need no body.
        let text: &[u8] = if raw.is_empty() { b"{}" } else { &raw };
        let value = parse_json(text)?;
        Ok(JsonBody { value, raw })
    }
}

/// Deserializes JSON, mapping errors as [`JsonBody`] does (`400 malformed_json` or `422 invalid_field` naming the field).
pub fn parse_json<T: DeserializeOwned>(text: &[u8]) -> Result<T, ApiError> {
    // JSON can carry a NUL only escaped; only then is the body walked for it.
    if contains(text, b"\\u0000")
        && let Ok(value) = serde_json::from_slice::<Value>(text)
        && let Some(field) = nul_in(&value, "")
    {
        return Err(nul_refused(field));
    }
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
                "malformed_json",
                format!(
                    "the body is not valid JSON (line {}, column {})",
                    inner.line(),
                    inner.column()
                ),
            ),
            Category::Data => data_error(&path, &inner.to_string()),
        }
    })?;
    de.end().map_err(|_| {
        ApiError::bad_request("malformed_json", "trailing characters after the JSON value")
    })?;
    Ok(value)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The path (as serde_path_to_error writes it: `passengers[0].first_name`) of the first string or
/// key under `value` that contains a NUL, `path` being `value`'s own.
fn nul_in(value: &Value, path: &str) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(s) => s.contains('\0').then(here),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_in(v, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            let inner = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(inner)
            } else {
                nul_in(v, &inner)
            }
        }),
        _ => None,
    }
}

/// `422 invalid_character` naming `field` (a NUL in it shown as `\0`, never raw).
fn nul_refused(field: String) -> ApiError {
    ApiError::field(
        field.replace('\0', "\\0"),
        "invalid_character",
        "must not contain the NUL character (U+0000)",
    )
}

/// serde's messages quote the value that failed (`invalid type: string "4242…", expected u32`):
/// keep what was wrong with it, never the value itself.
fn without_value(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(at) = rest.rfind(", expected ")
        {
            let (unexpected, expected) = rest.split_at(at);
            // `string "…"`, ``integer `…` ``, ``floating point `…` ``: keep the kind.
            let kind = unexpected
                .split([' ', '`', '"'])
                .take_while(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            return format!("{prefix}{kind}{expected}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ")
        && let Some(at) = rest.rfind(", expected ")
    {
        return format!("unknown variant{}", &rest[at..]);
    }
    message.to_owned()
}

/// serde reports an unknown or missing field in the message, with the path of the enclosing
/// object; name the field itself.
fn data_error(path: &str, message: &str) -> ApiError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let message = without_value(message);
    let quoted = message.split('`').nth(1).map(str::to_owned);
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    if message.starts_with("unknown field") {
        // Here serde's path already ends with the unknown field itself.
        let field = match quoted {
            Some(f) if path != "." && !path.is_empty() && path.ends_with(f.as_str()) => {
                path.to_owned()
            }
            Some(f) => join(&f),
            None => path.to_owned(),
        };
        return ApiError::field(field, "unknown_field", message);
    }
    if message.starts_with("missing field") {
        let field = quoted.map_or_else(|| path.to_owned(), |f| join(&f));
        return ApiError::field(field, "missing_field", message);
    }
    let field = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    ApiError::field(field, "invalid_field", message)
}

/// The query string, deserialized into `T`. A value of the wrong type or out of range is
/// `422 invalid_field`, a missing or unknown parameter `422 missing_field` / `unknown_field`, each
/// naming the parameter; a NUL in a name or a value is `422 invalid_character`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

/// Deserializes a query string, mapping errors as [`Query`] does.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = || form_urlencoded::parse(query.as_bytes());
    if let Some((name, _)) = pairs().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(nul_refused(name.into_owned()));
    }
    let de = serde_urlencoded::Deserializer::new(pairs());
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        data_error(&path, &e.into_inner().to_string())
    })
}

/// The path's parameters, deserialized into `T`. A parameter that is not valid UTF-8 once
/// percent-decoded, or that does not parse, is `422 invalid_field` naming it; a NUL in one is
/// `422 invalid_character`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        let invalid = |key: &str, message: &str| ApiError::field(key, "invalid_field", message);
        let kind = |kind: ErrorKind| match kind {
            ErrorKind::InvalidUtf8InPathParam { key } => {
                invalid(&key, "not valid UTF-8 once percent-decoded")
            }
            ErrorKind::ParseErrorAtKey {
                key, expected_type, ..
            } => invalid(&key, &format!("expected {expected_type}")),
            ErrorKind::DeserializeError { key, message, .. } => {
                invalid(&key, &without_value(&message))
            }
            other => ApiError::internal(format!("path parameters: {other}")),
        };
        let rejected = |e: PathRejection| match e {
            PathRejection::FailedToDeserializePathParams(e) => kind(e.into_kind()),
            other => ApiError::internal(other.body_text()),
        };
        let raw = axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(&rejected)?;
        if let Some((key, _)) = raw.0.iter().find(|(_, v)| v.contains('\0')) {
            return Err(nul_refused(key.clone()));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(&rejected)
    }
}

/// The `Idempotency-Key` header, if any (1 to 255 visible ASCII characters).
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        let key = v
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 255);
        match key {
            Some(k) if k.bytes().all(|b| b.is_ascii_graphic()) => Ok(Self(Some(k.to_owned()))),
            _ => Err(ApiError::field(
                "Idempotency-Key",
                "invalid_header",
                "1 to 255 visible ASCII characters",
            )),
        }
    }
}

/// The `If-Match` header as an aggregate version: `"3"`, `W/"3"` or `3`.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = v.to_str().unwrap_or("").trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse::<u64>().map(|n| Self(Some(n))).map_err(|_| {
            ApiError::field(
                "If-Match",
                "invalid_header",
                "a version in quotes, e.g. \"3\"",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        seats: u32,
        passengers: Vec<P>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct P {
        first_name: String,
    }

    fn err(body: &str) -> ApiError {
        parse_json::<Req>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn client_mistakes_name_the_field() {
        let e = err(r#"{"seats": -1, "passengers": []}"#);
        assert_eq!(
            (
                e.status.as_u16(),
                e.code.as_str(),
                e.errors[0].field.as_str()
            ),
            (422, "invalid_field", "seats")
        );
        let e = err(r#"{"seats": 1, "passengers": [{"first_name": 5}]}"#);
        assert_eq!(e.errors[0].field, "passengers[0].first_name");
        let e = err(r#"{"seats": 1, "passengers": [], "extra": true}"#);
        assert_eq!(
            (e.code.as_str(), e.errors[0].field.as_str()),
            ("unknown_field", "extra")
        );
        let e = err(r#"{"passengers": []}"#);
        assert_eq!(
            (e.code.as_str(), e.errors[0].field.as_str()),
            ("missing_field", "seats")
        );
        let e = err(r#"{"seats": 1, "passengers": [{}]}"#);
        assert_eq!(e.errors[0].field, "passengers[0].first_name");
    }

    #[test]
    fn messages_never_quote_the_value() {
        for (body, field) in [
            (
                r#"{"seats": "4242424242424242", "passengers": []}"#,
                "seats",
            ),
            (r#"{"seats": 4242424242424242, "passengers": []}"#, "seats"),
            (r#"{"seats": 42.424242, "passengers": []}"#, "seats"),
            (
                r#"{"seats": 1, "passengers": [{"first_name": 4242424242}]}"#,
                "passengers[0].first_name",
            ),
        ] {
            let e = err(body);
            assert_eq!(e.errors[0].field, field);
            assert!(!e.detail.contains("4242"), "{}", e.detail);
            assert!(e.detail.contains("expected"), "{}", e.detail);
        }
        assert_eq!(
            without_value("invalid type: string \"4242 4242\", expected u32"),
            "invalid type: string, expected u32"
        );
        assert_eq!(
            without_value("unknown variant `4242`, expected one of `economy`, `business`"),
            "unknown variant, expected one of `economy`, `business`"
        );
    }

    #[test]
    fn a_nul_anywhere_is_refused_naming_where() {
        let e =
            err(r#"{"seats": 1, "passengers": [{"first_name": "a"}, {"first_name": "b\u0000"}]}"#);
        assert_eq!(
            (
                e.status.as_u16(),
                e.code.as_str(),
                e.errors[0].field.as_str()
            ),
            (422, "invalid_character", "passengers[1].first_name")
        );
        let e = err(r#"{"seats": 1, "passengers": [], "\u0000": 1}"#);
        assert_eq!(e.errors[0].field, "\\0");
        let e =
            parse_query::<std::collections::BTreeMap<String, String>>("a=1&b=x%00").unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.errors[0].field.as_str()),
            ("invalid_character", "b")
        );
    }

    #[test]
    fn query_mistakes_name_the_parameter() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Q {
            date: chrono::NaiveDate,
            limit: Option<u32>,
        }
        let field = |q: &str| {
            let e = parse_query::<Q>(q).unwrap_err();
            (e.status.as_u16(), e.code, e.errors[0].field.clone())
        };
        assert_eq!(
            field("date=2026-02-30"),
            (422, "invalid_field".into(), "date".into())
        );
        assert_eq!(
            field("date=2026-02-03&limit=-1"),
            (422, "invalid_field".into(), "limit".into())
        );
        assert_eq!(
            field("limit=1"),
            (422, "missing_field".into(), "date".into())
        );
        assert_eq!(
            field("date=2026-02-03&x=1"),
            (422, "unknown_field".into(), "x".into())
        );
        assert!(parse_query::<Q>("date=2026-02-03&limit=5").is_ok());
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        for body in [
            "{",
            "not json",
            r#"{"seats": 1,}"#,
            r#"{"seats":1,"passengers":[]} x"#,
        ] {
            let e = err(body);
            assert_eq!(
                (e.status.as_u16(), e.code.as_str()),
                (400, "malformed_json"),
                "{body}"
            );
        }
    }
}
