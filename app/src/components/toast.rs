//! Toasts: one short confirmation after a change (saved, deleted,
//! refreshed, sent), announced politely by screen readers. One region for
//! the whole app ([`ToastRegion`], always in the page so that assistive
//! technology hears what is added to it) and one context ([`Toasts`]) that
//! any page asks to say something.

use leptos::prelude::*;
use std::time::Duration;

/// How long a toast stays (it can be dismissed sooner).
const SHOWN_FOR: Duration = Duration::from_secs(8);

#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<(u32, String)>>,
    next: StoredValue<u32>,
}

impl Toasts {
    /// Makes the app's toasts and provides them as context.
    pub fn provide() -> Toasts {
        let t = Toasts {
            items: RwSignal::new(vec![]),
            next: StoredValue::new(0),
        };
        provide_context(t);
        t
    }

    /// Shows `text` for a few seconds.
    pub fn say(self, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id.wrapping_add(1));
        self.items.update(|v| v.push((id, text.into())));
        set_timeout(move || self.dismiss(id), SHOWN_FOR);
    }

    fn dismiss(self, id: u32) {
        // The region may be gone (the app unmounted): nothing to do then.
        let _ = self.items.try_update(|v| v.retain(|(i, _)| *i != id));
    }
}

/// The app's toasts. Call it when the component is made (not in an
/// answer's callback, where there is no context); a component mounted
/// alone, as in a component test, gets toasts that nobody shows.
pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().unwrap_or_else(|| Toasts {
        items: RwSignal::new(vec![]),
        next: StoredValue::new(0),
    })
}

/// The live region toasts appear in.
#[component]
pub fn ToastRegion(toasts: Toasts) -> impl IntoView {
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.items.get() key=|(id, _)| *id let:item>
                {
                    let id = item.0;
                    view! {
                        <p class="toast" data-testid="toast">
                            <span>{item.1}</span>
                            <button type="button" class="link" aria-label="Dismiss" on:click=move |_| toasts.dismiss(id)>"×"</button>
                        </p>
                    }
                }
            </For>
        </div>
    }
}
