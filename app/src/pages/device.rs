//! `/device`: a signed-in person approves a command-line sign-in (RFC 8628)
//! by the code their terminal shows; `?code=` fills it in.

use crate::api::use_api;
use crate::components::common::ErrorBanner;
use crate::mutation::Mutation;
use gloo_net::http::Method;
use keyward_domain::api::{DeviceApproval, DeviceApproved};
use keyward_domain::paths;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Device() -> impl IntoView {
    let api = use_api();
    let query = use_query_map();
    let code = RwSignal::new(
        query
            .with_untracked(|q| q.get("code"))
            .unwrap_or_default()
            .to_uppercase(),
    );
    let approved = RwSignal::new(None::<DeviceApproved>);
    let approve = Mutation::new(
        move |body: DeviceApproval| async move {
            api.send::<_, DeviceApproved>(Method::POST, paths::DEVICE_APPROVE.template(), &body)
                .await
        },
        move |a| approved.set(Some(a)),
    );
    let (pending, failure) = (approve.pending(), approve.failure());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        approve.dispatch(DeviceApproval {
            user_code: code.get_untracked().trim().to_uppercase(),
        });
    };
    let form = move || {
        view! {
            <p>
                "A terminal asks to sign in as you. Check that the code below is the one it shows, then approve: it receives a key of its own, valid for 30 days."
            </p>
            <form on:submit=submit data-testid="device-form">
                <div class="field">
                    <label for="device-code">"Code shown in the terminal"</label>
                    <input id="device-code" type="text" autocomplete="off" spellcheck="false"
                        placeholder="BCDF-GHJK" data-testid="device-code" bind:value=code />
                </div>
                <ErrorBanner failure />
                <div class="actions">
                    <button type="submit" class="primary" data-testid="device-approve" disabled=move || pending.get()>
                        {move || if pending.get() { "Approving…" } else { "Approve this sign-in" }}
                    </button>
                </div>
            </form>
        }
    };
    view! {
        <div class="page-head"><h1>"Approve a sign-in"</h1></div>
        <section class="card">
            {move || match approved.get() {
                Some(a) => view! {
                    <div class="banner banner-info" role="status" data-testid="device-approved">
                        <strong>{format!("Approved: {}", a.client_name)}</strong>
                        ". You can return to your terminal."
                    </div>
                }.into_any(),
                None => form().into_any(),
            }}
        </section>
    }
}
