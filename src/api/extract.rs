//! Extractors whose rejections speak problem+json, like every other error.
use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, FromRequestParts, OptionalFromRequest, Path, Query, Request},
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// A JSON body. A syntax error is a 400; a body of the wrong shape is a 422 naming the
/// field (`kind`, `audience.unit_ids[2]`), found with `serde_path_to_error`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(AppError::BadRequest(
                "send the body as Content-Type: application/json".to_owned(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge(e.body_text())
            } else {
                AppError::BadRequest(e.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be left out (`Option<ApiJson<T>>`): no body at all — neither a
/// content type nor a byte — is `None`; anything else is read as [`ApiJson`] reads it.
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if req.headers().contains_key(header::CONTENT_TYPE) {
            return <Self as FromRequest<S>>::from_request(req, state)
                .await
                .map(Some);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        if bytes.is_empty() {
            Ok(None)
        } else {
            Err(AppError::BadRequest(
                "send the body as Content-Type: application/json".to_owned(),
            ))
        }
    }
}

/// Reads a raw body (an upload) whole, within the route family's size limit, once the
/// handler has checked who may send it.
pub async fn read_body(body: Body) -> Result<Bytes, AppError> {
    axum::body::to_bytes(body, usize::MAX).await.map_err(|e| {
        let too_large =
            std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                e.source()
            })
            .any(<dyn std::error::Error + 'static>::is::<http_body_util::LengthLimitError>);
        if too_large {
            AppError::PayloadTooLarge("the body is larger than this route takes".to_owned())
        } else {
            AppError::BadRequest(format!("the body could not be read: {e}"))
        }
    })
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // serde reads a struct from a JSON array too (`[null, null]`, by position): every
    // body of this API is an object, and anything else is refused as such.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if !inner.is_data() {
            return AppError::BadRequest(format!("the body is not valid JSON: {inner}"));
        }
        AppError::Invalid(vec![FieldError::from_serde(&path, &inner.to_string())])
    })?;
    deserializer
        .end()
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// A path parameter; a malformed id is a 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| AppError::BadRequest(e.body_text()))
    }
}

/// Query parameters; a malformed one is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| AppError::BadRequest(e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        kind: Kind,
        name: String,
        size: Option<Size>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Size {
        inches: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Phone,
    }

    fn fields(err: AppError) -> Vec<FieldError> {
        match err {
            AppError::Invalid(errors) => errors,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let errors = fields(parse_json::<Body>(br#"{"kind":"fax","name":"x"}"#).unwrap_err());
        assert_eq!(errors[0].field, "kind");
        assert!(errors[0].message.contains("fax"), "{}", errors[0].message);
    }

    #[test]
    fn a_missing_field_is_named() {
        let errors = fields(parse_json::<Body>(br#"{"kind":"phone"}"#).unwrap_err());
        assert_eq!(errors[0].field, "name");
    }

    #[test]
    fn an_unknown_field_is_named_where_it_stands() {
        let errors = fields(parse_json::<Body>(br#"{"kind":"phone","nmae":"x"}"#).unwrap_err());
        assert_eq!(errors[0].field, "nmae");
        let errors = fields(
            parse_json::<Body>(br#"{"kind":"phone","name":"x","size":{"inch":6}}"#).unwrap_err(),
        );
        assert_eq!(errors[0].field, "size.inch");
    }

    #[test]
    fn a_body_must_be_an_object() {
        let errors = fields(parse_json::<Body>(br#"["phone", "x", null]"#).unwrap_err());
        assert_eq!(errors[0].field, "body");
        assert!(matches!(
            parse_json::<Body>(b"[1,"),
            Err(AppError::BadRequest(_))
        ));
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Body>(b"{\"kind\":"),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body>(br#"{"kind":"phone","name":"x"} x"#),
            Err(AppError::BadRequest(_))
        ));
    }
}
