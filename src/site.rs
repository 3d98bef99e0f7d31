//! Where browsers reach Stilla (the configured public URL), and what follows from it:
//! whether cookies are `Secure` and `__Host-`-prefixed, and whether responses carry HSTS.
use axum::{
    extract::State,
    http::{HeaderValue, Uri, header},
    response::Response,
};
use cookie::{Cookie, SameSite};

/// HSTS for a year, subdomains included: a region's console is never meant to be
/// reached over plain HTTP once it has been reached over HTTPS.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The public URL is https: send HSTS.
    https: bool,
    /// Cookies are `Secure`, `__Host-`-prefixed and for the whole host: everywhere but
    /// plain HTTP on this machine, where a browser would not send a `Secure` cookie back.
    secure_cookies: bool,
    /// The public URL without a trailing slash, for links that leave with the browser
    /// (the identity provider's redirect back).
    base: String,
}

impl Site {
    /// The site at `public_url`, e.g. `https://stilla.region.se`.
    pub fn from_public_url(public_url: &str) -> anyhow::Result<Site> {
        let uri: Uri = public_url
            .parse()
            .map_err(|e| anyhow::anyhow!("public_url `{public_url}` is not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => anyhow::bail!("public_url `{public_url}` must start with http:// or https://"),
        };
        let host = uri.host().unwrap_or("");
        let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
            || host.ends_with(".localhost");
        Ok(Site {
            https,
            secure_cookies: https || !local,
            base: public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The absolute URL of one of our paths (`/console/sign-in/callback`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// A cookie's name as sent: `__Host-` in front when secure, so that no sibling
    /// subdomain can plant it (a browser takes a `__Host-` cookie only from this very
    /// host, `Secure`, for the path `/`).
    pub fn cookie_name(&self, base: &str) -> String {
        if self.secure_cookies {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// A cookie the page's scripts cannot read, sent only to this host and never from
    /// another site's page.
    pub fn cookie(&self, base: &str, value: String) -> Cookie<'static> {
        Cookie::build((self.cookie_name(base), value))
            .path(self.cookie_path())
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure_cookies)
            .build()
    }

    /// A cookie like [`Site::cookie`] that the browser also sends when another site
    /// sends it here with a link or redirect (`SameSite=Lax`): what a sign-in through the
    /// identity provider needs to find its way back.
    pub fn cross_site_cookie(&self, base: &str, value: String) -> Cookie<'static> {
        let mut cookie = self.cookie(base, value);
        cookie.set_same_site(SameSite::Lax);
        cookie
    }

    /// What removes a cookie set by [`Site::cookie`].
    pub fn removal(&self, base: &str) -> Cookie<'static> {
        Cookie::build(self.cookie_name(base))
            .path(self.cookie_path())
            .build()
    }

    fn cookie_path(&self) -> &'static str {
        // `__Host-` cookies must be for `/`; plain ones stay with the console.
        if self.secure_cookies { "/" } else { "/console" }
    }
}

/// Headers every response carries: HSTS on an https site, and `Cache-Control: no-store`
/// unless the route chose its caching (the console's assets do): API answers carry
/// personal data or secrets, and must not sit in a shared or browser cache.
pub async fn common_headers(State(site): State<Site>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if site.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_this_machine_gets_plain_cookies() {
        for (url, secure) in [
            ("http://localhost:8080", false),
            ("http://127.0.0.1:8080", false),
            ("http://stilla.localhost", false),
            ("https://localhost:8443", true),
            ("https://stilla.region.se", true),
            ("http://stilla.region.se", true),
        ] {
            let site = Site::from_public_url(url).unwrap();
            assert_eq!(site.secure_cookies(), secure, "{url}");
            let cookie = site.cookie("stilla_session", "x".to_owned());
            assert_eq!(cookie.secure(), Some(secure), "{url}");
            assert_eq!(cookie.name().starts_with("__Host-"), secure, "{url}");
            if secure {
                assert_eq!(cookie.path(), Some("/"));
            }
        }
    }

    #[test]
    fn a_public_url_must_be_http_or_https() {
        assert!(Site::from_public_url("ftp://x").is_err());
        assert!(Site::from_public_url("not a url").is_err());
    }
}
