//! The chrome around every page: title, header, organization switcher and sidebar.

use crate::auth::{CurrentUser, OrgMember, RequestMeta};
use crate::domain::{Credits, Permission};
use crate::models::memberships::OrgLink;

/// The sidebar entries, in order. Only pages that exist are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Members,
    Projects,
    ApiKeys,
    Usage,
    Billing,
    Activity,
    Settings,
    Health,
}

impl Section {
    const ALL: [Section; 9] = [
        Section::Overview,
        Section::Members,
        Section::Projects,
        Section::ApiKeys,
        Section::Usage,
        Section::Billing,
        Section::Activity,
        Section::Health,
        Section::Settings,
    ];

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Members => "Members",
            Section::Projects => "Projects",
            Section::ApiKeys => "API keys",
            Section::Usage => "Usage",
            Section::Billing => "Billing",
            Section::Activity => "Activity log",
            Section::Settings => "Settings",
            Section::Health => "Access health",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Section::Overview => "",
            Section::Members => "/members",
            Section::Projects => "/projects",
            Section::ApiKeys => "/api-keys",
            Section::Usage => "/usage",
            Section::Billing => "/billing",
            Section::Activity => "/activity",
            Section::Settings => "/settings",
            Section::Health => "/health",
        }
    }

    /// Whether the viewer may open the section: the role table decides; organization-level
    /// pages are not offered to project-only members.
    fn visible_to(self, member: &OrgMember) -> bool {
        let org_member = !member.access.is_project_only();
        match self {
            Section::Overview | Section::Settings => org_member,
            Section::Members => member.can(Permission::ViewMembers),
            Section::Projects => member.require(Permission::ViewProjects).is_ok(),
            Section::ApiKeys => member.require(Permission::ViewApiKeys).is_ok(),
            Section::Usage => member.require(Permission::ViewUsage).is_ok(),
            Section::Billing => member.can(Permission::ViewBilling),
            Section::Activity => member.can(Permission::ViewActivity),
            Section::Health => member.can(Permission::ViewAccessHealth),
        }
    }
}

pub struct NavItem {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
    /// A number of open items next to the label ("Access health").
    pub badge: Option<i64>,
}

pub struct OrgChrome {
    pub name: String,
    pub slug: String,
    pub nav: Vec<NavItem>,
}

pub struct UserChrome {
    pub name: String,
    pub email: String,
    /// Shows the "confirm your email address" banner.
    pub unverified: bool,
}

impl UserChrome {
    fn of(user: &crate::models::users::User) -> Self {
        UserChrome {
            name: user.name.clone(),
            email: user.email.clone(),
            unverified: user.email_verified_at.is_none(),
        }
    }
}

/// Everything `base.html` and `app.html` read. Every page struct has a `layout` field.
pub struct Layout {
    /// "Members · Acme · Teamwork".
    pub title: String,
    pub csrf: String,
    pub user: Option<UserChrome>,
    pub orgs: Vec<OrgLink>,
    pub org: Option<OrgChrome>,
    pub flash: Option<String>,
    pub credits: Option<CreditWarning>,
}

/// Low credits, shown on every organization page to those who can add credits.
pub struct CreditWarning {
    pub balance: Credits,
    pub billing_href: String,
}

impl CreditWarning {
    fn of(member: &OrgMember) -> Option<Self> {
        let balance = member.balance?;
        (balance.is_low() && member.can(Permission::ManageBilling)).then(|| CreditWarning {
            balance,
            billing_href: format!("/orgs/{}/billing", member.org.slug),
        })
    }
}

impl Layout {
    /// For signed-out pages (sign up, log in, mailed links).
    pub fn public(title: &str, meta: &RequestMeta) -> Self {
        Layout {
            title: format!("{title} · Teamwork"),
            csrf: meta.csrf.clone(),
            user: None,
            orgs: Vec::new(),
            org: None,
            flash: meta.flash.clone(),
            credits: None,
        }
    }

    pub fn for_user(current: &CurrentUser, title: &str) -> Self {
        Layout {
            user: Some(UserChrome::of(&current.user)),
            orgs: current.orgs.clone(),
            flash: current.meta.flash.clone(),
            ..Layout::public(title, &current.meta)
        }
    }

    pub fn for_org(member: &OrgMember, section: Section, title: &str) -> Self {
        let base = format!("/orgs/{}", member.org.slug);
        let nav = Section::ALL
            .into_iter()
            .filter(|s| s.visible_to(member))
            .map(|s| NavItem {
                label: s.label(),
                href: format!("{base}{}", s.path()),
                active: s == section,
                badge: match s {
                    Section::Health => member.health_open.filter(|n| *n > 0),
                    _ => None,
                },
            })
            .collect();
        Layout {
            title: format!("{title} · {} · Teamwork", member.org.name),
            csrf: member.meta.csrf.clone(),
            user: Some(UserChrome::of(&member.user)),
            orgs: member.orgs.clone(),
            org: Some(OrgChrome {
                name: member.org.name.clone(),
                slug: member.org.slug.clone(),
                nav,
            }),
            flash: member.meta.flash.clone(),
            credits: CreditWarning::of(member),
        }
    }

    /// Whether `slug` is the organization the page belongs to (marked in the switcher).
    pub fn is_current_org(&self, slug: &str) -> bool {
        self.org.as_ref().is_some_and(|org| org.slug == slug)
    }

    /// The value of `data-hx-headers` on `<body>`: htmx sends the CSRF token with every request.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ crate::auth::csrf::HEADER: self.csrf }).to_string()
    }
}

impl OrgMember {
    pub fn layout(&self, section: Section, title: &str) -> Layout {
        Layout::for_org(self, section, title)
    }
}

impl CurrentUser {
    pub fn layout(&self, title: &str) -> Layout {
        Layout::for_user(self, title)
    }
}
