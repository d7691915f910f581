//! Mints a master secret and prints `<secret> <sha256>`: the run command's
//! first admin, and `wrangler secret put BOOTSTRAP_TOKEN_HASH` in production.
//! With `--with-hint`, also its hint (`scripts/recover-admin` needs it).

use keyward_domain::{Secret, TokenKind};

fn main() {
    let secret = Secret::generate(TokenKind::Master, |buf| {
        getrandom::getrandom(buf).expect("the OS CSPRNG")
    });
    if std::env::args().any(|a| a == "--with-hint") {
        println!(
            "{} {} {}",
            secret.expose(),
            secret.hash().as_str(),
            secret.hint()
        );
    } else {
        println!("{} {}", secret.expose(), secret.hash().as_str());
    }
}
