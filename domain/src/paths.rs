//! The API's path templates under [`BASE`]. The worker's route table, the
//! OpenAPI document, the app and the CLI all take their paths from here, so
//! a path is spelled once.

/// Where every API path lives.
pub const BASE: &str = "/api/v1";

/// A path template: literal segments and `{name}` parameters, each
/// parameter exactly one path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PathTemplate(&'static str);

impl PathTemplate {
    /// The template as written (`/tokens/{id}`).
    pub const fn template(self) -> &'static str {
        self.0
    }

    /// The parameter names, in order.
    pub fn params(self) -> impl Iterator<Item = &'static str> {
        self.0
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }

    /// The path with each parameter replaced by the next argument,
    /// percent-encoded as one segment, so an id can never change the path
    /// (`../admins` stays inside its segment). Arguments beyond the
    /// template's parameters are ignored; a missing one leaves an empty
    /// segment, which no route matches.
    pub fn with(self, args: &[&str]) -> String {
        let mut args = args.iter();
        let mut out = String::with_capacity(self.0.len() + 16);
        for segment in self.0.split('/').skip(1) {
            out.push('/');
            if segment.starts_with('{') {
                if let Some(arg) = args.next() {
                    out.push_str(&encode_segment(arg));
                }
            } else {
                out.push_str(segment);
            }
        }
        out
    }
}

/// Percent-encodes one path segment or query value: everything but
/// RFC 3986's unreserved characters.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

macro_rules! templates {
    ($($(#[$doc:meta])* $name:ident = $path:literal;)*) => {
        $($(#[$doc])* pub const $name: PathTemplate = PathTemplate($path);)*
        /// Every template, for the route table's and the document's tests.
        pub const ALL: &[PathTemplate] = &[$($name),*];
    };
}

templates! {
    HEALTH = "/health";
    OPENAPI = "/openapi.json";
    CATALOG = "/catalog";
    WHOAMI = "/whoami";
    VERIFY = "/verify";
    AUDIT = "/audit";
    TOKENS = "/tokens";
    TOKEN = "/tokens/{id}";
    TOKEN_REFRESH = "/tokens/{id}/refresh";
    TOKEN_RECOVER = "/tokens/{id}/recover";
    TOKEN_INVITATIONS = "/tokens/{id}/invitations";
    TOKEN_EXPLAIN = "/tokens/{id}/explain";
    TOKEN_ROUTES = "/tokens/{id}/routes";
    TOKEN_USAGE = "/tokens/{id}/usage";
    TOKEN_NARROW = "/tokens/{id}/narrow";
    TOKEN_ELEVATIONS = "/tokens/{id}/elevations";
    TOKEN_ELEVATION = "/tokens/{id}/elevations/{elevation}";
    TOKEN_ELEVATION_APPROVE = "/tokens/{id}/elevations/{elevation}/approve";
    ADMINS = "/admins";
    ADMIN = "/admins/{id}";
    BUCKETS = "/buckets";
    OBJECTS = "/buckets/{bucket}/objects";
    OBJECT = "/buckets/{bucket}/objects/{key}";
    INVITATIONS = "/invitations";
    INVITATION = "/invitations/{id}";
    INVITATION_RESEND = "/invitations/{id}/resend";
    INVITATION_OPEN = "/invitations/open/{code}";
    INVITATION_ACCEPT = "/invitations/open/{code}/accept";
    OUTBOX = "/outbox";
    PERSONAS = "/personas";
    PERSONA = "/personas/{id}";
    MEMBERS = "/members";
    MEMBER = "/members/{id}";
    MEMBER_KEYS = "/members/{id}/keys";
    MEMBER_KEY = "/members/{id}/keys/{key}";
    LEAKS = "/leaks";
    PROJECTS = "/projects";
    PROJECT = "/projects/{project}";
    PASSKEY_OPTIONS = "/auth/passkeys/options";
    PASSKEY_SIGN_IN = "/auth/passkeys/sign-in";
    SESSIONS = "/auth/sessions";
    SIGN_OUT = "/auth/sign-out";
    DEVICE = "/auth/device";
    DEVICE_TOKEN = "/auth/device/token";
    DEVICE_APPROVE = "/auth/device/approve";
    ENROLMENTS = "/enrolments";
    ENROLMENT = "/enrolments/{code}";
    ENROLMENT_OPTIONS = "/enrolments/{code}/options";
    ENROLMENT_PASSKEYS = "/enrolments/{code}/passkeys";
    MY_SESSIONS = "/me/sessions";
    MY_SESSION = "/me/sessions/{id}";
    MY_PASSKEYS = "/me/passkeys";
    MY_PASSKEY_OPTIONS = "/me/passkeys/options";
    MY_PASSKEY = "/me/passkeys/{id}";
    /// The storage routes (`/buckets…`) also answer under this prefix,
    /// acting in the named project.
    PROJECT_SCOPE = "/projects/{project}";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_filled_in_order_and_encoded_as_one_segment() {
        assert_eq!(TOKEN.with(&["tok_A1"]), "/tokens/tok_A1");
        assert_eq!(TOKEN.with(&["../admins"]), "/tokens/..%2Fadmins");
        assert_eq!(OBJECT.with(&["b", "a b?"]), "/buckets/b/objects/a%20b%3F");
        assert_eq!(TOKENS.with(&[]), "/tokens");
        assert_eq!(OBJECT.params().collect::<Vec<_>>(), vec!["bucket", "key"]);
    }

    #[test]
    fn every_template_is_absolute_and_its_parameters_are_whole_segments() {
        for t in ALL {
            let path = t.template();
            assert!(path.starts_with('/') && !path.ends_with('/'), "{path}");
            for segment in path.split('/').skip(1) {
                let braces = segment.matches(['{', '}']).count();
                assert!(
                    braces == 0
                        || (segment.starts_with('{') && segment.ends_with('}') && braces == 2),
                    "{path}"
                );
            }
        }
    }
}
