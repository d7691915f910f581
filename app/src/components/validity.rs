//! How long an emailed invitation may wait to be accepted: the choice the
//! token's "send" dialog and a member's invitation share.

use leptos::prelude::*;

/// The choices, in days (the API allows 30).
const VALIDITY_DAYS: [u64; 4] = [1, 7, 14, 30];
/// A week, as the API's default.
pub const DEFAULT_DAYS: u64 = 7;

/// The label and the choice; `id` is also the test id.
#[component]
pub fn ValiditySelect(id: &'static str, days: RwSignal<u64>) -> impl IntoView {
    view! {
        <label for=id>"The invitation can be accepted for"</label>
        <select id=id data-testid=id on:change=move |ev| {
            days.set(event_target_value(&ev).parse().unwrap_or(DEFAULT_DAYS))
        }>
            {VALIDITY_DAYS.iter().map(|d| {
                let label = if *d == 1 { "1 day".to_string() } else { format!("{d} days") };
                view! { <option value=d.to_string() selected=*d == DEFAULT_DAYS>{label}</option> }
            }).collect_view()}
        </select>
    }
}
