//! The one authorization policy: who may see, manage, delegate to and
//! reach what.
//!
//! Every decision about tokens is made here and nowhere else: the worker's
//! front, the registry (its SQL takes [`visibility`] as parameters), the
//! gateway, `/verify`, the app and the CLI ask these functions. Each hole
//! this module closes lived in a gap between two places that used to
//! decide on their own.
//!
//! | who | sees | manages | delegates | reaches |
//! |---|---|---|---|---|
//! | admin (master token, global admin key) | every token | every token (a master token only itself refreshes) | anything, except lifting its own expiry | every project |
//! | any other token | itself; tokens of projects where it holds `tokens:read`; its member's own keys | itself; tokens it sees, holds `tokens:manage` for and is at least as strong as | only what it holds itself, in every dimension | its home project (a global key: where it has grants) |
//! | a retired secret (inside a refresh's overlap) | as its token | nothing | nothing | as its token |

/// Who is an admin and where a token reaches live with [`Access`], below
/// both this module and [`crate::capability`]; the policy names them too.
pub use crate::access::{is_admin, reachable_projects, Reach};
use crate::access::{Access, DEFAULT_PROJECT};
use crate::capability::{later, Capability, Exceeds};
use crate::catalog::Catalog;
use crate::conditions::Cidr;
use crate::grant::{Decision, Grant};
use crate::quota::UsageLimit;
use crate::secret::TokenKind;
use std::collections::BTreeMap;
use std::fmt;

/// Who acts: an authenticated token, as the edge saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub token_id: String,
    /// What it may use now: its grants with its running elevations.
    pub access: Access,
    /// The grants of `access` that come from running elevations: usable,
    /// never delegable.
    pub elevated: Vec<Grant>,
    /// A member's tokens (their user token and personal keys) carry it.
    pub member_id: Option<String>,
    /// Unix seconds; `None` never expires.
    pub expires_at: Option<i64>,
    /// Calls per minute; `None` is the deployment's default.
    pub rate_limit: Option<u32>,
    /// Authenticated with a secret that a refresh replaced and whose
    /// overlap has not ended: it may use the API, never change tokens.
    pub retired: bool,
    /// The networks it may be used from (empty: anywhere).
    pub allowed_ips: Vec<Cidr>,
    pub usage_limit: Option<UsageLimit>,
    /// The person it acts for (`admin:<id>`, `member:<id>`, or, for a
    /// credential nobody can be traced to, `client:<id>`): four-eyes
    /// compares people, not credentials.
    pub person: String,
}

impl Actor {
    /// Everything it can do now, its elevations marked as such.
    pub fn capability(&self, default_rate_limit: u32) -> Capability {
        let Actor {
            token_id: _,
            access,
            elevated,
            member_id: _,
            expires_at,
            rate_limit,
            retired: _,
            allowed_ips,
            usage_limit,
            person: _,
        } = self;
        let mut own = access.clone();
        // `access` holds each elevation grant once more than the token's
        // own and inherited grants: take exactly those occurrences out.
        for e in elevated {
            if let Some(n) = own.grants.iter().rposition(|g| g == e) {
                own.grants.remove(n);
            }
        }
        Capability {
            access: own,
            elevated: elevated.clone(),
            expires_at: *expires_at,
            // It is acting, so its not-before has passed.
            not_before: None,
            rate_limit: rate_limit.unwrap_or(default_rate_limit),
            usage_limit: *usage_limit,
            allowed_ips: allowed_ips.clone(),
        }
    }
}

/// A token as the policy judges it: one that exists, or one that a create
/// or an edit proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Empty for a token not created yet.
    pub id: String,
    pub kind: TokenKind,
    /// A project-level token's project (`None` for master and global keys).
    pub project: Option<String>,
    pub member_id: Option<String>,
    /// Its own grants plus what it inherits (personas; a personal key's
    /// user), as its KV record will carry them.
    pub grants: Vec<Grant>,
    /// The grants of its running elevations.
    pub elevated: Vec<Grant>,
    pub project_grants: BTreeMap<String, Vec<Grant>>,
    pub global_admin: bool,
    pub expires_at: Option<i64>,
    pub not_before: Option<i64>,
    pub rate_limit: Option<u32>,
    pub usage_limit: Option<UsageLimit>,
    pub allowed_ips: Vec<Cidr>,
}

impl Subject {
    /// Everything it can do, its elevations marked as such.
    pub fn capability(&self, default_rate_limit: u32) -> Capability {
        let Subject {
            id: _,
            kind: _,
            project: _,
            member_id: _,
            grants: _,
            elevated,
            project_grants: _,
            global_admin: _,
            expires_at,
            not_before,
            rate_limit,
            usage_limit,
            allowed_ips,
        } = self;
        Capability {
            access: self.access(),
            elevated: elevated.clone(),
            expires_at: *expires_at,
            not_before: *not_before,
            rate_limit: rate_limit.unwrap_or(default_rate_limit),
            usage_limit: *usage_limit,
            allowed_ips: allowed_ips.clone(),
        }
    }

    fn access(&self) -> Access {
        Access {
            kind: self.kind,
            project: self.project.clone(),
            grants: self.grants.clone(),
            project_grants: self.project_grants.clone(),
            global_admin: self.global_admin && self.kind == TokenKind::Global,
        }
    }

    fn is_members(&self) -> bool {
        matches!(self.kind, TokenKind::User | TokenKind::Personal)
    }

    /// The project whose `tokens:*` permissions govern this token.
    fn home(&self) -> &str {
        self.project.as_deref().unwrap_or(DEFAULT_PROJECT)
    }
}

/// Why the policy says no.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Refusal {
    /// Not the actor's business: answered as "not found", so that its
    /// existence is not revealed either.
    Hidden,
    /// Another member: as hidden from a member as a token they may not see.
    HiddenMember,
    /// A retired secret is a usage-only credential.
    RetiredSecret,
    /// The actor lacks this permission.
    Missing(Grant),
    /// Only admins may do this; says what.
    AdminOnly(String),
    /// The token would hold more than the actor; says in which dimension.
    Escalation(String),
    /// The requester of an elevation may not approve it.
    SelfApproval,
    /// Sign-ins (sessions, passkeys, device approvals) are a person's; this
    /// credential is a program's.
    NotAPerson,
    /// The request acts in a project the token cannot reach.
    OutOfReach {
        home: Option<String>,
        project: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Hidden => write!(f, "no such token"),
            Refusal::HiddenMember => write!(f, "no such member"),
            Refusal::RetiredSecret => write!(
                f,
                "this secret was replaced by a refresh: until its overlap ends it may use the API, \
                 but not refresh, edit, delete or invite; use the new secret"
            ),
            Refusal::Missing(g) => write!(f, "this token lacks {g}"),
            Refusal::AdminOnly(what) => write!(
                f,
                "{what} needs an admin: a master token or a global admin key"
            ),
            Refusal::Escalation(what) => write!(f, "you cannot grant or manage {what}"),
            Refusal::NotAPerson => write!(
                f,
                "only a person has sign-ins: use a session, an admin's master token or a member's user token"
            ),
            Refusal::SelfApproval => write!(
                f,
                "you asked for this elevation: another admin must approve it"
            ),
            Refusal::OutOfReach {
                home: Some(home),
                project,
            } => write!(
                f,
                "this token belongs to project '{home}' and cannot reach project '{project}'"
            ),
            Refusal::OutOfReach {
                home: None,
                project,
            } => write!(f, "this key has no grants in project '{project}'"),
        }
    }
}

/// Whether a request of `access` may act in `project` at all (the API's
/// `/projects/{id}/…`, the gateway's `X-Keyward-Project`, `/verify`).
pub fn may_act_in(access: &Access, project: &str) -> Result<(), Refusal> {
    if reachable_projects(access).contains(project) {
        Ok(())
    } else {
        Err(Refusal::OutOfReach {
            home: access.project.clone(),
            project: project.to_string(),
        })
    }
}

/// The projects in which `access` holds `service:permission` (on all
/// resources, for permissions that take one).
pub fn projects_with(access: &Access, catalog: &Catalog, service: &str, permission: &str) -> Reach {
    let holds = |project: &str| {
        access
            .principal(catalog, project)
            .may(service, permission, None)
            == Decision::Allow
    };
    // A global key's plain grants hold everywhere; its per-project grants
    // only add to them.
    let everywhere = || {
        crate::grant::Principal::new(catalog, false, &access.grants).may(service, permission, None)
            == Decision::Allow
    };
    match reachable_projects(access) {
        Reach::Everywhere if access.is_admin() || everywhere() => Reach::Everywhere,
        Reach::Everywhere => Reach::Only(
            access
                .project_grants
                .keys()
                .filter(|p| holds(p))
                .cloned()
                .collect(),
        ),
        Reach::Only(set) => Reach::Only(set.into_iter().filter(|p| holds(p)).collect()),
    }
}

/// What a non-admin's token list may show, as parameters for a query:
/// tokens of `projects` that are neither master tokens, global keys nor
/// another member's, plus the actor itself and its member's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    /// `None`: admins see everything.
    pub projects: Option<Reach>,
    pub token_id: String,
    pub member_id: Option<String>,
}

pub fn visibility(actor: &Actor, catalog: &Catalog) -> Visibility {
    Visibility {
        projects: (!actor.access.is_admin())
            .then(|| projects_with(&actor.access, catalog, "tokens", "read")),
        token_id: actor.token_id.clone(),
        member_id: actor.member_id.clone(),
    }
}

impl Visibility {
    /// The same rule as [`may_see`], evaluated on one token; the registry's
    /// SQL encodes exactly this.
    pub fn admits(&self, token: &Subject) -> bool {
        let Some(reach) = &self.projects else {
            return true;
        };
        if token.id == self.token_id {
            return true;
        }
        if token.is_members() {
            return self.member_id.is_some() && token.member_id == self.member_id;
        }
        match token.kind {
            TokenKind::Master | TokenKind::Global => false,
            _ => reach.contains(token.home()),
        }
    }
}

/// Whether `actor` may know that `token` exists.
pub fn may_see(actor: &Actor, token: &Subject, catalog: &Catalog) -> Result<(), Refusal> {
    if visibility(actor, catalog).admits(token) {
        Ok(())
    } else {
        Err(Refusal::Hidden)
    }
}

/// Whose audit entries `actor` may read: `None` for everything (admins);
/// else the entries of projects where it holds `audit:read`. Entries about
/// the deployment itself (admins, personas, members, projects, global
/// keys) belong to no project and are admins' only.
pub fn audit_reach(actor: &Actor, catalog: &Catalog) -> Option<Reach> {
    (!actor.access.is_admin()).then(|| projects_with(&actor.access, catalog, "audit", "read"))
}

/// Whether `actor` may read what `token`'s calls used (its usage
/// summary): it must see the token, and read the audit entries of the
/// token's project, as `GET /audit` would let it. A token hidden from the
/// actor is [`Refusal::Hidden`].
pub fn may_read_usage(actor: &Actor, token: &Subject, catalog: &Catalog) -> Result<(), Refusal> {
    may_see(actor, token, catalog)?;
    match audit_reach(actor, catalog) {
        None => Ok(()),
        // Master tokens and global keys are never visible to non-admins,
        // so the token here is a project's.
        Some(reach) if reach.contains(token.home()) => Ok(()),
        Some(_) => Err(Refusal::Missing(Grant::new("audit", "read", None))),
    }
}

/// Every change to tokens, admins, personas, members and invitations
/// starts here: a retired secret changes nothing.
pub fn may_change(actor: &Actor) -> Result<(), Refusal> {
    if actor.retired {
        Err(Refusal::RetiredSecret)
    } else {
        Ok(())
    }
}

/// Whether using `wanted` is changing the control plane: what a retired
/// secret holds through its token but may never use. Of the permissions a
/// grant can name, that is `tokens:manage` (create, edit, refresh, delete,
/// invite for, narrow and elevate tokens: every route that needs it is a
/// control-plane route, which a test of the route table holds); the other
/// control-plane changes (admins, personas, members, projects) are admins'
/// and named by no permission. Viewing (`tokens:read`), verifying keys
/// (`tokens:verify`) and the audit log are usage.
pub fn changes_control_plane(wanted: &Grant) -> bool {
    wanted.service == "tokens" && wanted.permission == "manage"
}

/// What `actor` may use of what it holds: everything, except that a
/// retired secret changes nothing ([`changes_control_plane`]). The edge
/// asks it wherever a handler requires a permission; `explain` answers
/// with it.
pub fn may_use(actor: &Actor, wanted: &Grant) -> Result<(), Refusal> {
    if changes_control_plane(wanted) {
        may_change(actor)
    } else {
        Ok(())
    }
}

/// What only admins may see or do at all (admins, personas, members,
/// projects, global keys), before any change is asked.
pub fn admins_only(actor: &Actor, what: &str) -> Result<(), Refusal> {
    if actor.access.is_admin() {
        Ok(())
    } else {
        Err(Refusal::AdminOnly(what.to_string()))
    }
}

/// Who has sign-ins (sessions, passkeys, approving a CLI's login): a
/// person, which is a session, an admin's master token or a member's user
/// token. Scoped tokens, global keys and personal keys are programs'
/// credentials, even when a person made them.
pub fn may_hold_sign_ins(kind: TokenKind, in_session: bool) -> Result<(), Refusal> {
    if in_session || matches!(kind, TokenKind::Master | TokenKind::User) {
        Ok(())
    } else {
        Err(Refusal::NotAPerson)
    }
}

/// Who may see a member and their keys: admins, and the member themself
/// (through any of their credentials). To another member, another member
/// does not exist; to anyone else it is admins' business.
pub fn may_see_member(actor: &Actor, member_id: &str) -> Result<(), Refusal> {
    if actor.access.is_admin() || actor.member_id.as_deref() == Some(member_id) {
        Ok(())
    } else if actor.member_id.is_some() {
        Err(Refusal::HiddenMember)
    } else {
        Err(Refusal::AdminOnly("managing members".into()))
    }
}

/// Admin-only changes (admins, personas, members, projects, global keys).
pub fn may_administer(actor: &Actor, what: &str) -> Result<(), Refusal> {
    may_change(actor)?;
    admins_only(actor, what)
}

/// Whether `actor` may edit, refresh, delete or invite for `token` as it
/// is now. What an edit makes of it is [`may_issue`]'s question.
pub fn may_manage(
    actor: &Actor,
    token: &Subject,
    catalog: &Catalog,
    default_rate_limit: u32,
) -> Result<(), Refusal> {
    may_change(actor)?;
    if token.id == actor.token_id {
        return Ok(());
    }
    // Master tokens and global keys are hidden from non-admins.
    may_see(actor, token, catalog)?;
    if token.kind == TokenKind::Master {
        // Not even another admin: a master token goes with its admin, who
        // alone holds its secret; another admin only recovers it.
        return Err(Refusal::Escalation(
            "another admin's master token: it is refreshed and managed only by itself; \
             another admin recovers it with POST /api/v1/tokens/{id}/recover, which sends \
             its admin the new secret"
                .into(),
        ));
    }
    if actor.access.is_admin() {
        return Ok(());
    }
    if token.is_members() {
        // The member's own (may_see let no one else's through): it holds
        // what its user holds, no more.
        return Ok(());
    }
    let principal = actor.access.principal(catalog, token.home());
    if let Decision::Deny(g) = principal.may("tokens", "manage", None) {
        return Err(Refusal::Missing(g));
    }
    // Managing a stronger token (refreshing it hands over its power) is
    // escalation too.
    within_actor(actor, token, catalog, default_rate_limit)
}

/// The one question every path that creates or changes a credential asks
/// (create, edit, self-edits, refresh's hand-over, members' and personal
/// keys, elevations and their approval): may `actor` turn `before` (`None`:
/// nothing yet) into `after`?
///
/// Delegation is attenuation: a non-admin never makes a credential able
/// to do more than its own [`Capability::delegable`] — its capability
/// without elevations, in every dimension [`Capability::within`] orders —
/// and nobody, admins included, lifts their own expiry or usage limit.
/// Elevations `before` already carries are not issued again by an edit.
pub fn may_issue(
    actor: &Actor,
    before: Option<&Subject>,
    after: &Subject,
    catalog: &Catalog,
    default_rate_limit: u32,
) -> Result<(), Refusal> {
    may_change(actor)?;
    // A token's kind never changes; a proposal that says otherwise is not
    // the actor's own token, whatever its id.
    let own = after.id == actor.token_id && after.kind == actor.access.kind;
    if after.id == actor.token_id {
        let mine = actor.capability(default_rate_limit);
        if later(after.expires_at, mine.expires_at) {
            return Err(Refusal::Escalation(
                Exceeds::Expiry {
                    theirs: after.expires_at,
                    mine: mine.expires_at,
                }
                .to_string(),
            ));
        }
        if let Some(limit) = mine.usage_limit {
            if !crate::capability::usage_within(after.usage_limit.as_ref(), Some(&limit)) {
                return Err(Refusal::Escalation(
                    Exceeds::UsageLimit {
                        theirs: after.usage_limit,
                        mine: limit,
                    }
                    .to_string(),
                ));
            }
        }
    }
    if actor.access.is_admin() {
        return Ok(());
    }
    if matches!(after.kind, TokenKind::Global | TokenKind::Master) && !own {
        return Err(Refusal::AdminOnly(
            "creating or managing global keys".into(),
        ));
    }
    if !after.is_members() && !own {
        let principal = actor.access.principal(catalog, after.home());
        if let Decision::Deny(g) = principal.may("tokens", "manage", None) {
            return Err(Refusal::Missing(g));
        }
    }
    let mut issued = after.clone();
    if let Some(before) = before {
        issued.elevated.retain(|g| !before.elevated.contains(g));
    }
    within_actor(actor, &issued, catalog, default_rate_limit)
}

/// Raising `token` by `grants` for a while (issue 18's elevations): the
/// actor must manage the token, and the token as it will be while the
/// elevation lasts must be one the actor may issue, exactly as if the
/// grants were given for good. So nobody hands out for an afternoon what
/// they could not hand out for good, and nobody extends an elevation of
/// their own: its grants are not theirs to give.
pub fn may_elevate(
    actor: &Actor,
    token: &Subject,
    grants: &[Grant],
    catalog: &Catalog,
    default_rate_limit: u32,
) -> Result<(), Refusal> {
    may_manage(actor, token, catalog, default_rate_limit)?;
    // Judged with only the new elevation's grants as elevated: a grant an
    // earlier elevation gives already is given again, for longer.
    let mut raised = token.clone();
    raised.elevated = grants.to_vec();
    may_issue(actor, None, &raised, catalog, default_rate_limit)
}

/// Letting a requested elevation start: a second admin — another person
/// than the one who asked, whichever of their credentials either used —
/// who could have made the elevation themselves.
pub fn may_approve(
    approver: &Actor,
    requested_by: &str,
    token: &Subject,
    grants: &[Grant],
    catalog: &Catalog,
    default_rate_limit: u32,
) -> Result<(), Refusal> {
    may_change(approver)?;
    if !approver.access.is_admin() {
        return Err(Refusal::AdminOnly("approving an elevation".into()));
    }
    if approver.person == requested_by {
        return Err(Refusal::SelfApproval);
    }
    may_elevate(approver, token, grants, catalog, default_rate_limit)
}

/// `token` can do nothing `actor` could give: [`Capability::within`] the
/// actor's delegable capability.
fn within_actor(
    actor: &Actor,
    token: &Subject,
    catalog: &Catalog,
    default_rate_limit: u32,
) -> Result<(), Refusal> {
    token
        .capability(default_rate_limit)
        .within(&actor.capability(default_rate_limit).delegable(), catalog)
        .map_err(|e| Refusal::Escalation(e.to_string()))
}

#[cfg(test)]
mod sign_in_tests {
    use super::*;

    #[test]
    fn only_people_hold_sign_ins() {
        for kind in [
            TokenKind::Master,
            TokenKind::Scoped,
            TokenKind::Personal,
            TokenKind::User,
            TokenKind::Global,
        ] {
            let person = matches!(kind, TokenKind::Master | TokenKind::User);
            assert_eq!(may_hold_sign_ins(kind, false).is_ok(), person, "{kind:?}");
            // A session is always its person's, whatever credential it acts through.
            assert!(may_hold_sign_ins(kind, true).is_ok(), "{kind:?}");
        }
        assert_eq!(
            may_hold_sign_ins(TokenKind::Global, false),
            Err(Refusal::NotAPerson)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;
    use crate::conditions;
    use proptest::prelude::*;

    fn g(s: &str) -> Grant {
        Grant::parse_compact(s).unwrap()
    }

    fn scoped(id: &str, project: &str, grants: &[&str]) -> Actor {
        Actor {
            token_id: id.into(),
            access: Access {
                kind: TokenKind::Scoped,
                project: Some(project.into()),
                grants: grants.iter().map(|s| g(s)).collect(),
                project_grants: BTreeMap::new(),
                global_admin: false,
            },
            elevated: vec![],
            member_id: None,
            expires_at: None,
            rate_limit: None,
            retired: false,
            allowed_ips: vec![],
            usage_limit: None,
            person: format!("client:{id}"),
        }
    }

    /// The one control-plane permission, against the route table: every
    /// route that says it needs `tokens:manage` is one a retired secret is
    /// refused before it runs, and a retired secret may use everything
    /// else its token holds.
    #[test]
    fn tokens_manage_is_the_control_plane_permission() {
        let manage = g("tokens:manage");
        assert!(changes_control_plane(&manage));
        let needing: Vec<_> = crate::contract::OPERATIONS
            .iter()
            .filter(|op| op.summary.contains("needs tokens:manage"))
            .collect();
        assert!(needing.len() >= 8, "{}", needing.len());
        for op in needing {
            assert!(
                op.flags.changes_control_plane,
                "{} {} needs tokens:manage but is not a control-plane route",
                op.method,
                op.path.template()
            );
        }
        let mut retired = scoped("tok_a", "default", &["tokens:manage", "storage:write@*"]);
        retired.retired = true;
        assert_eq!(may_use(&retired, &manage), Err(Refusal::RetiredSecret));
        for usage in [
            "tokens:read",
            "tokens:verify",
            "audit:read",
            "storage:write@b",
        ] {
            assert!(!changes_control_plane(&g(usage)), "{usage}");
            assert_eq!(may_use(&retired, &g(usage)), Ok(()), "{usage}");
        }
        retired.retired = false;
        assert_eq!(may_use(&retired, &manage), Ok(()));
    }

    fn subject_of(actor: &Actor) -> Subject {
        Subject {
            id: actor.token_id.clone(),
            kind: actor.access.kind,
            project: actor.access.project.clone(),
            member_id: actor.member_id.clone(),
            grants: actor.access.grants.clone(),
            elevated: vec![],
            project_grants: actor.access.project_grants.clone(),
            global_admin: actor.access.global_admin,
            expires_at: actor.expires_at,
            not_before: None,
            rate_limit: actor.rate_limit,
            usage_limit: actor.usage_limit,
            allowed_ips: actor.allowed_ips.clone(),
        }
    }

    fn child(project: &str, grants: &[&str]) -> Subject {
        Subject {
            id: String::new(),
            kind: TokenKind::Scoped,
            project: Some(project.into()),
            member_id: None,
            grants: grants.iter().map(|s| g(s)).collect(),
            elevated: vec![],
            project_grants: BTreeMap::new(),
            global_admin: false,
            expires_at: None,
            not_before: None,
            rate_limit: None,
            usage_limit: None,
            allowed_ips: vec![],
        }
    }

    #[test]
    fn usage_needs_the_token_in_sight_and_its_projects_audit() {
        let c = default_catalog();
        let mut token = child("alpha", &["storage:read@*"]);
        token.id = "t".into();
        // Sees the token but may not read alpha's audit entries.
        let viewer = scoped("v", "alpha", &["tokens:read"]);
        assert_eq!(
            may_read_usage(&viewer, &token, &c),
            Err(Refusal::Missing(g("audit:read")))
        );
        let auditor = scoped("a", "alpha", &["tokens:read", "audit:read"]);
        assert_eq!(may_read_usage(&auditor, &token, &c), Ok(()));
        // Another project's auditor does not even see the token.
        let stranger = scoped("s", "beta", &["tokens:read", "audit:read"]);
        assert_eq!(may_read_usage(&stranger, &token, &c), Err(Refusal::Hidden));
        // A token asking about itself still needs its project's audit.
        let me = scoped("t", "alpha", &["storage:read@*"]);
        assert_eq!(
            may_read_usage(&me, &token, &c),
            Err(Refusal::Missing(g("audit:read")))
        );
    }

    #[test]
    fn a_global_key_with_tokens_manage_cannot_make_itself_admin() {
        let c = default_catalog();
        let mut key = scoped("k", "default", &["tokens:manage"]);
        key.access.kind = TokenKind::Global;
        key.access.project = None;
        let mut me = subject_of(&key);
        me.global_admin = true;
        assert_eq!(
            may_issue(&key, None, &me, &c, 600),
            Err(Refusal::Escalation("global_admin".into()))
        );
        let mut me = subject_of(&key);
        me.project_grants
            .insert("alpha".into(), vec![g("storage:write@*")]);
        assert!(matches!(
            may_issue(&key, None, &me, &c, 600),
            Err(Refusal::Escalation(_))
        ));
    }

    #[test]
    fn a_short_lived_manager_cannot_outlive_itself() {
        let c = default_catalog();
        let mut manager = scoped("m", "default", &["tokens:manage", "storage:read@*"]);
        manager.expires_at = Some(1_000);
        let mut me = subject_of(&manager);
        me.expires_at = None;
        assert!(matches!(
            may_issue(&manager, None, &me, &c, 600),
            Err(Refusal::Escalation(e)) if e.contains("expiry")
        ));
        let forever = child("default", &["storage:read@x"]);
        assert!(may_issue(&manager, None, &forever, &c, 600).is_err());
        let mut brief = forever.clone();
        brief.expires_at = Some(900);
        assert_eq!(may_issue(&manager, None, &brief, &c, 600), Ok(()));
        let mut faster = brief.clone();
        faster.rate_limit = Some(601);
        assert!(matches!(
            may_issue(&manager, None, &faster, &c, 600),
            Err(Refusal::Escalation(e)) if e.contains("rate limit")
        ));
    }

    #[test]
    fn a_retired_secret_changes_nothing() {
        let c = default_catalog();
        let mut owner = scoped("t", "default", &["tokens:manage"]);
        owner.retired = true;
        let me = subject_of(&owner);
        assert_eq!(
            may_manage(&owner, &me, &c, 600),
            Err(Refusal::RetiredSecret)
        );
        assert_eq!(
            may_issue(&owner, None, &child("default", &[]), &c, 600),
            Err(Refusal::RetiredSecret)
        );
        owner.access.kind = TokenKind::Master;
        assert_eq!(
            may_administer(&owner, "adding admins"),
            Err(Refusal::RetiredSecret)
        );
    }

    #[test]
    fn a_member_is_seen_by_admins_and_by_themself_only() {
        let mut me = scoped("u", "default", &[]);
        me.member_id = Some("mem_a".into());
        assert_eq!(may_see_member(&me, "mem_a"), Ok(()));
        assert_eq!(may_see_member(&me, "mem_b"), Err(Refusal::HiddenMember));
        let manager = scoped("m", "default", &["tokens:manage"]);
        assert!(matches!(
            may_see_member(&manager, "mem_a"),
            Err(Refusal::AdminOnly(_))
        ));
        let mut admin = scoped("k", "default", &[]);
        admin.access.kind = TokenKind::Master;
        assert_eq!(may_see_member(&admin, "mem_b"), Ok(()));
    }

    #[test]
    fn projects_bound_what_is_seen() {
        let c = default_catalog();
        let beta = scoped("b", "beta", &["tokens:read"]);
        assert_eq!(
            may_see(&beta, &child("alpha", &[]), &c),
            Err(Refusal::Hidden)
        );
        assert_eq!(may_see(&beta, &child("beta", &[]), &c), Ok(()));
        let reader_less = scoped("n", "beta", &["storage:read@*"]);
        assert_eq!(
            may_see(&reader_less, &child("beta", &[]), &c),
            Err(Refusal::Hidden)
        );
        assert_eq!(may_see(&reader_less, &subject_of(&reader_less), &c), Ok(()));
    }

    // ---- property tests ---------------------------------------------------

    const PROJECTS: [&str; 3] = ["default", "alpha", "beta"];

    fn arb_grants() -> impl Strategy<Value = Vec<Grant>> {
        let c = default_catalog();
        let mut all = vec![];
        for s in &c.services {
            for p in &s.permissions {
                if p.resource_type.is_some() {
                    for r in ["*", "x", "y", "x/t", "y/t"] {
                        all.push(g(&format!("{}:{}@{r}", s.id, p.id)));
                    }
                } else {
                    all.push(g(&format!("{}:{}", s.id, p.id)));
                }
            }
        }
        prop::collection::vec(prop::sample::select(all), 0..5)
    }

    fn arb_kind() -> impl Strategy<Value = TokenKind> {
        prop::sample::select(vec![
            TokenKind::Master,
            TokenKind::Scoped,
            TokenKind::Global,
            TokenKind::User,
            TokenKind::Personal,
        ])
    }

    prop_compose! {
        fn arb_subject()(
            id in prop::sample::select(vec!["t1", "t2", "t3", ""]),
            kind in arb_kind(),
            project in prop::sample::select(PROJECTS.to_vec()),
            member in prop::option::of(prop::sample::select(vec!["m1", "m2"])),
            grants in arb_grants(),
            pg in prop::collection::btree_map(prop::sample::select(PROJECTS.to_vec()), arb_grants(), 0..3),
            global_admin in any::<bool>(),
            expires_at in prop::option::of(0i64..10),
            rate_limit in prop::option::of(1u32..1200),
            allowed_ips in prop::collection::vec(prop::sample::select(NETWORKS.to_vec()), 0..3),
            elevated in prop::collection::vec(arb_grants(), 0..2),
            usage in prop::option::of((1u32..10, prop::sample::select(vec![None, Some(crate::quota::Refill::Monthly), Some(crate::quota::Refill::Daily)]))),
        ) -> Subject {
            let global = kind == TokenKind::Global;
            Subject {
                id: id.into(),
                kind,
                project: (!matches!(kind, TokenKind::Master | TokenKind::Global)).then(|| project.to_string()),
                member_id: matches!(kind, TokenKind::User | TokenKind::Personal).then(|| member.unwrap_or("m1").to_string()),
                grants,
                elevated: elevated.into_iter().flatten().collect(),
                project_grants: if global { pg.into_iter().map(|(k, v)| (k.to_string(), v)).collect() } else { BTreeMap::new() },
                global_admin: global && global_admin,
                expires_at,
                not_before: None,
                rate_limit,
                usage_limit: usage.map(|(uses, refill)| UsageLimit { uses, refill }),
                allowed_ips: allowed_ips.iter().map(|n| n.parse().unwrap()).collect(),
            }
        }
    }

    /// Nested and disjoint networks, both families.
    const NETWORKS: [&str; 5] = [
        "10.0.0.0/8",
        "10.1.0.0/16",
        "192.0.2.0/24",
        "2001:db8::/32",
        "0.0.0.0/0",
    ];

    fn actor_from(s: &Subject, retired: bool) -> Actor {
        Actor {
            token_id: if s.id.is_empty() {
                "t0".into()
            } else {
                s.id.clone()
            },
            access: s.capability(600).using(),
            elevated: s.elevated.clone(),
            member_id: s.member_id.clone(),
            expires_at: s.expires_at,
            rate_limit: s.rate_limit,
            retired,
            allowed_ips: s.allowed_ips.clone(),
            usage_limit: s.usage_limit,
            person: s.member_id.clone().unwrap_or_else(|| s.id.clone()),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Whatever the actor and the proposed token, an admitted
        /// delegation never gives a non-admin's token more than the actor
        /// holds: in any project, any permission, global admin, project,
        /// expiry or rate limit.
        #[test]
        fn delegation_never_exceeds_the_actor(a in arb_subject(), p in arb_subject(), retired in any::<bool>()) {
            let c = default_catalog();
            let actor = actor_from(&a, retired);
            if may_issue(&actor, None, &p, &c, 600).is_ok() {
                prop_assert!(!actor.retired);
                prop_assert!(!(p.id == actor.token_id && later(p.expires_at, actor.expires_at)));
                if !actor.access.is_admin() {
                    prop_assert!(!p.global_admin);
                    prop_assert!(!later(p.expires_at, actor.expires_at));
                    prop_assert!(p.rate_limit.unwrap_or(600) <= actor.rate_limit.unwrap_or(600));
                    prop_assert!(crate::capability::usage_within(p.usage_limit.as_ref(), actor.usage_limit.as_ref()));
                    for probe in ["10.1.2.3", "10.200.0.1", "192.0.2.9", "2001:db8::1", "8.8.8.8"] {
                        let ip = probe.parse().ok();
                        prop_assert!(!conditions::admits_address(&p.allowed_ips, ip)
                            || conditions::admits_address(&actor.allowed_ips, ip),
                            "{probe} admitted beyond the actor");
                    }
                    // What it uses (elevations included) against what the
                    // actor holds for good (elevations excluded).
                    let theirs = p.capability(600).using();
                    let delegable = actor.capability(600).delegable().using();
                    for project in PROJECTS.iter().chain(["gamma"].iter()) {
                        let held = theirs.principal(&c, project);
                        let mine = delegable.principal(&c, project);
                        for grant in held.effective.grants() {
                            prop_assert!(mine.effective.allows(grant),
                                "{grant} in {project} exceeds the actor");
                        }
                    }
                }
            }
        }

        /// The list query's rule and may_see are one rule.
        #[test]
        fn visibility_is_may_see(a in arb_subject(), t in arb_subject()) {
            let c = default_catalog();
            let actor = actor_from(&a, false);
            let v = visibility(&actor, &c);
            prop_assert_eq!(v.admits(&t), may_see(&actor, &t, &c).is_ok());
            // Nobody but admins sees another project's tokens or any admin
            // credential that is not its own.
            if may_see(&actor, &t, &c).is_ok() && !actor.access.is_admin() && t.id != actor.token_id {
                prop_assert!(!matches!(t.kind, TokenKind::Master | TokenKind::Global));
                if !t.is_members() {
                    prop_assert_eq!(
                        actor.access.principal(&c, t.home()).may("tokens", "read", None),
                        Decision::Allow
                    );
                }
            }
        }

        /// An admitted elevation gives a non-admin's token nothing beyond
        /// the actor, in any project, and the actor could manage the token.
        #[test]
        fn elevation_never_exceeds_the_actor(a in arb_subject(), t in arb_subject(), extra in arb_grants(), retired in any::<bool>()) {
            let c = default_catalog();
            let actor = actor_from(&a, retired);
            if may_elevate(&actor, &t, &extra, &c, 600).is_ok() {
                prop_assert!(may_manage(&actor, &t, &c, 600).is_ok());
                if !actor.access.is_admin() {
                    let mut raised = t.clone();
                    raised.elevated = extra.clone();
                    let delegable = actor.capability(600).delegable().using();
                    for project in PROJECTS.iter().chain(["gamma"].iter()) {
                        let held = raised.capability(600).using().principal(&c, project);
                        let mine = delegable.principal(&c, project);
                        for grant in held.effective.grants() {
                            prop_assert!(mine.effective.allows(grant),
                                "{grant} in {project} exceeds the actor");
                        }
                    }
                }
            }
        }

        /// Only a second admin approves, never the requester, and only an
        /// elevation they could have made.
        #[test]
        fn approval_takes_a_second_admin(a in arb_subject(), t in arb_subject(), extra in arb_grants(),
                                         requester in prop::sample::select(vec!["kw_a", "kw_b"]),
                                         approver in prop::sample::select(vec!["kw_a", "kw_b"])) {
            let c = default_catalog();
            let mut actor = actor_from(&a, false);
            actor.person = approver.to_string();
            if may_approve(&actor, requester, &t, &extra, &c, 600).is_ok() {
                prop_assert!(actor.access.is_admin());
                prop_assert_ne!(approver, requester);
                prop_assert!(may_elevate(&actor, &t, &extra, &c, 600).is_ok());
            }
            if approver == requester {
                prop_assert!(may_approve(&actor, requester, &t, &extra, &c, 600).is_err());
            }
        }

        /// Managing implies seeing, and a retired secret manages nothing.
        #[test]
        fn managing_needs_seeing(a in arb_subject(), t in arb_subject(), retired in any::<bool>()) {
            let c = default_catalog();
            let actor = actor_from(&a, retired);
            if may_manage(&actor, &t, &c, 600).is_ok() {
                prop_assert!(!retired);
                prop_assert!(may_see(&actor, &t, &c).is_ok());
            }
        }
    }
}
