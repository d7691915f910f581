//! Parsing of the small strings that cross the boundary.

use crate::problem::FieldError;

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1000;
pub const RESOURCE_ID_MAX: usize = 96;
/// Object keys are stored in KV key names, which are limited to 512 bytes.
pub const OBJECT_KEY_MAX: usize = 256;
pub const EMAIL_MAX: usize = 254;
/// Ten years: long enough for anything real, short enough never to overflow.
pub const MAX_LIFETIME_SECONDS: u64 = 10 * 366 * 24 * 3600;
pub const MAX_OVERLAP_SECONDS: u64 = 7 * 24 * 3600;
/// How long an invitation stays valid: by default, and at most.
pub const INVITATION_DEFAULT_SECONDS: u64 = 7 * 24 * 3600;
pub const INVITATION_MAX_SECONDS: u64 = 30 * 24 * 3600;
/// An invitation email's message.
pub const MESSAGE_MAX: usize = 2000;
/// Per-token rate limits, in requests per minute.
pub const RATE_LIMIT_MAX: u32 = 100_000;

pub fn rate_limit(field: &str, value: u32) -> Result<u32, FieldError> {
    if (1..=RATE_LIMIT_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            format!("must be between 1 and {RATE_LIMIT_MAX} requests per minute"),
        ))
    }
}

/// Bucket and other resource ids: Keboola-style `in.c-main`.
pub fn is_resource_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= RESOURCE_ID_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && s != "*"
}

/// A resource a grant may name: an id, or a part of one, `parent/part`
/// (Keboola shares one table of a bucket: `in.c-main/orders`). A grant on
/// the parent covers its parts ([`crate::grant::Grant::covers`]).
pub fn is_grant_resource(s: &str) -> bool {
    match s.split_once('/') {
        None => is_resource_id(s),
        Some((parent, part)) => is_resource_id(parent) && is_resource_id(part),
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control())
}

/// Characters that change how text around them is shown without showing
/// themselves: bidirectional controls (a name could read as another one,
/// or reverse what follows it in a list) and zero-width characters (two
/// names that look the same but differ).
pub fn is_invisible_control(c: char) -> bool {
    matches!(c,
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}' | '\u{200F}' | '\u{061C}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}' | '\u{FEFF}')
}

pub fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if trimmed.chars().count() > NAME_MAX {
        return Err(FieldError::new(
            field,
            format!("must be at most {NAME_MAX} characters"),
        ));
    }
    if has_control(trimmed) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    if let Some(c) = trimmed.chars().find(|c| is_invisible_control(*c)) {
        return Err(FieldError::new(
            field,
            format!(
                "must not contain bidirectional control or zero-width characters (found U+{:04X})",
                c as u32
            ),
        ));
    }
    Ok(trimmed.to_string())
}

/// Names Keyward gives the tokens it makes itself (an admin's master
/// token, a member's user token); nobody may take them first, which would
/// block that admin or member.
pub const RESERVED_TOKEN_NAMES: [&str; 2] = ["Master token of ", "User token of "];

/// A token name chosen by a person: a [`name`] outside the reserved ones.
pub fn token_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = name(field, raw)?;
    let lower = name.to_lowercase();
    match RESERVED_TOKEN_NAMES
        .iter()
        .find(|p| lower.starts_with(&p.to_lowercase()))
    {
        Some(prefix) => Err(FieldError::new(
            field,
            format!(
                "names starting with '{}' are reserved for tokens Keyward makes itself",
                prefix.trim_end()
            ),
        )),
        None => Ok(name),
    }
}

pub fn description(field: &str, raw: &str) -> Result<String, FieldError> {
    if raw.chars().count() > DESCRIPTION_MAX {
        return Err(FieldError::new(
            field,
            format!("must be at most {DESCRIPTION_MAX} characters"),
        ));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(raw.trim().to_string())
}

pub fn resource_id(field: &str, raw: &str) -> Result<String, FieldError> {
    if is_resource_id(raw) {
        Ok(raw.to_string())
    } else {
        Err(FieldError::new(
            field,
            format!("must be 1-{RESOURCE_ID_MAX} characters of letters, digits, '.', '_' or '-'"),
        ))
    }
}

pub fn object_key(field: &str, raw: &str) -> Result<String, FieldError> {
    if raw.is_empty()
        || raw.len() > OBJECT_KEY_MAX
        || !raw.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        Err(FieldError::new(
            field,
            format!("must be 1-{OBJECT_KEY_MAX} printable ASCII characters"),
        ))
    } else {
        Ok(raw.to_string())
    }
}

pub fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let ok = s.len() <= EMAIL_MAX
        && !has_control(s)
        && !s.contains(char::is_whitespace)
        && match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }
            None => false,
        };
    if ok {
        Ok(s.to_lowercase())
    } else {
        Err(FieldError::new(field, "must be an email address"))
    }
}

pub const PROJECT_ID_MAX: usize = 40;

/// Project ids go into KV key prefixes and paths: lowercase letters,
/// digits and '-', starting with a letter.
pub fn project_id(field: &str, raw: &str) -> Result<String, FieldError> {
    let ok = !raw.is_empty()
        && raw.len() <= PROJECT_ID_MAX
        && raw.as_bytes()[0].is_ascii_lowercase()
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(raw.to_string())
    } else {
        Err(FieldError::new(
            field,
            format!("must be 1-{PROJECT_ID_MAX} lowercase letters, digits or '-', starting with a letter"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name("name", "  ci deploy ").unwrap(), "ci deploy");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(101)).is_err());
        assert!(name("name", "a\u{0}b").is_err());
    }

    const INVISIBLE: &[char] = &[
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}',
        '\u{200D}', '\u{2060}', '\u{FEFF}',
    ];

    #[test]
    fn names_refuse_each_bidi_control_and_zero_width_character() {
        for c in INVISIBLE {
            let e = name("persona name", &format!("ci{c}deploy")).unwrap_err();
            assert_eq!(e.field, "persona name");
            assert!(
                e.message.contains(&format!("U+{:04X}", *c as u32)),
                "{}",
                e.message
            );
        }
        // Other scripts and ordinary punctuation stay welcome.
        assert_eq!(name("name", "Zoë — داده 数据").unwrap(), "Zoë — داده 数据");
    }

    proptest::proptest! {
        #[test]
        fn an_invisible_character_anywhere_in_a_name_is_refused(
            before in "[a-zA-Z0-9 ]{0,40}",
            after in "[a-zA-Z0-9 ]{0,40}",
            pick in 0usize..17,
        ) {
            let raw = format!("x{before}{}{after}x", INVISIBLE[pick]);
            let e = name("name", &raw).unwrap_err();
            proptest::prop_assert_eq!(e.field, "name");
        }

        #[test]
        fn names_without_them_are_judged_as_before(raw in "\\PC{0,120}") {
            let clean: String = raw.chars().filter(|c| !is_invisible_control(*c)).collect();
            let trimmed = clean.trim();
            let ok = !trimmed.is_empty() && trimmed.chars().count() <= NAME_MAX;
            proptest::prop_assert_eq!(name("name", &clean).is_ok(), ok);
        }
    }

    #[test]
    fn keywards_own_token_names_are_reserved() {
        assert!(token_name("name", "User token of eve@example.com").is_err());
        assert!(token_name("name", "master TOKEN of x").is_err());
        assert_eq!(token_name("name", " ci ").unwrap(), "ci");
    }

    #[test]
    fn resource_ids() {
        assert!(is_resource_id("in.c-tutorial"));
        assert!(!is_resource_id("*"));
        assert!(!is_resource_id("a/b"));
        assert!(!is_resource_id(""));
        assert!(!is_resource_id(&"a".repeat(97)));
    }

    #[test]
    fn emails() {
        assert_eq!(
            email("email", "Ann@Example.com").unwrap(),
            "ann@example.com"
        );
        assert!(email("email", "ann").is_err());
        assert!(email("email", "ann@localhost").is_err());
        assert!(email("email", "a n@x.io").is_err());
    }
}
