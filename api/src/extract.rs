//! Request extractors that turn client mistakes into problem documents naming the field.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

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

/// serde reports an unknown or missing field in the message, with the path of the enclosing
/// object; name the field itself.
fn data_error(path: &str, message: &str) -> ApiError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
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
