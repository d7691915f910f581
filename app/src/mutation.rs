//! Every change the user starts (a form's submit, a confirm button) is a
//! [`Mutation`]: a Leptos [`Action`] with one pending/failure pattern. It is
//! pending while its request runs; its last failure is kept to show (as the
//! app's [`ApiFailure`]) and cleared when it runs again; on success its
//! `on_ok` gets the answer, and the data it [changes](Mutation::changes)
//! get a new version, so that whatever lists them loads again.

use crate::api::ApiFailure;
use crate::resources::{use_versions, Data};
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub struct Mutation<I: 'static> {
    action: Action<I, ()>,
    failure: RwSignal<Option<ApiFailure>>,
    changes: StoredValue<Vec<Data>, LocalStorage>,
}

impl<I: 'static> Clone for Mutation<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: 'static> Copy for Mutation<I> {}

impl<I: Clone + 'static> Mutation<I> {
    /// `run` sends the request made from the input; `on_ok` gets its answer.
    pub fn new<O, Fut>(run: impl Fn(I) -> Fut + 'static, on_ok: impl Fn(O) + 'static) -> Mutation<I>
    where
        O: 'static,
        Fut: Future<Output = Result<O, ApiFailure>> + 'static,
    {
        Mutation::reporting_to(RwSignal::new(None), run, on_ok)
    }

    /// As [`Mutation::new`], with failures kept in `failure`: for several
    /// mutations (or checks made before sending) that share one banner.
    pub fn reporting_to<O, Fut>(
        failure: RwSignal<Option<ApiFailure>>,
        run: impl Fn(I) -> Fut + 'static,
        on_ok: impl Fn(O) + 'static,
    ) -> Mutation<I>
    where
        O: 'static,
        Fut: Future<Output = Result<O, ApiFailure>> + 'static,
    {
        let on_ok = Rc::new(on_ok);
        let changes = StoredValue::new_local(Vec::new());
        let versions = use_versions();
        let action =
            Action::new_unsync_local(move |input: &I| -> Pin<Box<dyn Future<Output = ()>>> {
                failure.set(None);
                let request = run(input.clone());
                let on_ok = Rc::clone(&on_ok);
                // Read now: `on_ok` may close the component that owns this.
                let changed: Vec<Data> = changes.get_value();
                // Boxed: the action's machinery is then one copy for every
                // mutation instead of one per form (~2 KB of download each).
                Box::pin(async move {
                    match request.await {
                        Ok(answer) => {
                            on_ok(answer);
                            changed.into_iter().for_each(|d| versions.bump(d));
                        }
                        Err(f) => failure.set(Some(f)),
                    }
                })
            });
        Mutation {
            action,
            failure,
            changes,
        }
    }

    /// What a success changes: what lists it loads again.
    pub fn changes(self, data: Data) -> Self {
        self.changes.update_value(|c| c.push(data));
        self
    }

    /// Starts the request; the last failure is cleared at once.
    pub fn dispatch(&self, input: I) {
        self.action.dispatch_local(input);
    }

    /// Whether a request is running.
    pub fn pending(&self) -> Signal<bool> {
        self.action.pending().into()
    }

    /// The last failure, until the next dispatch.
    pub fn failure(&self) -> RwSignal<Option<ApiFailure>> {
        self.failure
    }
}
