//! A permission's scope: every resource, or chosen ones, picked from what
//! the [`Finder`](super::Finder) lists or typed by id.

use super::finder::{SEARCH_PAUSE_MS, SHOWN};
use super::Finder;
use keyward_domain::describe::{all_label, noun, part_noun, plural, with_article, Grid};
use leptos::prelude::*;

#[component]
pub(super) fn ScopeChoice(
    service: String,
    permission: String,
    resource_type: String,
    grid: RwSignal<Grid>,
    row: Signal<keyward_domain::describe::RowView>,
    finder: Finder,
    prefix: String,
) -> impl IntoView {
    let key = format!("{service}-{permission}");
    let catalog = grid.with_untracked(|g| g.catalog().clone());
    let all_text = all_label(&catalog, &resource_type);
    let noun_one = noun(&catalog, &resource_type);
    let scope = move || row.get().scope;
    let all = move || scope().is_some_and(|s| s.all);
    let all_locked = move || scope().is_some_and(|s| s.all_locked);
    let set_all = {
        let (s, p) = (service.clone(), permission.clone());
        move |v: bool| grid.update(|g| g.set_all(&s, &p, v))
    };
    let set_all_true = set_all.clone();
    let typed = RwSignal::new(String::new());
    let add_error = RwSignal::new(None::<String>);
    let add = {
        let (s, p) = (service.clone(), permission.clone());
        move || {
            let raw = typed.get_untracked();
            let mut result = Ok(());
            grid.update(|g| result = g.add_resource(&s, &p, &raw));
            match result {
                Ok(()) => {
                    typed.set(String::new());
                    add_error.set(None);
                }
                Err(e) => add_error.set(Some(e)),
            }
        }
    };
    let add_click = add.clone();
    // The picker: the API searches (after a pause in typing) and answers
    // at most SHOWN + 1 ids, so it stays fast at 10,000 buckets; ids picked
    // or implied are listed too, whether or not they exist.
    let search = RwSignal::new(String::new());
    let results = {
        let rt = resource_type.clone();
        crate::resources::load(move || {
            finder.track();
            let q = search.get();
            let rt = rt.clone();
            async move {
                if !q.is_empty() {
                    gloo_timers::future::TimeoutFuture::new(SEARCH_PAUSE_MS).await;
                    if search.get_untracked() != q {
                        // Typed on meanwhile: the newer search answers.
                        return None;
                    }
                }
                finder.search(&rt, &q, SHOWN + 1).await
            }
        })
    };
    let found = move || results.get().flatten().unwrap_or_default();
    let matching = {
        let (s, p) = (service.clone(), permission.clone());
        move || {
            let needle = search.with(|q| q.trim().to_lowercase());
            let ids = found();
            grid.with(|g| g.row(&s, &p, &ids))
                .scope
                .map(|sc| {
                    sc.resources
                        .into_iter()
                        .filter(|r| needle.is_empty() || r.id.to_lowercase().contains(&needle))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    let select_matching = {
        let (s, p) = (service.clone(), permission.clone());
        let matching = matching.clone();
        move |_: leptos::ev::MouseEvent| {
            let ids: Vec<String> = matching().into_iter().map(|r| r.id).collect();
            grid.update(|g| g.select_resources(&s, &p, &ids));
        }
    };
    // Under a type with parts (a bucket's tables), how to reach them: the
    // search lists a bucket's tables once it holds "<bucket>/". Other types
    // keep the line hidden and empty.
    let part = part_noun(&resource_type);
    let help_id = format!("{prefix}resource-help-{key}");
    let help_testid = format!("resource-help-{key}");
    let help = {
        let whole = noun_one.clone();
        move || {
            let part = part?;
            let parts = plural(part);
            Some(match search.with(|q| q.split_once('/').map(|(b, _)| b.trim().to_string())) {
                Some(b) => format!("Showing the {parts} of {whole} {b}: a {part} holds the objects whose key starts with its name and “/”."),
                None => format!("Type {} id and “/” to choose one of its {parts}.", with_article(&whole)),
            })
        }
    };
    let search_testid = format!("resource-search-{key}");
    let matching_testid = format!("resource-select-matching-{key}");
    let count_testid = format!("resource-count-{key}");
    let search_label = format!("Search {}", plural(&noun_one));
    // What the picker says: how many match (the API answers one more than
    // it lists, to know there are others), and whether any are left to pick.
    let state = {
        let matching = matching.clone();
        move || {
            let more = found().len() > SHOWN;
            let listed = matching();
            let open = listed.iter().filter(|r| !r.checked && !r.locked).count();
            let filtered = search.with(|q| !q.trim().is_empty());
            (listed.len().min(SHOWN), more, open, filtered)
        }
    };
    let count = {
        let state = state.clone();
        move || {
            let (n, more, _, filtered) = state();
            match (filtered, more) {
                (false, false) => String::new(),
                (false, true) => format!("Showing the first {SHOWN}; search to find the others."),
                (true, false) => format!("{n} match."),
                (true, true) => format!("More than {SHOWN} match; showing the first {SHOWN}."),
            }
        }
    };
    let has_list = {
        let matching = matching.clone();
        move || {
            scope().is_some_and(|sc| !sc.all)
                && (search.with(|q| !q.is_empty()) || !matching().is_empty())
        }
    };
    // The search box is made once (it keeps focus while typing); only the
    // count and the button follow the search. "Select all" is offered only
    // when the API listed every match.
    let picker = view! {
        <Show when=has_list>
            <div class="resource-search inline">
                <input type="search" autocomplete="off" spellcheck="false"
                    aria-label=search_label.clone() placeholder=search_label.clone() aria-describedby=part.map(|_| help_id.clone())
                    data-testid=search_testid.clone() bind:value=search />
                {
                    let (testid, select, state) = (matching_testid.clone(), select_matching.clone(), state.clone());
                    move || {
                        let (n, more, open, filtered) = state();
                        (filtered && !more && open > 0).then(|| view! {
                            <button type="button" class="secondary small" data-testid=testid.clone()
                                on:click=select.clone()>
                                {format!("Select all {n} matching")}
                            </button>
                        })
                    }
                }
            </div>
            <p class="muted small" role="status" data-testid=count_testid.clone()>{count.clone()}</p>
            <p class="muted small" id=help_id.clone() hidden=part.is_none() data-testid=help_testid.clone()>{help.clone()}</p>
        </Show>
    };
    let resources = {
        let (s, p, key) = (service.clone(), permission.clone(), key.clone());
        move || {
            let Some(sc) = scope() else {
                return ().into_any();
            };
            if sc.all {
                return ().into_any();
            }
            let items = matching()
                .into_iter()
                .take(SHOWN)
                .map(|r| {
                    let (s, p, id) = (s.clone(), p.clone(), r.id.clone());
                    let toggle = move |_| grid.update(|g| g.toggle_resource(&s, &p, &id));
                    view! {
                        <li>
                            <label class="resource">
                                <input
                                    type="checkbox"
                                    data-testid=format!("resource-{key}-{}", r.id)
                                    prop:checked=r.checked
                                    disabled=r.locked
                                    on:change=toggle
                                />
                                <code>{r.id.clone()}</code>
                                {r.locked.then(|| view! { <span class="implied">"(implied)"</span> })}
                            </label>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="resources" aria-label=format!("Selected {}", plural(&noun_one))>{items}</ul> }
                .into_any()
        }
    };
    let noun_for_input = noun(&catalog, &resource_type);
    let legend = format!(
        "Which {} for {service}:{permission}",
        plural(&noun_for_input)
    );
    let add_label = match part_noun(&resource_type) {
        Some(part) => format!("Add {} or {part} by id", with_article(&noun_for_input)),
        None => format!("Add {} by id", with_article(&noun_for_input)),
    };
    let placeholder = if resource_type == "bucket" {
        "e.g. in.c-tutorial or in.c-tutorial/orders".to_string()
    } else {
        format!("{noun_for_input} id")
    };
    let (all_testid, only_testid, input_testid, add_testid, radio_name, scope_testid) = (
        format!("scope-{key}-all"),
        format!("scope-{key}-only"),
        format!("resource-input-{key}"),
        format!("resource-add-{key}"),
        format!("{prefix}scope-{key}"),
        format!("scope-{key}"),
    );
    let input_id = format!("{prefix}resource-input-{key}");
    view! {
        <fieldset class="scope" data-testid=scope_testid>
            <legend class="sr-only">{legend}</legend>
            <div class="scope-options">
                <label>
                    <input
                        type="radio"
                        name=radio_name.clone()
                        data-testid=all_testid
                        prop:checked=all
                        disabled=all_locked
                        on:change=move |_| set_all_true(true)
                    />
                    {all_text}
                </label>
                <label>
                    <input
                        type="radio"
                        name=radio_name
                        data-testid=only_testid
                        prop:checked=move || !all()
                        disabled=all_locked
                        on:change=move |_| set_all(false)
                    />
                    "Only selected"
                </label>
                <Show when=all_locked>
                    <span class="implied">"(implied)"</span>
                </Show>
            </div>
            {picker}
            {resources}
            <Show when=move || !all()>
                <div class="add-resource">
                    <label for=input_id.clone()>{add_label.clone()}</label>
                    <div class="inline">
                        <input
                            id=input_id.clone()
                            type="text"
                            autocomplete="off"
                            spellcheck="false"
                            placeholder=placeholder.clone()
                            data-testid=input_testid.clone()
                            bind:value=typed
                            on:keydown={
                                let add = add.clone();
                                move |ev: leptos::ev::KeyboardEvent| {
                                    // Enter adds the id instead of submitting the whole form.
                                    if ev.key() == "Enter" {
                                        ev.prevent_default();
                                        add();
                                    }
                                }
                            }
                        />
                        <button
                            type="button"
                            class="secondary"
                            data-testid=add_testid.clone()
                            on:click={
                                let add = add_click.clone();
                                move |_| add()
                            }
                        >
                            "Add"
                        </button>
                    </div>
                    {move || add_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
            </Show>
        </fieldset>
    }
}
