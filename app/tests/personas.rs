//! Component tests of the persona picker and the effective summary: the
//! token's own grants plus those of the ticked personas, live.
//! Run with `test_components` (scripts/components.sh).
#![cfg(target_arch = "wasm32")]

use keyward_app::components::grid::GrantSummary;
use keyward_app::components::personas::{
    persona_grants, persona_names, PersonaPicker, COMPLETE_SET_NOTE,
};
use keyward_domain::api::Persona;
use keyward_domain::describe::{summary, Grid};
use keyward_domain::{Catalog, Grant};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

const CATALOG: &str = include_str!("../../worker/catalog.json");

fn g(s: &str) -> Grant {
    Grant::parse_compact(s).expect("a compact grant")
}

fn persona(id: &str, name: &str, grants: &[&str]) -> Persona {
    Persona {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        grants: grants.iter().map(|s| g(s)).collect(),
        created_by: "cli_test".into(),
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        updated_at: time::OffsetDateTime::UNIX_EPOCH,
        linked_tokens: 0,
    }
}

struct Mounted {
    root: HtmlElement,
    chosen: RwSignal<Vec<String>>,
}

fn mount(own: &[&str], linked: &[&str], personas: Vec<Persona>) -> (Mounted, Catalog) {
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
    let own: Vec<Grant> = own.iter().map(|s| g(s)).collect();
    let grid = RwSignal::new(Grid::from_grants(catalog.clone(), &own));
    let chosen = RwSignal::new(linked.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let personas = Signal::stored(personas);
    let extra = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_grants(ps, c))));
    let sources = Signal::derive(move || personas.with(|ps| chosen.with(|c| persona_names(ps, c))));
    let c = catalog.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <PersonaPicker personas chosen catalog=c.clone() subject="token" />
            <GrantSummary grid extra sources />
        }
    });
    std::mem::forget(handle);
    (Mounted { root, chosen }, catalog)
}

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

    fn text(&self, testid: &str) -> String {
        self.get(testid).text_content().unwrap_or_default()
    }

    fn checked(&self, testid: &str) -> bool {
        self.get(testid)
            .unchecked_into::<HtmlInputElement>()
            .checked()
    }

    async fn click(&self, testid: &str) {
        self.get(testid).click();
        settle().await;
    }
}

fn two() -> Vec<Persona> {
    vec![
        persona("per_r", "Readers", &["storage:read@*"]),
        persona("per_a", "Auditors", &["audit:read"]),
    ]
}

#[wasm_bindgen_test]
async fn the_summary_adds_ticked_personas_to_own_grants() {
    let (m, c) = mount(&["tokens:read"], &[], two());
    settle().await;
    assert_eq!(m.text("personas-note"), COMPLETE_SET_NOTE);
    assert_eq!(m.text("summary"), summary(&c, &[g("tokens:read")]));
    assert!(
        m.find("summary-sources").is_none(),
        "no personas, no sources"
    );

    m.click("persona-per_r").await;
    assert!(m.checked("persona-per_r"));
    assert_eq!(
        m.text("summary"),
        summary(&c, &[g("tokens:read"), g("storage:read@*")])
    );
    assert!(m.text("summary").contains("Read all buckets"));
    assert_eq!(
        m.text("summary-sources"),
        "Its own permissions plus those of Readers."
    );

    m.click("persona-per_a").await;
    assert!(m.text("summary").contains("read the audit log"));
    assert_eq!(
        m.text("summary-sources"),
        "Its own permissions plus those of Readers, Auditors."
    );

    // Unticking removes the persona from the set that will be saved.
    m.click("persona-per_r").await;
    assert_eq!(m.chosen.get_untracked(), vec!["per_a".to_string()]);
    assert!(!m.text("summary").contains("bucket"));
}

#[wasm_bindgen_test]
async fn linked_personas_start_ticked_and_unknown_ones_are_named() {
    let (m, _) = mount(&[], &["per_a", "per_gone"], two());
    settle().await;
    assert!(m.checked("persona-per_a"));
    assert!(!m.checked("persona-per_r"));
    assert!(m.text("personas-unknown").contains("per_gone"));
    assert_eq!(m.text("summary"), "Read the audit log; nothing else");
}

#[wasm_bindgen_test]
async fn without_personas_the_picker_says_so() {
    let (m, _) = mount(&[], &[], vec![]);
    settle().await;
    assert!(m.find("personas-none").is_some());
    assert_eq!(m.text("personas-note"), COMPLETE_SET_NOTE);
}
