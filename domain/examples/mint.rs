//! Mints a master secret and prints `<secret> <sha256>`: the run command's
//! first admin, and `wrangler secret put BOOTSTRAP_TOKEN_HASH` in production.

use keyward_domain::{Secret, TokenKind};

fn main() {
    let secret = Secret::generate(TokenKind::Master, |buf| {
        getrandom::getrandom(buf).expect("the OS CSPRNG")
    });
    println!("{} {}", secret.expose(), secret.hash().as_str());
}
