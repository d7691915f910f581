//! The persona picker (Atlan): which personas a token or member links.
//! Linking is a complete set: what is not ticked on save is unlinked.

use keyward_domain::api::Persona;
use keyward_domain::describe::summary;
use keyward_domain::{Catalog, Grant};
use leptos::prelude::*;

/// The grants the `chosen` personas bring, in list order.
pub fn persona_grants(personas: &[Persona], chosen: &[String]) -> Vec<Grant> {
    personas
        .iter()
        .filter(|p| chosen.contains(&p.id))
        .flat_map(|p| p.grants.iter().cloned())
        .collect()
}

/// The names of the `chosen` personas (ids whose persona is unknown stay ids).
pub fn persona_names(personas: &[Persona], chosen: &[String]) -> Vec<String> {
    chosen
        .iter()
        .map(|id| {
            personas
                .iter()
                .find(|p| &p.id == id)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| id.clone())
        })
        .collect()
}

pub const COMPLETE_SET_NOTE: &str =
    "Linked personas are a complete set: any persona you untick is unlinked when you save.";

#[component]
pub fn PersonaPicker(
    #[prop(into)] personas: Signal<Vec<Persona>>,
    chosen: RwSignal<Vec<String>>,
    catalog: Catalog,
    /// Whom the personas are for, in the legend ("token", "member").
    #[prop(into)]
    subject: String,
) -> impl IntoView {
    let catalog = StoredValue::new(catalog);
    let toggle = move |id: String| {
        chosen.update(|c| {
            if let Some(i) = c.iter().position(|x| *x == id) {
                c.remove(i);
            } else {
                c.push(id);
            }
        })
    };
    // Linked ids whose persona no longer exists are still shown, so that
    // saving does not unlink them silently.
    let unknown = move || {
        chosen.with(|c| {
            personas.with(|ps| {
                c.iter()
                    .filter(|id| !ps.iter().any(|p| &p.id == *id))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    };
    view! {
        <fieldset class="field personas" data-testid="persona-picker" aria-describedby="personas-note">
            <legend>{format!("Personas linked to this {subject}")}</legend>
            <p class="banner banner-info note" id="personas-note" role="note" data-testid="personas-note">
                {COMPLETE_SET_NOTE}
            </p>
            <Show
                when=move || personas.with(|p| !p.is_empty())
                fallback=|| view! { <p class="muted" data-testid="personas-none">"No personas yet. Admins create them on the Personas page."</p> }
            >
                <ul class="persona-options" role="list">
                    <For each=move || personas.get() key=|p| p.id.clone() let:p>
                        {
                            let id = p.id.clone();
                            let here = id.clone();
                            // The row stays while the list changes: its name and
                            // grants are read from the list by id.
                            let current = {
                                let id = id.clone();
                                move || personas.with(|ps| ps.iter().find(|x| x.id == id).cloned())
                            };
                            let name = {
                                let current = current.clone();
                                move || current().map(|p| p.name).unwrap_or_default()
                            };
                            let line = move || {
                                current()
                                    .map(|p| catalog.with_value(|c| summary(c, &p.grants)))
                                    .unwrap_or_default()
                            };
                            view! {
                                <li>
                                    <label class="persona-option" data-testid="persona-option">
                                        <input
                                            type="checkbox"
                                            data-testid=format!("persona-{}", p.id)
                                            prop:checked=move || chosen.with(|c| c.contains(&here))
                                            on:change=move |_| toggle(id.clone())
                                        />
                                        <span>
                                            <strong class="persona-name">{name}</strong>
                                            <span class="muted small persona-line">" — " {line}</span>
                                        </span>
                                    </label>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
            {move || {
                let gone = unknown();
                (!gone.is_empty()).then(|| view! {
                    <p class="muted small" data-testid="personas-unknown">
                        {format!("Also linked, not in the list: {}.", gone.join(", "))}
                    </p>
                })
            }}
        </fieldset>
    }
}
