//! The permission grid: one group per catalog service, in it one access
//! level per group of permissions linked by implication ("No access /
//! Read / Read and write") and a tick for each permission outside any such
//! group, and a scope per resource-typed permission. All state lives in a
//! [`Grid`] (pure, tested in the domain, as are the levels); the view only
//! derives from it.

use crate::api::{query, Api};
use crate::resources::{buckets_path, objects_path};
use keyward_domain::api::{BucketList, ObjectList};
use keyward_domain::catalog::PermissionDef;
use keyward_domain::describe::{
    all_label, noun, part_noun, plural, summary, tables_of, with_article, Grid,
};
use keyward_domain::level::{controls, Control, Levels};
use keyward_domain::{Effective, Grant, Resource};
use leptos::prelude::*;

/// How many resources a picker lists at once; a search finds the others.
const SHOWN: usize = 100;

/// How long typing pauses before the picker asks the API.
const SEARCH_PAUSE_MS: u32 = 200;

/// Where the picker finds existing resources: the API's bucket search in
/// one project. Searching on the server keeps the picker as fast at 10,000
/// buckets as at ten; ids of any type can still be typed. A search holding
/// `/` ("in.c-main/ord") lists that bucket's tables instead.
#[derive(Clone, Copy)]
pub struct Finder {
    source: Source,
}

#[derive(Clone, Copy)]
enum Source {
    Api {
        api: Api,
        /// `None`: the caller's own project.
        project: Signal<Option<String>>,
    },
    /// A list already at hand, searched here (the component tests).
    Fixed(StoredValue<Vec<String>>),
}

impl Finder {
    pub fn buckets(api: Api, project: Signal<Option<String>>) -> Finder {
        Finder {
            source: Source::Api { api, project },
        }
    }

    pub fn fixed(buckets: Vec<String>) -> Finder {
        Finder {
            source: Source::Fixed(StoredValue::new(buckets)),
        }
    }

    /// The same search in another project (a global key's per-project grids).
    pub fn in_project(self, project: String) -> Finder {
        match self.source {
            Source::Api { api, .. } => Finder::buckets(api, Signal::stored(Some(project))),
            Source::Fixed(_) => self,
        }
    }

    /// Subscribes the caller to what the search depends on besides its
    /// text (the project chosen on the page).
    fn track(self) {
        if let Source::Api { project, .. } = self.source {
            project.track();
        }
    }

    /// Up to `limit` ids of `resource_type` containing `q` (any case),
    /// first by id; with `bucket/` in front, that bucket's tables whose
    /// name contains the rest. `None` for types that cannot be listed.
    async fn search(self, resource_type: &str, q: &str, limit: usize) -> Option<Vec<String>> {
        if resource_type != "bucket" {
            return None;
        }
        let q = q.trim().to_string();
        let table = q
            .split_once('/')
            .map(|(b, t)| (b.to_string(), t.to_lowercase()));
        // A table's id is its bucket's, '/', its name: the name is searched.
        let in_bucket = |id: &str, (bucket, needle): &(String, String)| {
            id.strip_prefix(bucket.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| name.to_lowercase().contains(needle))
        };
        match (self.source, table) {
            (Source::Fixed(ids), table) => Some(ids.with_value(|ids| {
                let needle = q.to_lowercase();
                let mut found: Vec<String> = ids
                    .iter()
                    .filter(|id| match &table {
                        Some(t) => in_bucket(id, t),
                        None => !id.contains('/') && id.to_lowercase().contains(&needle),
                    })
                    .cloned()
                    .collect();
                found.sort();
                found.truncate(limit);
                found
            })),
            (Source::Api { api, project }, Some(t)) => {
                if !keyward_domain::validate::is_resource_id(&t.0) {
                    return Some(vec![]);
                }
                // Tables are not stored as such: they are the first parts
                // of the bucket's object keys.
                let path = objects_path(project.get_untracked().as_deref(), &t.0);
                let objects = api.get::<ObjectList>(&path).await.map(|l| l.items);
                let keys = objects.iter().flatten().map(|o| o.key.as_str());
                let mut found = tables_of(&t.0, keys);
                found.retain(|id| in_bucket(id, &t));
                found.truncate(limit);
                Some(found)
            }
            (Source::Api { api, project }, None) => {
                let path = buckets_path(project.get_untracked().as_deref());
                let path = format!("{path}{}", query(&[("q", q), ("limit", limit.to_string())]));
                // A token that cannot list buckets still gets the grid: ids
                // can be typed.
                Some(
                    api.get::<BucketList>(&path)
                        .await
                        .map(|l| l.items.into_iter().map(|b| b.id).collect())
                        .unwrap_or_default(),
                )
            }
        }
    }
}

/// An API error that names one grant, placed next to its row.
pub type GrantError = (String, String, String);

#[component]
pub fn PermissionGrid(
    grid: RwSignal<Grid>,
    finder: Finder,
    #[prop(optional, into)] errors: Signal<Vec<GrantError>>,
    /// What the signed-in token may hand on; rows beyond it say so.
    #[prop(optional, into)]
    held: Signal<Option<Effective>>,
    /// Set when several grids share a page (a global key's per-project
    /// grids): keeps element ids and radio groups apart.
    #[prop(optional, into)]
    prefix: String,
) -> impl IntoView {
    // The catalog does not change while the grid is shown: its structure is
    // rendered once, the rows react to the grid.
    let catalog = grid.with_untracked(|g| g.catalog().clone());
    let services = catalog
        .services
        .iter()
        .map(|svc| {
            let sid = svc.id.clone();
            let def = |p: &str| svc.permissions.iter().find(|d| d.id == p).cloned();
            let rows = controls(&catalog, &svc.id)
                .into_iter()
                .map(|control| match control {
                    Control::Tick(p) => def(&p).map(|def| {
                        view! { <PermissionRow service=sid.clone() def tick=true grid finder errors held prefix=prefix.clone() /> }
                            .into_any()
                    }),
                    Control::Levels(levels) => {
                        let defs = levels.permissions.iter().filter_map(|p| def(p)).collect();
                        Some(view! { <LevelControl service=sid.clone() levels defs grid finder errors held prefix=prefix.clone() /> }.into_any())
                    }
                })
                .collect_view();
            view! {
                <fieldset class="grid-service" data-testid=format!("grid-service-{}", svc.id)>
                    <legend>{svc.title.clone()}</legend>
                    {rows}
                </fieldset>
            }
        })
        .collect_view();
    view! { <div class="grid" data-testid="grid">{services}</div> }
}

/// One access level over permissions linked by implication, then, for
/// each permission the level holds, what it is on.
#[component]
fn LevelControl(
    service: String,
    levels: Levels,
    defs: Vec<PermissionDef>,
    grid: RwSignal<Grid>,
    finder: Finder,
    errors: Signal<Vec<GrantError>>,
    held: Signal<Option<Effective>>,
    prefix: String,
) -> impl IntoView {
    let key = format!("{service}-{}", levels.key());
    let select_id = format!("{prefix}level-{key}");
    let label = match &levels.subject {
        Some(s) => format!("Access to {s}"),
        None => "Access".to_string(),
    };
    let levels = StoredValue::new(levels);
    let level = {
        let s = service.clone();
        Memo::new(move |_| levels.with_value(|l| grid.with(|g| g.level(&s, l))))
    };
    let choose = {
        let s = service.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            levels.with_value(|l| {
                if let Some(i) = l.by_value(&value) {
                    grid.update(|g| g.set_level(&s, l, i));
                }
            })
        }
    };
    let options = levels.with_value(|l| {
        l.levels
            .iter()
            .enumerate()
            .map(|(i, lv)| {
                view! { <option value=lv.value() prop:selected=move || level.get() == i>{lv.label.clone()}</option> }
            })
            .collect_view()
    });
    let rows = defs
        .into_iter()
        .map(|def| {
            view! { <PermissionRow service=service.clone() def tick=false grid finder errors held prefix=prefix.clone() /> }
        })
        .collect_view();
    view! {
        <div class="level-control" data-testid=format!("level-control-{key}")>
            <div class="perm-head">
                <label class="level-label" for=select_id.clone()>{label}</label>
                <select id=select_id data-testid=format!("level-{key}") on:change=choose>
                    {options}
                </select>
            </div>
            {rows}
        </div>
    }
}

/// One permission: a tick box of its own (`tick`), or, under a level,
/// shown only while the level holds it.
#[component]
fn PermissionRow(
    service: String,
    def: PermissionDef,
    tick: bool,
    grid: RwSignal<Grid>,
    finder: Finder,
    errors: Signal<Vec<GrantError>>,
    held: Signal<Option<Effective>>,
    prefix: String,
) -> impl IntoView {
    let pid = def.id.clone();
    let key = format!("{service}-{pid}");
    let resource_type = def.resource_type.clone();
    let row = {
        let (s, p) = (service.clone(), pid.clone());
        Memo::new(move |_| grid.with(|g| g.row(&s, &p, &[])))
    };
    let row: Signal<keyward_domain::describe::RowView> = row.into();
    let toggle = {
        let (s, p) = (service.clone(), pid.clone());
        move |_| {
            grid.update(|g| {
                g.toggle(&s, &p);
            })
        }
    };
    let implied_note = move || {
        let r = row.get();
        r.locked
            .then(|| format!("implied by {}", r.implied_by.join(", ")))
    };
    let error = {
        let (s, p) = (service.clone(), pid.clone());
        move || {
            errors.with(|e| {
                e.iter()
                    .filter(|(es, ep, _)| *es == s && *ep == p)
                    .map(|(_, _, m)| m.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        }
    };
    // An implied permission shows what it covers in one line; its own
    // scope editor opens only on request, to widen it.
    let widened = RwSignal::new(false);
    let widen_testid = format!("widen-{key}");
    let compact_testid = format!("implied-scope-{key}");
    let scope_prefix = prefix.clone();
    let scope = resource_type.map(|rt| {
        let (s, p, prefix) = (service.clone(), pid.clone(), scope_prefix);
        let catalog = grid.with_untracked(|g| g.catalog().clone());
        let plural_noun = plural(&noun(&catalog, &rt));
        let choice = move || {
            view! { <ScopeChoice service=s.clone() permission=p.clone() resource_type=rt.clone() grid row finder prefix=prefix.clone() /> }
        };
        let compact = move || {
            let r = row.get();
            let sc = r.scope.clone()?;
            let covers = if sc.all {
                format!("All {plural_noun}")
            } else {
                sc.resources
                    .iter()
                    .filter(|x| x.checked)
                    .map(|x| x.id.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let widen = (!sc.all).then(|| {
                view! {
                    <button type="button" class="link" data-testid=widen_testid.clone()
                        on:click=move |_| widened.set(true)>
                        {format!("Also allow other {plural_noun}…")}
                    </button>
                }
            });
            Some(view! {
                <div class="scope scope-compact" data-testid=compact_testid.clone()>
                    <span>"On: "<strong>{if covers.is_empty() { "nothing yet".to_string() } else { covers }}</strong></span>
                    {widen}
                </div>
            })
        };
        view! {
            <Show when=move || {
                let r = row.get();
                r.checked && (!r.locked || r.ticked || widened.get())
            }>{choice.clone()}</Show>
            <Show when=move || {
                let r = row.get();
                r.locked && !r.ticked && !widened.get()
            }>{compact.clone()}</Show>
        }
    });
    // Privilege escalation is refused by the API; say so before submitting.
    let limit = {
        let (s, p) = (service.clone(), pid.clone());
        move || {
            held.with(|h| {
                let h = h.as_ref()?;
                let mine: Vec<&Grant> = h
                    .grants()
                    .filter(|g| g.service == s && g.permission == p)
                    .collect();
                if mine.is_empty() {
                    Some("Your token cannot grant this.".to_string())
                } else if mine
                    .iter()
                    .any(|g| matches!(g.resource, None | Some(Resource::All)))
                {
                    None
                } else {
                    let ids: Vec<&str> = mine
                        .iter()
                        .filter_map(|g| g.resource.as_ref().map(Resource::as_str))
                        .collect();
                    Some(format!(
                        "Your token can grant this only on: {}.",
                        ids.join(", ")
                    ))
                }
            })
        }
    };
    let limit_testid = format!("limit-{key}");
    let hint_id = format!("{prefix}implied-{key}");
    let (perm_testid, grant_testid, implied_testid, error_testid) = (
        format!("perm-{key}"),
        format!("grant-{key}"),
        format!("implied-{key}"),
        format!("grant-error-{key}"),
    );
    let title = def.title.clone();
    let head = if tick {
        view! {
            <div class="perm-head">
                <label class="perm-label">
                    <input
                        type="checkbox"
                        data-testid=grant_testid
                        prop:checked=move || row.get().checked
                        disabled=move || row.get().locked
                        aria-describedby=hint_id.clone()
                        on:change=toggle
                    />
                    <span class="perm-title">{title}</span>
                </label>
                <code class="perm-id">{format!("{service}:{pid}")}</code>
                <span class="implied" id=hint_id data-testid=implied_testid>
                    {implied_note}
                </span>
            </div>
        }
        .into_any()
    } else {
        let id = format!("{service}:{pid}");
        view! {
            <Show when=move || row.get().checked>
                <div class="perm-head" data-testid=format!("level-perm-{key}")>
                    <span class="perm-title">{title.clone()}</span>
                    <code class="perm-id">{id.clone()}</code>
                    <span class="implied" id=hint_id.clone() data-testid=implied_testid.clone()>
                        {implied_note}
                    </span>
                </div>
            </Show>
        }
        .into_any()
    };
    view! {
        <div class="perm" class:perm-on=move || row.get().checked class:perm-in-level=!tick data-testid=perm_testid>
            {head}
            {move || limit().map(|text| view! { <p class="limit" data-testid=limit_testid.clone()>{text}</p> })}
            {scope}
            <Show when={
                let error = error.clone();
                move || !error().is_empty()
            }>
                <p class="field-error" role="alert" data-testid=error_testid.clone()>
                    {error.clone()}
                </p>
            </Show>
        </div>
    }
}

#[component]
fn ScopeChoice(
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

/// What the token will be able to do, in words, plus what still blocks it.
/// `extra` are grants it gets from elsewhere (its linked personas), named
/// in `sources`; the sentence covers both.
#[component]
pub fn GrantSummary(
    grid: RwSignal<Grid>,
    #[prop(optional, into)] extra: Signal<Vec<Grant>>,
    #[prop(optional, into)] sources: Signal<Vec<String>>,
    #[prop(optional, into)] heading: Option<String>,
    /// Editing: the grants saved now; the summary then says what saving
    /// adds and removes.
    #[prop(default = None)]
    before: Option<Vec<Grant>>,
    /// Kept in view above the grid while it scrolls.
    #[prop(optional)]
    sticky: bool,
) -> impl IntoView {
    let text = move || {
        grid.with(|g| {
            let mut all = g.grants();
            extra.with(|e| all.extend(e.iter().cloned()));
            summary(g.catalog(), &all)
        })
    };
    let problems = move || grid.with(|g| g.problems());
    // Grants the API would not store on their own, because another one
    // covers them: said here, so nothing is rewritten silently.
    let absorbed = move || {
        grid.with(|g| {
            g.absorbed()
                .into_iter()
                .map(|(g, by)| {
                    format!("{g} is covered by {by}, so only {by} is saved; once saved, removing {by} later removes {g} too.")
                })
                .collect::<Vec<_>>()
        })
    };
    let change = before.map(|before| {
        let text = move || {
            grid.with(|g| {
                keyward_domain::describe::change(g.catalog(), &before, &g.grants())
                    .unwrap_or_else(|| "No change to its own permissions".to_string())
            })
        };
        view! { <p class="summary-change" data-testid="summary-change">{text}</p> }
    });
    let heading = heading.unwrap_or_else(|| "This token will be able to".to_string());
    view! {
        <section class="summary" class:summary-sticky=sticky aria-live="polite" data-testid="summary-box">
            <h3>{heading}</h3>
            <p data-testid="summary">{text}</p>
            {change}
            <Show when=move || !absorbed().is_empty()>
                <ul class="absorbed muted small" data-testid="summary-absorbed">
                    {move || absorbed().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                </ul>
            </Show>
            <Show when=move || sources.with(|s| !s.is_empty())>
                <p class="summary-sources muted small" data-testid="summary-sources">
                    {move || format!("Its own permissions plus those of {}.", sources.get().join(", "))}
                </p>
            </Show>
            <Show when=move || !problems().is_empty()>
                <ul class="problems" data-testid="grid-problems">
                    {move || {
                        problems()
                            .into_iter()
                            .map(|(_, _, m)| view! { <li>{m}</li> })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}
