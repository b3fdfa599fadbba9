//! Message templates: what a program's messages say, per channel and language, written by
//! managers with member fields (`{{ name }}`, `{{ balance }}`...).

use serde::{Deserialize, Serialize};

use crate::model::ids::ProgramId;
use crate::model::message::Channel;
use crate::model::time::Timestamp;

/// The member fields a template may use, each filled for the member it is sent to.
pub const TEMPLATE_FIELDS: [&str; 10] = [
    "name",
    "first_name",
    "program",
    "points_name",
    "balance",
    "tier",
    "expiring_points",
    "expiring_date",
    "offer",
    "portal_url",
];

/// Languages a template may be written in.
pub const TEMPLATE_LANGUAGES: [&str; 2] = ["en", "ar"];

/// A saved template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub id: i64,
    pub program_id: ProgramId,
    /// What messages name it by ("welcome", "winback"); one per channel and language.
    pub name: String,
    pub channel: Channel,
    pub language: String,
    pub subject: String,
    pub body: String,
    pub updated_at: Timestamp,
}

/// The Manage form: a new template (`id` 0) or an edit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateForm {
    pub program_id: ProgramId,
    pub id: i64,
    pub name: String,
    pub channel: String,
    pub language: String,
    pub subject: String,
    pub body: String,
}

impl TemplateForm {
    pub fn of(t: &MessageTemplate) -> Self {
        Self {
            program_id: t.program_id,
            id: t.id,
            name: t.name.clone(),
            channel: t.channel.as_str().to_string(),
            language: t.language.clone(),
            subject: t.subject.clone(),
            body: t.body.clone(),
        }
    }
}

/// A template rendered for a real member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePreview {
    pub member_name: String,
    pub subject: String,
    pub body: String,
}
