//! Invitation rules and the invitation email. The email never carries a
//! secret: it links to a welcome page where the recipient accepts.

use crate::api::{InvitationWelcome, Person, PersonKind};
use crate::problem::FieldError;
use crate::secret;

/// An invitation code: 32 random base62 characters (about 190 bits) and a
/// 6-character base62 CRC32, like a secret's. The checksum lets the edge
/// refuse made-up codes before any storage is read; it is no secret, so it
/// stops garbage, not a determined guesser (the failure limiter does that).
pub const CODE_LEN: usize = secret::RANDOM_LEN + secret::CHECKSUM_LEN;

/// Keeps an invitation code's checksum apart from a secret's: a secret's
/// random part never passes as a code, nor the other way round.
fn code_checksum(random: &str) -> String {
    secret::checksum(&format!("kwi_{random}"))
}

/// A new invitation code from the caller's CSPRNG.
pub fn new_code(fill: impl FnMut(&mut [u8])) -> String {
    let mut code = secret::random_id(secret::RANDOM_LEN, fill);
    let sum = code_checksum(&code);
    code.push_str(&sum);
    code
}

/// Whether `raw` has the shape and checksum of a code [`new_code`] made.
/// Codes issued before codes carried a checksum (32 characters) fail it.
pub fn is_code(raw: &str) -> bool {
    raw.len() == CODE_LEN
        && raw.bytes().all(|b| b.is_ascii_alphanumeric())
        && code_checksum(&raw[..secret::RANDOM_LEN]) == raw[secret::RANDOM_LEN..]
}

pub use crate::validate::{
    INVITATION_DEFAULT_SECONDS as DEFAULT_VALIDITY_SECONDS,
    INVITATION_MAX_SECONDS as MAX_VALIDITY_SECONDS, MESSAGE_MAX,
};

pub fn validity(expires_in: Option<u64>) -> Result<u64, FieldError> {
    match expires_in {
        None => Ok(DEFAULT_VALIDITY_SECONDS),
        Some(s) if (1..=MAX_VALIDITY_SECONDS).contains(&s) => Ok(s),
        Some(_) => Err(FieldError::new(
            "expires_in",
            format!("must be between 1 and {MAX_VALIDITY_SECONDS} seconds (30 days)"),
        )),
    }
}

pub fn message(raw: Option<&str>) -> Result<String, FieldError> {
    let m = raw.unwrap_or("").trim();
    if m.chars().count() > MESSAGE_MAX {
        return Err(FieldError::new(
            "message",
            format!("must be at most {MESSAGE_MAX} characters"),
        ));
    }
    if m.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(
            "message",
            "must not contain control characters",
        ));
    }
    Ok(m.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn when(t: Option<time::OffsetDateTime>) -> String {
    match t {
        None => "does not expire".to_string(),
        Some(t) => format!("is valid until {}", human_utc(t)),
    }
}

/// "Tuesday 1 December 2026, 00:00 UTC (2026-12-01T00:00:00Z)": an email
/// cannot know its reader's time zone, so the date is in words in UTC and
/// the exact instant follows for anyone who converts it.
fn human_utc(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {} {} {}, {:02}:{:02} UTC ({})",
        t.weekday(),
        t.day(),
        t.month(),
        t.year(),
        t.hour(),
        t.minute(),
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    )
}

/// The invitation email, plain text and HTML.
pub fn email(welcome: &InvitationWelcome, link: &str) -> Email {
    let invitation_until = when(Some(welcome.expires_at));
    let token_until = when(welcome.token_expires_at);
    let subject = format!(
        "{} sent you the API token \"{}\"",
        welcome.inviter, welcome.token_name
    );
    let mut text = format!(
        "{inviter} sent you an API token on Keyward.\n\n",
        inviter = welcome.inviter
    );
    if !welcome.message.is_empty() {
        text.push_str(&format!("Their message:\n\n{}\n\n", welcome.message));
    }
    text.push_str(&format!(
        "Token: {}\nWhat it can do: {}\nThe token {}.\n\nOpen this link to receive the token (it works once, and {}):\n{}\n\nIf you did not expect this, ignore this email.\n",
        welcome.token_name, welcome.summary, token_until, invitation_until, link
    ));
    let message_html = if welcome.message.is_empty() {
        String::new()
    } else {
        format!(
            "<blockquote style=\"white-space:pre-wrap\">{}</blockquote>",
            escape(&welcome.message)
        )
    };
    let html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif\">\
<p>{inviter} sent you an API token on Keyward.</p>{message_html}\
<p><strong>Token:</strong> {token}<br><strong>What it can do:</strong> {summary}<br>The token {token_until}.</p>\
<p><a href=\"{link}\">Receive the token</a> (the link works once, and {invitation_until}).</p>\
<p style=\"color:#57606a\">If you did not expect this, ignore this email.</p></body></html>",
        inviter = escape(&welcome.inviter),
        token = escape(&welcome.token_name),
        summary = escape(&welcome.summary),
        token_until = escape(&token_until),
        link = escape(link),
        invitation_until = escape(&invitation_until),
    );
    Email {
        subject,
        text,
        html,
    }
}

/// The email that hands an admin their recovered master token: another
/// admin (`by`) replaced a secret that leaked or was lost. The secret goes
/// only to its admin; the admin who recovered it never sees it.
pub fn recovered_master_email(secret: &str, by: &str) -> Email {
    let subject = "Your Keyward master token was recovered".to_string();
    let text = format!(
        "{by} recovered your Keyward master token: its old secret stopped working, and it is enabled again with this new secret:\n\n{secret}\n\nStore it in your password manager now; Keyward never shows it again. If you did not expect this, tell your other admins.\n"
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif\">\
<p>{by} recovered your Keyward master token: its old secret stopped working, and it is enabled again with this new secret:</p>\
<p><code>{secret}</code></p><p>Store it in your password manager now; Keyward never shows it again.</p>\
<p style=\"color:#57606a\">If you did not expect this, tell your other admins.</p></body></html>",
        by = escape(by),
        secret = escape(secret),
    );
    Email {
        subject,
        text,
        html,
    }
}

/// The email that sends a person their passkey enrolment link. It carries
/// a single-use link, never a secret.
pub fn enrolment_email(person: &Person, link: &str) -> Email {
    let role = match person.kind {
        PersonKind::Admin => "an admin",
        PersonKind::Member => "a member",
    };
    let days = crate::signin::ENROLMENT_SECONDS / 86_400;
    let text = format!(
        "Hello {},\n\nYou are {role} of Keyward. Create your passkey to sign in: {link}\n\nThe link works once, for {days} days. Nobody from Keyward will ever ask you for a secret.\n",
        person.name
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif\">\
<p>Hello {name},</p><p>You are {role} of Keyward. <a href=\"{link}\">Create your passkey</a> to sign in.</p>\
<p style=\"color:#57606a\">The link works once, for {days} days. Nobody from Keyward will ever ask you for a secret.</p></body></html>",
        name = escape(&person.name),
        link = escape(link),
    );
    Email {
        subject: "Set up your Keyward passkey".to_string(),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn an_enrolment_email_carries_the_link_and_escapes_the_name() {
        let person = Person {
            kind: PersonKind::Member,
            id: "mem_1".into(),
            name: "Mia <b>".into(),
            email: "mia@example.com".into(),
        };
        let email = enrolment_email(&person, "https://k.example/enrol/abc");
        assert!(email.text.contains("https://k.example/enrol/abc"));
        assert!(email.text.contains("a member"));
        assert!(email.html.contains("Mia &lt;b&gt;"));
        assert!(!email.html.contains("<b>"));
        assert!(email.text.contains("7 days"));
    }

    fn welcome(message: &str) -> InvitationWelcome {
        InvitationWelcome {
            inviter: "Ann <ops>".into(),
            email: "bob@example.com".into(),
            message: message.into(),
            token_name: "tutorial".into(),
            grants: vec![],
            permissions: vec![],
            summary: "Read bucket in.c-tutorial; nothing else".into(),
            token_expires_at: None,
            expires_at: datetime!(2026-12-01 00:00:00 UTC),
            token_kind: None,
        }
    }

    fn os_random(buf: &mut [u8]) {
        getrandom::getrandom(buf).expect("os randomness");
    }

    #[test]
    fn new_codes_pass_and_damaged_or_old_codes_do_not() {
        let code = new_code(os_random);
        assert_eq!(code.len(), CODE_LEN);
        assert!(is_code(&code));
        assert!(!is_code(&code[..32]), "a code from before checksums");
        assert!(!is_code(&format!("{code}0")));
        assert!(!is_code(""));
        assert!(!is_code(&"-".repeat(CODE_LEN)));
        // A secret's random part and checksum do not make a code.
        let s = crate::Secret::generate(crate::TokenKind::Scoped, os_random);
        assert!(!is_code(&s.expose()[5..]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn any_single_character_change_is_refused(pos in 0usize..CODE_LEN, c in proptest::char::range('0', 'z')) {
            let code = new_code(os_random);
            let mut bytes = code.into_bytes();
            proptest::prop_assume!(c.is_ascii_alphanumeric() && bytes[pos] != c as u8);
            bytes[pos] = c as u8;
            proptest::prop_assert!(!is_code(&String::from_utf8(bytes).unwrap()));
        }

        #[test]
        fn is_code_never_panics(raw in "\\PC{0,50}") {
            let _ = is_code(&raw);
        }
    }

    #[test]
    fn validity_defaults_to_a_week_and_caps_at_thirty_days() {
        assert_eq!(validity(None).unwrap(), 7 * 86400);
        assert!(validity(Some(0)).is_err());
        assert!(validity(Some(31 * 86400)).is_err());
        assert_eq!(validity(Some(60)).unwrap(), 60);
    }

    #[test]
    fn email_has_the_link_message_and_plain_words_and_escapes_html() {
        let e = email(
            &welcome("Hi <b>Bob</b>\nenjoy"),
            "https://k.example/invite/abc",
        );
        assert!(e.text.contains("https://k.example/invite/abc"));
        assert!(e.text.contains("Hi <b>Bob</b>"));
        assert!(e.text.contains("Read bucket in.c-tutorial; nothing else"));
        assert!(e.text.contains("does not expire"));
        assert!(
            e.text
                .contains("valid until Tuesday 1 December 2026, 00:00 UTC (2026-12-01T00:00:00Z)"),
            "{}",
            e.text
        );
        assert!(e.html.contains("Hi &lt;b&gt;Bob&lt;/b&gt;"));
        assert!(e.html.contains("Ann &lt;ops&gt;"));
        assert!(e.html.contains("href=\"https://k.example/invite/abc\""));
        assert!(!e.html.contains("<b>Bob"));
        assert!(e.subject.contains("tutorial"));
    }
}
