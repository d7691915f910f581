//! URLs as the runtime's own WHATWG parser reads them (`URL` in
//! JavaScript): the edge links no URL parser of its own (the `url` crate
//! with its IDNA tables is a fifth of a worker's code), and the parts are
//! exactly what the runtime's `fetch` sends.

use wasm_bindgen::JsValue;

pub struct WebUrl {
    href: String,
    /// Where the path starts in `href` (after the origin).
    path_at: usize,
    scheme: String,
}

impl WebUrl {
    pub fn parse(raw: &str) -> Result<WebUrl, JsValue> {
        let url = web_sys::Url::new(raw)?;
        let href = url.href();
        let origin = url.origin();
        // `href` starts with the origin for http(s) URLs, the only ones a
        // worker receives or the gateway forwards to.
        let path_at = if href.starts_with(&origin) {
            origin.len()
        } else {
            return Err(JsValue::from_str("not an http(s) URL"));
        };
        let scheme = url.protocol().trim_end_matches(':').to_string();
        Ok(WebUrl {
            href,
            path_at,
            scheme,
        })
    }

    /// Path and query as serialized (still percent-encoded), without the
    /// fragment.
    fn path_and_query(&self) -> &str {
        let rest = &self.href[self.path_at..];
        rest.split_once('#').map_or(rest, |(before, _)| before)
    }

    /// The serialized path (`/a/b%20c`).
    pub fn path(&self) -> &str {
        let pq = self.path_and_query();
        pq.split_once('?').map_or(pq, |(path, _)| path)
    }

    /// The query without its `?`; `Some("")` for a bare `?`, as sent.
    pub fn query(&self) -> Option<&str> {
        self.path_and_query().split_once('?').map(|(_, q)| q)
    }

    /// The whole URL, serialized.
    pub fn as_str(&self) -> &str {
        &self.href
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }
}
