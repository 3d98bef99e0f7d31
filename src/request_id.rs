//! Each request's id: the one a load balancer or caller sent in `x-request-id` when it is
//! a plain token, else a new one. It is in the request's log span (so in every line its
//! handling logs), in the response's `x-request-id`, and in a problem+json answer's
//! `instance` — what an operator and a caller quote to each other about one failure.
use axum::{
    body::Body,
    extract::Request,
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id taken from a caller; a longer one is replaced.
const LONGEST: usize = 128;

/// A request's id, in its extensions for the log span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

/// An id sent by the caller, when it is one that can go into logs and headers as it is:
/// letters, digits and `-._:`, at most 128 of them. Anything else (a line break that
/// would forge a log line, a megabyte) is not taken.
fn acceptable(sent: &HeaderValue) -> Option<String> {
    let text = sent.to_str().ok()?;
    let plain = !text.is_empty()
        && text.len() <= LONGEST
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'));
    plain.then(|| text.to_owned())
}

/// Gives the request its id, and the response the id (header and problem `instance`).
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&HEADER)
        .and_then(acceptable)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let response = next.run(request).await;
    let mut response = if is_problem(&response) {
        with_instance(response, &id).await
    } else {
        response
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/problem+json"))
}

/// A problem+json answer with `instance` naming this request (RFC 9457: "a URI
/// reference that identifies the specific occurrence of the problem"). Problems are
/// small; one that is not a JSON object is left as it is.
async fn with_instance(response: Response, id: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(serde_json::Value::Object(mut problem)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    problem.insert(
        "instance".to_owned(),
        serde_json::Value::String(format!("urn:stilla:request:{id}")),
    );
    let written = serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken_from_the_caller() {
        let taken = |s: &str| acceptable(&HeaderValue::from_str(s).unwrap());
        assert_eq!(taken("lb-7f3a.1:2_x").as_deref(), Some("lb-7f3a.1:2_x"));
        assert_eq!(taken(""), None);
        assert_eq!(taken("a b"), None);
        assert_eq!(taken("x\"y"), None);
        assert_eq!(taken(&"a".repeat(LONGEST)).map(|s| s.len()), Some(LONGEST));
        assert_eq!(taken(&"a".repeat(LONGEST + 1)), None);
    }
}
