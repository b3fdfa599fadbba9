//! Earning rules: admins list, save, switch off or remove them, and preview what an event
//! would earn (a dry run that writes nothing).

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::rules::{Award, EarningRule, PreviewInput, RuleForm};

#[server(endpoint = "list_rules")]
pub async fn list_rules(program_id: ProgramId) -> Result<Vec<EarningRule>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::rules::list(&guard::state()?.db, program_id).await
}

#[server(endpoint = "save_rule")]
pub async fn save_rule(input: RuleForm) -> Result<EarningRule, AppError> {
    use crate::domain::forms::rule as rule_form;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::service::rules;
    use crate::server::store::programs;
    guard::require(Role::can_manage).await?;
    let db = guard::state()?.db;
    let detail = programs::detail(&db, input.program_id).await?;
    let tier_ids: Vec<i64> = detail.tiers.iter().map(|t| t.id).collect();
    let segments = crate::server::service::segments::list(&db, input.program_id).await?;
    let segment_ids: Vec<i64> = segments.iter().map(|s| s.id).collect();
    let rule = rule_form::parse(&input, &detail.program.currency_code, &tier_ids, &segment_ids)?;
    rules::save(&db, &rule).await
}

/// Removes a rule that never awarded anything; one that did is switched off instead, so
/// caps, budgets and explanations keep their history.
#[server(endpoint = "delete_rule")]
pub async fn delete_rule(program_id: ProgramId, rule_id: i64) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::rules::delete(&guard::state()?.db, program_id, rule_id).await
}

/// What an event would earn now for a member with no history and no tier: the rules'
/// explanation, nothing written.
#[server(endpoint = "preview_award")]
pub async fn preview_award(input: PreviewInput) -> Result<Award, AppError> {
    use crate::domain::validate;
    use crate::model::rules::{Channel, EarnEvent};
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::service::orders;
    use crate::server::store::programs;
    guard::require(Role::can_manage).await?;
    let db = guard::state()?.db;
    let program = programs::get(&db, input.program_id).await?;
    let channel = Channel::parse(&input.channel).ok_or_else(|| {
        AppError::field(
            "channel",
            crate::i18n::td_string!(crate::domain::lang::current().locale, errors.rules.choose_channel),
        )
    })?;
    let event_type = input.event_type.trim().to_string();
    if event_type.is_empty() {
        return Err(AppError::field(
            "event_type",
            crate::i18n::td_string!(crate::domain::lang::current().locale, errors.rules.name_event),
        ));
    }
    let amount_minor = if event_type == "purchase" {
        validate::amount(&input.amount, &program.currency_code).map_err(|m| AppError::field("amount", m))?
    } else {
        0
    };
    let event = EarnEvent {
        event_type,
        channel,
        store: None,
        amount_minor,
        lines: Vec::new(),
        occurred_at: db.now(),
        utc_offset_secs: 0,
    };
    orders::dry_run(&db, program.id, None, &event).await
}
