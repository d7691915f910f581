//! Where the token will work: one project, or (admins) across projects as
//! a global key, with grants per project.

use super::Fields;
use keyward_domain::api::Project;
use leptos::prelude::*;

#[component]
pub(super) fn ScopeSection(
    fields: Fields,
    projects: Signal<Vec<Project>>,
    may_global: bool,
) -> impl IntoView {
    let (editing, global) = (fields.editing, fields.global);
    view! {
        <fieldset class="field scope-field" id="token-scope" tabindex="-1" data-testid="token-scope">
            <legend>{if editing { "Global key" } else { "Where the token works" }}</legend>
            // Only admins choose; a token never changes kind once made.
            {(may_global && !editing).then(|| view! {
                <div class="choices">
                    <label class="choice">
                        <input type="radio" name="token-scope" data-testid="scope-project"
                            prop:checked=move || !global.get() on:change=move |_| global.set(false) />
                        "In one project"
                    </label>
                    <label class="choice">
                        <input type="radio" name="token-scope" data-testid="scope-global"
                            prop:checked=move || global.get() on:change=move |_| global.set(true) />
                        "Global key, across projects"
                    </label>
                </div>
            })}
            <Show when=move || !global.get() && !editing>
                <ProjectSelect project=fields.project projects />
            </Show>
            <Show when=move || global.get()>
                <GlobalGrants fields projects />
            </Show>
        </fieldset>
    }
}

/// A project token's project. The chosen one is always offered, even
/// before the list loads.
#[component]
fn ProjectSelect(project: RwSignal<String>, projects: Signal<Vec<Project>>) -> impl IntoView {
    let options = move || {
        let mut ids: Vec<(String, String)> = projects.with(|ps| {
            ps.iter()
                .map(|p| (p.id.clone(), format!("{} ({})", p.name, p.id)))
                .collect()
        });
        let current = project.get();
        if !ids.iter().any(|(id, _)| *id == current) {
            ids.insert(0, (current.clone(), current));
        }
        ids
    };
    view! {
        <label class="date-label" for="token-project">"Project"</label>
        <select id="token-project" data-testid="token-project"
            prop:value=move || project.get()
            on:change=move |ev| project.set(event_target_value(&ev))>
            {move || options().into_iter().map(|(id, label)| {
                let selected = id == project.get_untracked();
                view! { <option value=id.clone() selected=selected>{label}</option> }
            }).collect_view()}
        </select>
        <p class="muted small">"A project token cannot reach any other project."</p>
    }
}

/// A global key: admin of everything, or grants in ticked projects.
#[component]
fn GlobalGrants(fields: Fields, projects: Signal<Vec<Project>>) -> impl IntoView {
    let (global_admin, granted) = (fields.global_admin, fields.granted_projects);
    let toggle = move |id: String| {
        granted.update(|g| {
            if let Some(i) = g.iter().position(|x| *x == id) {
                g.remove(i);
            } else {
                g.push(id);
                g.sort();
            }
        })
    };
    view! {
        <label class="choice global-admin">
            <input type="checkbox" data-testid="token-global-admin" bind:checked=global_admin />
            "Global admin: everything, in every project, including administering Keyward"
        </label>
        <Show when=move || global_admin.get()>
            <p class="banner banner-warn" role="note" data-testid="global-admin-warning">
                <strong>"Warning: "</strong>
                "a global admin key is as powerful as a master token. Prefer per-project grants."
            </p>
        </Show>
        <Show when=move || !global_admin.get()>
            <div class="project-choices">
                <p class="muted">"Grants below under “every project” hold everywhere; tick projects to add grants that hold only there."</p>
                <div class="choices">
                    <For each=move || projects.get() key=|p| p.id.clone() let:p>
                        {
                            let (id, here) = (p.id.clone(), p.id.clone());
                            view! {
                                <label class="choice">
                                    <input type="checkbox" data-testid=format!("project-grant-{}", p.id)
                                        prop:checked=move || granted.with(|g| g.contains(&here))
                                        on:change=move |_| toggle(id.clone()) />
                                    {p.name.clone()} " " <code>{p.id.clone()}</code>
                                </label>
                            }
                        }
                    </For>
                </div>
            </div>
        </Show>
    }
}
