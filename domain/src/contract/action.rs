//! What an audit entry says happened: a call of a route, named by the
//! route's row, or one of the few things that happen to a token or an
//! invitation without a call of their own (an expiry the sweep finds, a
//! leak report's verdict per token). Every name is spelled once: a
//! route's in its row, an event's here; a test holds each name to exactly
//! one of them.

use super::Endpoint;

/// An audit entry's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// What the route's row calls it (`token.create`).
    Call(Endpoint),
    Event(Event),
}

/// What happens without a route of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The sweep deleted an expired token.
    TokenExpire,
    /// An update that only turned a token on, or off.
    TokenEnable,
    TokenDisable,
    /// A leak report stopped (or found) one token.
    TokenLeak,
    /// An invitation's email could not be sent.
    InvitationDelivery,
    /// The first admin, from the bootstrap secret.
    AdminBootstrap,
    /// The operator's recovery of an admin's master token.
    AdminRecover,
}

impl Event {
    pub const ALL: &'static [Event] = &[
        Event::TokenExpire,
        Event::TokenEnable,
        Event::TokenDisable,
        Event::TokenLeak,
        Event::InvitationDelivery,
        Event::AdminBootstrap,
        Event::AdminRecover,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Event::TokenExpire => "token.expire",
            Event::TokenEnable => "token.enable",
            Event::TokenDisable => "token.disable",
            Event::TokenLeak => "token.leak",
            Event::InvitationDelivery => "invitation.delivery",
            Event::AdminBootstrap => "admin.bootstrap",
            Event::AdminRecover => "admin.recover",
        }
    }
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Call(endpoint) => endpoint.action(),
            Action::Event(event) => event.as_str(),
        }
    }
}

impl From<Endpoint> for Action {
    fn from(endpoint: Endpoint) -> Action {
        Action::Call(endpoint)
    }
}

impl From<Event> for Action {
    fn from(event: Event) -> Action {
        Action::Event(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::OPERATIONS;
    use std::collections::HashMap;

    #[test]
    fn every_row_is_its_endpoints_own() {
        assert_eq!(OPERATIONS.len(), Endpoint::ALL.len());
        for (row, endpoint) in OPERATIONS.iter().zip(Endpoint::ALL) {
            assert_eq!(row.endpoint, *endpoint);
            assert_eq!(endpoint.operation().endpoint, *endpoint);
        }
    }

    /// The audit log's filter by action finds one route's calls, or one
    /// event: never two routes under one name.
    #[test]
    fn every_audited_action_names_exactly_one_route_or_event() {
        let mut owners: HashMap<&str, Vec<String>> = HashMap::new();
        for endpoint in Endpoint::ALL {
            let name = Action::Call(*endpoint).as_str();
            assert!(!name.is_empty(), "{endpoint:?} has no audit action");
            owners
                .entry(name)
                .or_default()
                .push(format!("{endpoint:?}"));
        }
        for event in Event::ALL {
            owners
                .entry(event.as_str())
                .or_default()
                .push(format!("{event:?}"));
        }
        for (name, owners) in &owners {
            assert_eq!(owners.len(), 1, "`{name}` names {owners:?}");
            assert!(
                name.split('.').all(|part| !part.is_empty()
                    && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')),
                "`{name}` is not dotted lower snake case"
            );
        }
    }
}
