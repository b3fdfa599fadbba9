//! Accounts and roles as the browser sees them. The password hash never leaves the server:
//! it lives in `server::store::users::Credentials`, which is not `Serialize`.

use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// What a signed-in person may do. Checked by every server function, mirrored by the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Program manager: full configuration.
    Admin,
    /// Executive: read-only Insights.
    Analyst,
    /// In-store desk: find a member, record a purchase.
    Staff,
    /// Portal: own data only.
    Member,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Staff, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Staff => "staff",
            Role::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Program manager",
            Role::Analyst => "Analyst",
            Role::Staff => "Store staff",
            Role::Member => "Member",
        }
    }

    /// What the role is called in `locale` (`label` in English), as the header shows it.
    pub fn name(self, locale: crate::i18n::Locale) -> &'static str {
        use crate::i18n::td_string;
        match self {
            Role::Admin => td_string!(locale, common.role.admin),
            Role::Analyst => td_string!(locale, common.role.analyst),
            Role::Staff => td_string!(locale, common.role.staff),
            Role::Member => td_string!(locale, common.role.member),
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The page a role lands on after signing in.
    pub fn home(self) -> &'static str {
        match self {
            Role::Admin => "/manage",
            Role::Analyst => "/insights",
            Role::Staff => "/desk",
            Role::Member => "/portal",
        }
    }

    pub fn can_manage(self) -> bool {
        self == Role::Admin
    }
    pub fn can_use_desk(self) -> bool {
        matches!(self, Role::Admin | Role::Staff)
    }
    pub fn can_see_insights(self) -> bool {
        matches!(self, Role::Admin | Role::Analyst)
    }
    pub fn is_member(self) -> bool {
        self == Role::Member
    }
}

/// The sign-up a confirmation link would make an account for, shown before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignup {
    pub name: String,
    pub email: String,
}

/// The signed-in user, as shown in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: crate::model::ids::UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// A row of the admin's user list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserSummary {
    pub id: crate::model::ids::UserId,
    pub email: String,
    pub display_name: String,
    pub role: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub created_at: Timestamp,
    /// When an admin disabled the account (it cannot sign in, its sessions were ended).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub disabled_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_gate_surfaces() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Admin.can_manage() && !Role::Staff.can_manage());
        assert!(Role::Staff.can_use_desk() && !Role::Analyst.can_use_desk());
        assert!(Role::Analyst.can_see_insights() && !Role::Member.can_see_insights());
    }
}

/// The member sign-up form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupInput {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub password: String,
    /// A friend's referral code, optional.
    #[serde(default)]
    pub referral_code: String,
    /// "YYYY-MM-DD", optional: the program's birthday reward comes once a year.
    #[serde(default)]
    pub birth_date: String,
}

/// The admin's form for staff, analyst and admin accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserInput {
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub password: String,
}

/// Who is viewing a page, looked up once before the page renders (a request extension on the
/// server): role gates decide from it at once, without a suspense of their own, so a page's
/// hydration data is numbered the same on the server and in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUser(pub Option<SessionUser>);
