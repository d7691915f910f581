//! Personal keys: their table, shared by the members page and the profile.

use crate::api::{use_api, ApiFailure};
use crate::components::common::{Expiry, RowDelete};
use crate::format;
use crate::mutation::Mutation;
use keyward_domain::api::Token;
use keyward_domain::paths;
use leptos::prelude::*;

/// A stored personal key is named "<email> · <name>": the name part.
pub fn key_label(stored: &str) -> &str {
    stored.rsplit(" · ").next().unwrap_or(stored)
}

/// Personal keys with a delete (confirmed in place) each; shared by the
/// members page and the profile.
#[component]
pub fn KeyTable(
    items: Vec<Token>,
    member_id: String,
    failure: RwSignal<Option<ApiFailure>>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let confirming = RwSignal::new(None::<String>);
    let member_id = StoredValue::new(member_id);
    let delete = Mutation::reporting_to(
        failure,
        move |path: String| async move { api.delete(&path).await },
        move |()| on_deleted.run(()),
    );
    view! {
        <div class="table-wrap">
            <table class="responsive" data-testid="key-table">
                <thead><tr>
                    <th scope="col">"Key"</th>
                    <th scope="col">"Client ID"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {items.clone().into_iter().map(|k| view! {
                        {
                            let id = k.id.clone();
                            let delete = Callback::new(move |()| {
                                delete.dispatch(member_id.with_value(|m| paths::MEMBER_KEY.with(&[m, &id])));
                            });
                            view! {
                                <tr data-testid="key-row" data-key-id=k.id.clone()>
                                    <td data-label="Key">
                                        <strong data-testid="key-name" title=k.name.clone()>{key_label(&k.name).to_string()}</strong>
                                        {(!k.description.is_empty()).then(|| view! { <div class="muted small">{k.description.clone()}</div> })}
                                    </td>
                                    <td data-label="Client ID"><code>{k.client_id.clone()}</code></td>
                                    <td data-label="Expires"><Expiry expires_at=k.expires_at /></td>
                                    <td data-label="Last used">{format::ago(k.last_used_at, "Never used")}</td>
                                    <td data-label="">
                                        <div class="row-actions">
                                            <RowDelete id=k.id.clone() label=k.name.clone() confirming=confirming
                                                testid="key-delete" warning="It stops working at once." on_confirm=delete />
                                        </div>
                                    </td>
                                </tr>
                            }
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
