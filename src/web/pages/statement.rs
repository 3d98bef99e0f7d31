//! The accessibility statement the law on accessibility of digital public services
//! asks for (lag 2018:1937): open to everyone, signed in or not.
use askama::Template;
use axum::response::Response;

use super::{Chrome, render};
use crate::web::session::{Visitor, WebResult};

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    c: Chrome,
}

pub async fn statement(visitor: Visitor) -> WebResult<Response> {
    render(&StatementPage {
        c: Chrome::public(
            visitor.lang,
            "accessibility-statement",
            "/console/accessibility",
        ),
    })
}
