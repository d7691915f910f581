//! How much of a budget an isolate is handed at once: the one sizing rule
//! of the rate limit's slot leases ([`crate::ratelimit`]) and the usage
//! limit's use leases ([`crate::quota`]). Below both, so neither needs the
//! other for it.

/// How many slots to lease out of `available`: a tenth of what is left,
/// at most 100; one at a time once fewer than 20 are left.
pub fn slice(available: u32) -> u32 {
    if available >= 20 {
        (available / 10).min(100)
    } else {
        available.min(1)
    }
}
