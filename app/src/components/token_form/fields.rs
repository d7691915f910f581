//! The token form's own fields: name and description, rate limit, expiry,
//! and the controls (validity, usage limit, networks, metadata).

use super::state::ExpiryPick;
use super::state::Presets;
use super::{Errors, Fields};
use crate::format;
use leptos::prelude::*;
use time::OffsetDateTime;

#[component]
pub(super) fn NameFields(fields: Fields, errors: Errors) -> impl IntoView {
    let (name_error, description_error) = (errors.of("name"), errors.of("description"));
    view! {
        <div class="field">
            <label for="token-name">"Name"</label>
            <input
                id="token-name"
                type="text"
                required
                maxlength="100"
                autocomplete="off"
                data-testid="token-name"
                aria-invalid=move || name_error().is_some().to_string()
                aria-describedby="token-name-error"
                bind:value=fields.name
            />
            <p class="field-error" id="token-name-error" data-testid="error-name">{name_error}</p>
        </div>
        <div class="field">
            <label for="token-description">"Description " <span class="muted">"(optional)"</span></label>
            <textarea
                id="token-description"
                rows="2"
                maxlength="1000"
                data-testid="token-description"
                aria-describedby="token-description-error"
                prop:value=move || fields.description.get()
                on:input=move |ev| fields.description.set(event_target_value(&ev))
            ></textarea>
            <p class="field-error" id="token-description-error" data-testid="error-description">{description_error}</p>
        </div>
    }
}

#[component]
pub(super) fn RateLimitField(fields: Fields, errors: Errors) -> impl IntoView {
    let rate_limit_error = errors.of("rate_limit");
    view! {
        <div class="field">
            <label for="token-rate-limit">"Rate limit " <span class="muted">"(requests per minute; empty: the deployment's default)"</span></label>
            <input
                id="token-rate-limit"
                type="number"
                min="1"
                max="100000"
                inputmode="numeric"
                placeholder="Default"
                data-testid="token-rate-limit"
                aria-invalid=move || rate_limit_error().is_some().to_string()
                aria-describedby="token-rate-limit-error"
                bind:value=fields.rate_limit
            />
            <p class="field-error" id="token-rate-limit-error" data-testid="error-rate_limit">{rate_limit_error}</p>
        </div>
    }
}

/// Expiration: keep (editing), a number of days, a date, or never, as the
/// project's policy allows.
#[component]
pub(super) fn ExpiryField(
    fields: Fields,
    errors: Errors,
    current: Option<Option<OffsetDateTime>>,
    presets: Memo<Presets>,
) -> impl IntoView {
    let pick = fields.pick;
    let option = move |p: ExpiryPick, label: String, testid: String| {
        view! {
            <label class="choice">
                <input type="radio" name="expiry" data-testid=testid
                    prop:checked=move || pick.get() == p on:change=move |_| pick.set(p) />
                {label}
            </label>
        }
    };
    let keep = current.map(|c| match c {
        None => "Keep: never expires".to_string(),
        Some(at) => format!("Keep: {}", format::when(at)),
    });
    let today = format::now().date().to_string();
    let days = move || {
        presets.with(|p| {
            p.days
                .iter()
                .map(|d| {
                    option(
                        ExpiryPick::Days(*d),
                        format!("{d} days"),
                        format!("expiry-{d}"),
                    )
                })
                .collect_view()
        })
    };
    let never = move || {
        presets
            .with(|p| p.never)
            .then(|| option(ExpiryPick::Never, "Never".into(), "expiry-never".into()))
    };
    view! {
        <fieldset class="field expiry-field" id="token-expiry" tabindex="-1" aria-describedby="expiry-error">
            <legend>"Expiration"</legend>
            <div class="choices">
                {keep.map(|c| option(ExpiryPick::Keep, c, "expiry-keep".into()))}
                {days}
                {option(ExpiryPick::Custom, "Custom date".into(), "expiry-custom".into())}
                {never}
            </div>
            {move || presets.with(|p| p.note.clone()).map(|n| view! { <p class="muted" data-testid="expiry-policy-note">{n}</p> })}
            <Show when=move || pick.get() == ExpiryPick::Custom>
                <label class="date-label">
                    "Expires at the end of (UTC)"
                    <input type="date" min=today.clone() data-testid="expiry-date" bind:value=fields.custom_date />
                </label>
            </Show>
            <Show when=move || pick.get() == ExpiryPick::Never>
                <p class="banner banner-warn" data-testid="never-warning" role="note">
                    <strong>"Warning: "</strong>
                    "a token that never expires stays valid until someone deletes it. Prefer an expiry and refresh the token when needed."
                </p>
            </Show>
            <p class="field-error" id="expiry-error" data-testid="error-expires_at">{errors.of("expires_at")}</p>
        </fieldset>
    }
}

/// Valid from, usage limit, allowed networks and metadata.
#[component]
pub(super) fn ControlsFields(fields: Fields, errors: Errors) -> impl IntoView {
    let input = move |id: &'static str,
                      field: &'static str,
                      value: RwSignal<String>,
                      kind: &'static str| {
        let error = errors.of(field);
        view! {
            <input id=id type=kind data-testid=id bind:value=value
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=format!("{id}-error") />
        }
    };
    let message = move |id: &'static str, field: &'static str| {
        view! { <p class="field-error" id=format!("{id}-error") data-testid=format!("error-{field}")>{errors.of(field)}</p> }
    };
    // Editing: the controls an edit changes, said before saving.
    let changes = move || {
        fields.editing.then(|| {
            fields.not_before.track();
            fields.allowed_ips.track();
            fields.meta.track();
            fields.uses.track();
            fields.refill.track();
            let now = fields.controls();
            let c = fields.initial.with_value(|i| super::state::control_changes(i, &now));
            (!c.is_empty()).then(|| view! { <p class="muted" data-testid="control-changes">{format!("This edit: {}.", c.join("; "))}</p> })
        })
    };
    let ips_error = errors.of("allowed_ips");
    let meta_error = errors.of("meta");
    view! {
        <fieldset class="field controls-field">
            <legend>"Limits " <span class="muted">"(optional)"</span></legend>
            <label for="token-not-before">"Valid from (UTC; empty: at once)"</label>
            {input("token-not-before", "not_before", fields.not_before, "datetime-local")}
            {message("token-not-before", "not_before")}
            <label for="token-uses">"Usage limit (uses; empty: no limit)"</label>
            <div class="row">
                {input("token-uses", "usage_limit", fields.uses, "number")}
                <label for="token-refill" class="sr-only">"Refilled"</label>
                <select id="token-refill" data-testid="token-refill" prop:value=move || fields.refill.get()
                    on:change=move |ev| fields.refill.set(event_target_value(&ev))>
                    {[("", "Never refilled"), ("daily", "Refilled daily"), ("monthly", "Refilled monthly")].into_iter().map(|(v, label)| view! {
                        <option value=v selected=move || fields.refill.with(|r| r == v)>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            {message("token-uses", "usage_limit")}
            <label for="token-allowed-ips">"Allowed networks (one address or network a line, like 203.0.113.0/24; empty: anywhere)"</label>
            <textarea id="token-allowed-ips" rows="3" data-testid="token-allowed-ips" bind:value=fields.allowed_ips
                aria-invalid=move || ips_error().is_some().to_string() aria-describedby="token-allowed-ips-error"></textarea>
            {message("token-allowed-ips", "allowed_ips")}
            <label for="token-meta-json">"Metadata (a JSON object, returned by verify and whoami)"</label>
            <textarea id="token-meta-json" rows="2" data-testid="token-meta-json" placeholder="{\"team\": \"data\"}" bind:value=fields.meta
                aria-invalid=move || meta_error().is_some().to_string() aria-describedby="token-meta-json-error"></textarea>
            {message("token-meta-json", "meta")}
            {changes}
        </fieldset>
    }
}
