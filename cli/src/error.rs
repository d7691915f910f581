//! Every way a command can fail, and the exit code each one means:
//! 0 success, 1 the API refused or could not be reached, 2 usage.

use keyward_domain::Problem;
use std::fmt;

pub const EXIT_REFUSED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug)]
pub enum CliError {
    /// The API answered with a problem (`code`, `detail`).
    Api(Box<Problem>),
    /// A problem whose `code` this build does not know (a newer worker):
    /// still reported by its code and detail, not as a garbled answer.
    ApiOther { code: String, detail: String },
    /// The API answered something that is not the contract: a proxy's HTML
    /// page, a body of the wrong shape.
    Unexpected { url: String, message: String },
    /// No answer at all; names the URL tried.
    Network { url: String, message: String },
    /// The command line cannot be carried out as given.
    Usage(String),
    /// The config file cannot be read or written.
    Config(String),
    /// A check the command performs itself failed (`verify` of an invalid
    /// key): already reported, exit 1.
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            _ => EXIT_REFUSED,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Api(p) => {
                // `code: detail` first, so scripts can grep the code; field
                // errors after, one a line, as the API names them.
                write!(f, "{}: {}", p.code.as_str(), p.detail)?;
                for e in p.errors.iter().flatten() {
                    write!(f, "\n  {}: {}", e.field, e.message)?;
                }
                Ok(())
            }
            CliError::ApiOther { code, detail } => write!(f, "{code}: {detail}"),
            CliError::Unexpected { url, message } => {
                write!(f, "unexpected answer from {url}: {message}")
            }
            CliError::Network { url, message } => {
                write!(f, "network error: could not reach {url}: {message}")
            }
            CliError::Usage(m) | CliError::Config(m) | CliError::Failed(m) => f.write_str(m),
        }
    }
}
