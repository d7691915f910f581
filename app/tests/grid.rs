//! Component tests of the permission grid, in headless Chromium: the grid
//! and its summary are mounted into a fresh element and driven by clicks.
//! Run with `test_components` (scripts/components.sh).
#![cfg(target_arch = "wasm32")]

use keyward_app::components::grid::{Finder, GrantSummary, PermissionGrid};
use keyward_domain::describe::Grid;
use keyward_domain::{Catalog, Grant};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

const CATALOG: &str = include_str!("../../worker/catalog.json");

struct Mounted {
    root: HtmlElement,
    grid: RwSignal<Grid>,
}

fn mount(buckets: &[&str]) -> Mounted {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root: HtmlElement = document
        .create_element("div")
        .expect("a div")
        .unchecked_into();
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    let catalog = Catalog::from_json(CATALOG).expect("the shipped catalog");
    let grid = RwSignal::new(Grid::new(catalog));
    let finder = Finder::fixed(buckets.iter().map(|b| b.to_string()).collect());
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <PermissionGrid grid finder />
            <GrantSummary grid />
        }
    });
    // The grid stays mounted for the rest of the test.
    std::mem::forget(handle);
    Mounted { root, grid }
}

/// Effects run on the next turn of the event loop.
async fn settle() {
    gloo_timers::future::TimeoutFuture::new(5).await;
}

impl Mounted {
    fn find(&self, testid: &str) -> Option<HtmlElement> {
        self.root
            .query_selector(&format!("[data-testid=\"{testid}\"]"))
            .ok()
            .flatten()
            .map(|e| e.unchecked_into())
    }

    fn get(&self, testid: &str) -> HtmlElement {
        self.find(testid)
            .unwrap_or_else(|| panic!("no element with data-testid={testid}"))
    }

    fn input(&self, testid: &str) -> HtmlInputElement {
        self.get(testid).unchecked_into()
    }

    async fn click(&self, testid: &str) {
        self.get(testid).click();
        settle().await;
    }

    async fn type_into(&self, testid: &str, text: &str) {
        let input = self.input(testid);
        input.set_value(text);
        let ev = web_sys::Event::new("input").expect("an event");
        input.dispatch_event(&ev).expect("dispatched");
        settle().await;
    }

    /// Chooses an option of a `<select>` as a person would.
    async fn choose(&self, testid: &str, value: &str) {
        let select: HtmlSelectElement = self.get(testid).unchecked_into();
        select.set_value(value);
        assert_eq!(select.value(), value, "{testid} has an option {value}");
        let ev = web_sys::Event::new("change").expect("an event");
        select.dispatch_event(&ev).expect("dispatched");
        settle().await;
    }

    fn level(&self, testid: &str) -> String {
        self.get(testid)
            .unchecked_into::<HtmlSelectElement>()
            .value()
    }

    fn options(&self, testid: &str) -> Vec<String> {
        let select: HtmlSelectElement = self.get(testid).unchecked_into();
        (0..select.length())
            .filter_map(|i| select.item(i))
            .filter_map(|o| o.text_content())
            .collect()
    }

    fn checked(&self, testid: &str) -> bool {
        self.input(testid).checked()
    }

    fn disabled(&self, testid: &str) -> bool {
        self.input(testid).disabled()
    }

    fn text(&self, testid: &str) -> String {
        self.get(testid).text_content().unwrap_or_default()
    }

    fn grants(&self) -> Vec<Grant> {
        self.grid.with_untracked(|g| g.grants())
    }
}

fn g(s: &str) -> Grant {
    Grant::parse_compact(s).expect("a compact grant")
}

#[wasm_bindgen_test]
async fn renders_every_service_as_levels_and_ticks() {
    let m = mount(&[]);
    settle().await;
    // Permissions outside any chain of implication are ticks.
    for id in [
        "grant-storage-create_bucket",
        "grant-components-run",
        "grant-tokens-verify",
        "grant-audit-read",
        "grant-projects-run_scenarios",
        "grant-projects-admin",
    ] {
        assert!(!m.checked(id), "{id} starts unticked");
        assert!(!m.disabled(id), "{id} starts enabled");
    }
    // The others are one access level per chain, from the catalog alone.
    for id in [
        "level-storage-write",
        "level-tokens-manage",
        "level-api_services-admin",
        "level-infrastructures-admin",
        "level-projects-write_conf",
        "level-projects-write_data",
        "level-datasets-write_data",
        "level-datasets-write_metadata",
        "level-datasets-write_schema",
    ] {
        assert_eq!(m.level(id), "none", "{id} starts at no access");
    }
    assert_eq!(
        m.options("level-storage-write"),
        ["No access", "Read", "Read and write"]
    );
    assert_eq!(
        m.options("level-infrastructures-admin"),
        [
            "No access",
            "View",
            "View and deploy",
            "View, deploy and admin"
        ]
    );
    // Every control has its label.
    let label = m
        .get("grant-storage-create_bucket")
        .closest("label")
        .ok()
        .flatten()
        .and_then(|l| l.text_content())
        .unwrap_or_default();
    assert!(label.contains("Create buckets"), "label: {label}");
    assert!(m
        .root
        .query_selector("label[for='level-storage-write']")
        .ok()
        .flatten()
        .is_some());
    assert_eq!(m.text("summary"), "Nothing: this token cannot do anything");
}

#[wasm_bindgen_test]
async fn read_and_write_shows_read_as_implied() {
    let m = mount(&["in.c-tutorial"]);
    settle().await;
    m.choose("level-storage-write", "write").await;
    assert_eq!(m.level("level-storage-write"), "write");
    // Write on no bucket yet implies nothing (issue 16, defect 3).
    assert!(m.find("implied-storage-read").is_none());
    m.click("resource-storage-write-in.c-tutorial").await;
    assert_eq!(m.text("implied-storage-read"), "implied by write");

    // tokens:manage implies tokens:read in the same way.
    m.choose("level-tokens-manage", "manage").await;
    assert_eq!(m.text("implied-tokens-read"), "implied by manage");

    // No access on storage leaves tokens as they were.
    m.choose("level-storage-write", "none").await;
    assert!(m.find("implied-storage-read").is_none());
    assert_eq!(m.level("level-tokens-manage"), "manage");
    assert_eq!(m.grants(), vec![g("tokens:manage")]);
}

#[wasm_bindgen_test]
async fn all_versus_only_selected() {
    let m = mount(&["in.c-tutorial", "raw"]);
    settle().await;
    m.choose("level-storage-write", "write").await;
    // Least privilege: "only selected" with nothing picked yet.
    assert!(m.checked("scope-storage-write-only"));
    assert!(!m.checked("scope-storage-write-all"));
    assert!(
        m.find("grid-problems").is_some(),
        "an empty selection is flagged"
    );
    assert!(m.grants().is_empty());

    m.click("resource-storage-write-in.c-tutorial").await;
    assert!(m.find("grid-problems").is_none());
    assert_eq!(m.grants(), vec![g("storage:write@in.c-tutorial")]);
    assert_eq!(
        m.text("summary"),
        "Read and write bucket in.c-tutorial; nothing else"
    );
    // Read shows the implied bucket in one line, and can be widened.
    assert!(m
        .text("implied-scope-storage-read")
        .starts_with("On: in.c-tutorial"));
    assert!(m.find("scope-storage-read-all").is_none());
    m.click("widen-storage-read").await;
    assert!(m.checked("resource-storage-read-in.c-tutorial"));
    assert!(m.disabled("resource-storage-read-in.c-tutorial"));
    assert!(!m.checked("resource-storage-read-raw"));

    m.click("scope-storage-read-all").await;
    assert!(m.checked("scope-storage-read-all"));
    assert_eq!(
        m.text("summary"),
        "Read and write bucket in.c-tutorial; read all buckets; nothing else"
    );
    assert_eq!(
        m.grants(),
        vec![g("storage:read@*"), g("storage:write@in.c-tutorial")]
    );

    // Write on all buckets fixes read's scope to all, too.
    m.click("scope-storage-write-all").await;
    assert!(m.checked("scope-storage-write-all"));
    assert!(m.checked("scope-storage-read-all") && m.disabled("scope-storage-read-all"));
    assert_eq!(
        m.text("summary"),
        "Read and write all buckets; nothing else"
    );
    assert_eq!(m.grants(), vec![g("storage:write@*")]);
}

#[wasm_bindgen_test]
async fn typed_resource_ids_for_buckets_that_do_not_exist_yet() {
    let m = mount(&[]);
    settle().await;
    m.choose("level-storage-write", "read").await;
    m.type_into("resource-input-storage-read", "not valid!")
        .await;
    m.click("resource-add-storage-read").await;
    assert!(m.find("resource-storage-read-not valid!").is_none());
    assert!(m
        .root
        .text_content()
        .unwrap_or_default()
        .contains("is not a valid id"));

    m.type_into("resource-input-storage-read", "in.c-new").await;
    m.click("resource-add-storage-read").await;
    assert!(m.checked("resource-storage-read-in.c-new"));
    assert_eq!(m.input("resource-input-storage-read").value(), "");
    m.click("grant-audit-read").await;
    assert_eq!(
        m.text("summary"),
        "Read bucket in.c-new; read the audit log; nothing else"
    );
}
