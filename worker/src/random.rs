//! Randomness: the worker's CSPRNG and the random ids every record
//! carries. At the bottom of the worker: the HTTP plumbing names requests
//! with it, the stores name rows with it.

/// The worker's CSPRNG (Web Crypto's getRandomValues via getrandom).
/// Without randomness no secret may be made, so failure is fatal to the
/// request, never papered over.
pub fn fill_random(buf: &mut [u8]) {
    if getrandom::getrandom(buf).is_err() {
        panic!("no CSPRNG available");
    }
}

/// `prefix` and `len` random characters (a request's, a row's id).
pub fn random_id(prefix: &str, len: usize) -> String {
    format!(
        "{prefix}{}",
        keyward_domain::secret::random_id(len, fill_random)
    )
}
