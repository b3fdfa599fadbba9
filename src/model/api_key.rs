//! Channel API keys as admins see them. The secret itself is shown once, at creation.

use crate::model::ids::ProgramId;
use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// What a key may do. A key carries a subset, chosen by the admin.
pub const SCOPES: &[(&str, &str)] = &[
    ("members:read", "Look up members, balances and rewards"),
    (
        "members:write",
        "Link card numbers and the channel's customer ids to members",
    ),
    (
        "members:enrol",
        "Enrol members and change their profiles (name, email, phone, date of birth)",
    ),
    ("orders:write", "Record orders and returns"),
    ("events:write", "Record actions (reviews, check-ins, ...)"),
    ("rewards:write", "Redeem, reserve, confirm and release rewards"),
    ("points:adjust", "Issue or take points by hand"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub channel: String,
    pub program_id: Option<ProgramId>,
    /// The program's name where the list shows it (`None` for a key of every program).
    #[serde(default)]
    pub program_name: Option<String>,
    pub scopes: Vec<String>,
    /// The public part of the key ("olk_3f9a2c1b"), enough to recognise it in logs.
    pub prefix: String,
    pub rate_per_sec: i64,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// The admin form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInput {
    pub name: String,
    pub channel: String,
    /// "" or "0" for every program.
    #[serde(default)]
    pub program_id: String,
    /// Ticked scope checkboxes.
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub rate_per_sec: String,
}

/// The answer to creating a key: the only time the full secret is ever shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    pub secret: String,
}
