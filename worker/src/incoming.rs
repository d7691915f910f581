//! The request a call is served from ([`Req`]). In the control plane it
//! is `worker::Request`, which the handlers use whole. At the edge it is
//! [`EdgeRequest`]: the runtime's request with its path read once and
//! nothing else converted. `worker::Request`'s conversion reads
//! `request.cf`, which the runtime builds on every read (8–11 % of an
//! isolate's busy time on the validated call, by the profile); the edge
//! never needs it. Both offer the same few methods the shared code calls.

#[cfg(feature = "control")]
pub type Req = worker::Request;

#[cfg(not(feature = "control"))]
pub type Req = EdgeRequest;

/// One header's value. At the edge the headers every call reads
/// (`Authorization`, `CF-Connecting-IP`) cross from the runtime once.
pub trait ReadHeader {
    fn header(&self, name: &str) -> worker::Result<Option<String>>;
}

#[cfg(feature = "control")]
impl ReadHeader for worker::Request {
    fn header(&self, name: &str) -> worker::Result<Option<String>> {
        self.headers().get(name)
    }
}

#[cfg(not(feature = "control"))]
impl ReadHeader for EdgeRequest {
    fn header(&self, name: &str) -> worker::Result<Option<String>> {
        let kept = match name {
            "authorization" => &self.authorization,
            "cf-connecting-ip" => &self.client,
            _ => return self.headers.get(name),
        };
        if let Some(value) = kept.get() {
            return Ok(value.clone());
        }
        let value = self.headers.get(name)?;
        let _ = kept.set(value.clone());
        Ok(value)
    }
}

/// A request at the edge: what the shared code reads of it, lazily.
#[cfg(not(feature = "control"))]
pub struct EdgeRequest {
    raw: web_sys::Request,
    headers: worker::Headers,
    path: String,
    body_used: bool,
    authorization: std::cell::OnceCell<Option<String>>,
    client: std::cell::OnceCell<Option<String>>,
}

#[cfg(not(feature = "control"))]
impl EdgeRequest {
    /// `path`: [`path_of`] the request's URL; `authorization`: its
    /// `Authorization` header, already read.
    pub fn new(
        raw: web_sys::Request,
        headers: web_sys::Headers,
        path: String,
        authorization: Option<String>,
    ) -> EdgeRequest {
        EdgeRequest {
            headers: worker::Headers(headers),
            raw,
            path,
            body_used: false,
            authorization: std::cell::OnceCell::from(authorization),
            client: std::cell::OnceCell::new(),
        }
    }

    pub fn path(&self) -> String {
        self.path.clone()
    }

    pub fn headers(&self) -> &worker::Headers {
        &self.headers
    }

    pub fn inner(&self) -> &web_sys::Request {
        &self.raw
    }

    pub fn stream(&mut self) -> worker::Result<worker::ByteStream> {
        if self.body_used {
            return Err(worker::Error::BodyUsed);
        }
        self.body_used = true;
        let body = self
            .raw
            .body()
            .ok_or_else(|| worker::Error::RustError("no body for request".into()))?;
        Ok(worker::ByteStream::from(body))
    }
}

/// The path of a serialized WHATWG URL (the runtime's `request.url`): from
/// the first `/` after the host to the query or fragment, still
/// percent-encoded, as `worker::Request::path` gives it.
#[cfg(any(test, not(feature = "control")))]
pub fn path_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let Some(start) = rest.find('/') else {
        return "/".to_string();
    };
    let path = &rest[start..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn the_path_is_what_lies_between_the_host_and_the_query() {
        assert_eq!(path_of("https://k.example/api/v1/whoami"), "/api/v1/whoami");
        assert_eq!(
            path_of("http://127.0.0.1:8787/api/v1/whoami?x=1#f"),
            "/api/v1/whoami"
        );
        assert_eq!(path_of("https://k.example/gw/a%2Fb/c#x"), "/gw/a%2Fb/c");
        assert_eq!(path_of("https://k.example"), "/");
        assert_eq!(path_of("https://user@k.example:1/"), "/");
    }
}
