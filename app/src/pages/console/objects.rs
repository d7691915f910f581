//! The console's bucket view: its objects, viewed, downloaded, uploaded
//! and deleted where the token may.

use super::{tables_phrase, Reach};
use crate::api::{use_api, ApiFailure};
use crate::components::common::{ErrorBanner, RowDelete};
use crate::components::loader::loaded;
use crate::format;
use crate::mutation::Mutation;
use crate::resources::objects_path;
use crate::resources::{use_versions, Data};
use keyward_domain::api::{ObjectInfo, ObjectList};
use keyward_domain::paths;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

fn object_path(project: &str, bucket: &str, key: &str) -> String {
    format!(
        "{}{}",
        paths::PROJECT_SCOPE.with(&[project]),
        paths::OBJECT.with(&[bucket, key])
    )
}

/// Content types worth showing inline.
fn is_text(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence == "application/json"
        || essence.ends_with("+json")
        || essence == "application/xml"
        || essence.ends_with("+xml")
}

fn human_size(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

#[component]
pub(super) fn BucketView(project: String, bucket: String, reach: Reach) -> impl IntoView {
    let api = use_api();
    let versions = use_versions();
    let path = objects_path(Some(&project), &bucket);
    let objects = crate::resources::load(move || {
        versions.track(Data::Objects);
        let path = path.clone();
        async move { api.get::<ObjectList>(&path).await }
    });
    let failure = RwSignal::new(None::<ApiFailure>);
    let viewing = RwSignal::new(None::<(String, String)>);
    let title = format!("Objects in {bucket}");
    let table_bucket = bucket.clone();
    let table_project = project.clone();
    let mode = if reach.write_all {
        "You can read, upload and delete objects here.".to_string()
    } else if reach.write_tables.is_empty() {
        "You can read and download objects here; this token may not change them.".to_string()
    } else {
        format!(
            "You can read and download objects here, and upload and delete them only in {}.",
            tables_phrase(&reach.write_tables)
        )
    };
    // Holding only some tables, the token sees only their objects: say so,
    // or the bucket would look emptier than it is.
    let only = (!reach.read_tables.is_empty()).then(|| {
        view! {
            <p data-testid="console-tables">
                {format!("This token can read only {} of this bucket.", tables_phrase(&reach.read_tables))}
            </p>
        }
    });
    let upload = (reach.write_all || !reach.write_tables.is_empty()).then(|| {
        let tables = reach.write_tables.clone();
        view! { <Upload project=project.clone() bucket=bucket.clone() tables failure /> }
    });
    view! {
        <section class="card" aria-labelledby="objects-title" data-testid="console-objects">
            <h2 id="objects-title">{title}</h2>
            {only}
            <p class="muted" data-testid="console-mode">{mode}</p>
            {upload}
            <ErrorBanner failure />
            {move || loaded(objects.get(), "Loading objects…", "storage:read", |ok| match ok {
                l if l.items.is_empty() => view! {
                    <p class="empty" data-testid="console-empty">"No objects in this bucket yet."</p>
                }.into_any(),
                l => view! {
                    <ObjectTable project=table_project.clone() bucket=table_bucket.clone() items=l.items reach=reach.clone() failure viewing />
                }.into_any(),
            })}
            {move || viewing.get().map(|(key, text)| view! {
                <section class="viewer" aria-label=format!("Contents of {key}")>
                    <div class="viewer-head">
                        <h3>{key.clone()}</h3>
                        <button type="button" class="secondary small" data-testid="object-view-close" on:click=move |_| viewing.set(None)>"Close"</button>
                    </div>
                    <pre class="mail-text" data-testid="object-view">{text}</pre>
                </section>
            })}
        </section>
    }
}

#[component]
fn ObjectTable(
    project: String,
    bucket: String,
    items: Vec<ObjectInfo>,
    reach: Reach,
    failure: RwSignal<Option<ApiFailure>>,
    viewing: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    let api = use_api();
    let confirming = RwSignal::new(None::<String>);
    // View and download read the object; delete removes it. All three
    // report to the bucket's banner.
    let show = Mutation::reporting_to(
        failure,
        move |(path, key): (String, String)| async move {
            api.get_bytes(&path).await.map(|(bytes, _)| (key, bytes))
        },
        move |(key, bytes): (String, Vec<u8>)| {
            viewing.set(Some((key, String::from_utf8_lossy(&bytes).into_owned())))
        },
    );
    let download = Mutation::reporting_to(
        failure,
        move |(path, key): (String, String)| async move { api.get_bytes(&path).await.map(|b| (key, b)) },
        move |(key, (bytes, content_type)): (String, (Vec<u8>, String))| {
            save_as(&bytes, &content_type, &key)
        },
    );
    let remove = Mutation::reporting_to(
        failure,
        move |path: String| async move {
            let r = api.delete(&path).await;
            r
        },
        move |()| viewing.set(None),
    )
    .changes(Data::Objects);
    view! {
        <div class="table-wrap">
            <table class="responsive" data-testid="object-table">
                <thead><tr>
                    <th scope="col">"Key"</th>
                    <th scope="col">"Size"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Updated"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {items.clone().into_iter().map(|o| view! {
                        {
                            let path = object_path(&project, &bucket, &o.key);
                            let (view_path, dl_path, del_path) = (path.clone(), path.clone(), path);
                            let (k1, k2, k3) = (o.key.clone(), o.key.clone(), o.key.clone());
                            let text = is_text(&o.content_type);
                            let write = reach.may_write(&bucket, &o.key);
                            view! {
                                <tr data-testid="object-row">
                                    <td data-label="Key"><code data-testid="object-key">{o.key.clone()}</code></td>
                                    <td data-label="Size">{human_size(o.size)}</td>
                                    <td data-label="Type">{o.content_type.clone()}</td>
                                    <td data-label="Updated">{format::when(o.updated_at)}</td>
                                    <td data-label="">
                                        <div class="row-actions">
                                            {text.then(|| view! {
                                                <button type="button" class="secondary small" data-testid="object-view-button"
                                                    aria-label=format!("View {k1}")
                                                    on:click=move |_| show.dispatch((view_path.clone(), k1.clone()))>"View"</button>
                                            })}
                                            <button type="button" class="secondary small" data-testid="object-download"
                                                aria-label=format!("Download {k2}")
                                                on:click=move |_| download.dispatch((dl_path.clone(), k2.clone()))>"Download"</button>
                                            {write.then(|| {
                                                let p = del_path.clone();
                                                view! {
                                                    <RowDelete id=k3.clone() label=k3.clone() confirming=confirming
                                                        testid="object-delete"
                                                        on_confirm=Callback::new(move |()| remove.dispatch(p.clone())) />
                                                }
                                            })}
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

/// Hands bytes to the browser as a download named after the object's key.
fn save_as(bytes: &[u8], content_type: &str, key: &str) {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(content_type);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        // Keys may hold slashes; the file name takes the last part.
        a.set_download(key.rsplit('/').next().unwrap_or(key));
        a.click();
    }
    // Let the click start the download before the URL goes.
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(10_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
}

/// Picks a file and stores it under a key (its name unless changed). A
/// token that may write only some tables (`tables`, else the whole bucket)
/// stores under `<table>/`: the table is chosen, its prefix filled in.
#[component]
fn Upload(
    project: String,
    bucket: String,
    tables: Vec<String>,
    failure: RwSignal<Option<ApiFailure>>,
) -> impl IntoView {
    let api = use_api();
    let file_input = NodeRef::<html::Input>::new();
    let table = RwSignal::new(tables.first().cloned());
    let prefix =
        move || table.with_untracked(|t| t.as_ref().map(|t| format!("{t}/")).unwrap_or_default());
    let key = RwSignal::new(prefix());
    let done = RwSignal::new(None::<String>);
    let upload = Mutation::reporting_to(
        failure,
        move |(path, content_type, file): (String, String, web_sys::File)| async move {
            let r = api
                .put_raw::<ObjectInfo>(&path, &content_type, file.into())
                .await;
            r
        },
        move |o: ObjectInfo| {
            done.set(Some(format!(
                "Uploaded {} ({}).",
                o.key,
                human_size(o.size)
            )));
            key.set(prefix());
            if let Some(i) = file_input.get_untracked() {
                i.set_value("");
            }
        },
    )
    .changes(Data::Objects);
    let pending = upload.pending();
    let picked = move |_| {
        let name = file_input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
            .map(|f| f.name())
            .unwrap_or_default();
        key.set(prefix() + &name);
    };
    // Another table: the key moves with it ("orders/a.csv" → "customers/a.csv").
    let choose = move |ev: leptos::ev::Event| {
        let old = prefix();
        let new = event_target_value(&ev);
        key.update(|k| {
            let rest = k
                .strip_prefix(old.as_str())
                .unwrap_or(k.as_str())
                .to_string();
            *k = format!("{new}/{rest}");
        });
        table.set(Some(new));
    };
    let allowed = StoredValue::new(tables);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let Some(file) = file_input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            failure.set(Some(ApiFailure {
                status: 0,
                problem: None,
                message: "Choose a file first.".into(),
            }));
            return;
        };
        let k = key.get_untracked().trim().to_string();
        let k = if k.is_empty() || k == prefix() {
            prefix() + &file.name()
        } else {
            k
        };
        // Said here rather than as the API's 403: which keys it may use.
        let outside = allowed.with_value(|t| {
            !t.is_empty()
                && !t.iter().any(|t| {
                    k.strip_prefix(t.as_str())
                        .is_some_and(|r| r.len() > 1 && r.starts_with('/'))
                })
        });
        if outside {
            failure.set(Some(ApiFailure {
                status: 0,
                problem: None,
                message: allowed.with_value(|t| {
                    format!("This token may upload only into {}: start the key with one of them and “/”.", tables_phrase(t))
                }),
            }));
            return;
        }
        let content_type = match file.type_() {
            t if t.is_empty() => "application/octet-stream".to_string(),
            t => t,
        };
        let path = object_path(&project, &bucket, &k);
        upload.dispatch((path, content_type, file));
    };
    view! {
        <form class="inline-form" data-testid="upload-form" on:submit=submit>
            {allowed.with_value(|t| (!t.is_empty()).then(|| {
                let options = t.iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view();
                view! {
                    <div class="field">
                        <label for="upload-table">"Table"</label>
                        <select id="upload-table" data-testid="upload-table" on:change=choose>{options}</select>
                    </div>
                }
            }))}
            <div class="field">
                <label for="upload-file">"File " <span class="muted">"(at most 1 MiB)"</span></label>
                <input id="upload-file" type="file" data-testid="upload-file" node_ref=file_input on:change=picked />
            </div>
            <div class="field">
                <label for="upload-key">"Store as"</label>
                <input id="upload-key" type="text" autocomplete="off" data-testid="upload-key" bind:value=key />
            </div>
            <div class="field actions-inline">
                <button type="submit" class="primary" data-testid="upload-submit" disabled=move || pending.get()>
                    {move || if pending.get() { "Uploading…" } else { "Upload" }}
                </button>
            </div>
        </form>
        <p class="muted" role="status" data-testid="upload-status">{move || done.get()}</p>
    }
}
