//! Surveys: managers open and close them; members answer on the portal and channels post
//! `survey` events with a score. Each answer is booked with its event (points through the
//! program's survey rules) in one transaction.

use crate::domain::lang::current;
use crate::domain::surveys as rules;
use crate::error::{AppError, Validator};
use crate::i18n::td_string;
use crate::model::ids::{MemberId, ProgramId};
use crate::model::order::{ActionInput, EarnReceipt};
use crate::model::rules::Channel;
use crate::model::survey::{Frequency, Survey, SurveyInput, SurveyOffer};
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::store::surveys as store;

use super::orders::{self, SurveyAnswer};

/// Every survey of every program, open ones first.
pub async fn list(db: &Db) -> Result<Vec<Survey>, AppError> {
    store::list(&mut *db.pool.acquire().await?).await
}

/// Opens a survey in a program, closing the one it had open: a program asks one question
/// at a time, so an answer never has to say which survey it is for.
#[tracing::instrument(skip(db, input), err(level = "debug"))]
pub async fn open(db: &Db, input: &SurveyInput) -> Result<Survey, AppError> {
    let l = current().locale;
    let mut v = Validator::new();
    let program_id = match input.program_id.trim().parse::<i64>() {
        Ok(id) => crate::server::store::programs::get(db, ProgramId(id))
            .await
            .ok()
            .map(|p| p.id),
        Err(_) => None,
    };
    let program_id = v.check(
        "program_id",
        program_id.ok_or_else(|| td_string!(l, errors.surveys.unknown_program).to_string()),
    );
    let question = v.check("question", rules::question(&input.question));
    let frequency = v.check(
        "frequency",
        Frequency::parse(input.frequency.trim())
            .ok_or_else(|| td_string!(l, errors.surveys.frequency).to_string()),
    );
    v.finish()?;
    let (Some(program_id), Some(question), Some(frequency)) = (program_id, question, frequency) else {
        return Err(AppError::Internal);
    };
    let now = db.now();
    let mut tx = db.begin_write().await?;
    store::lock_program(&mut tx, program_id).await?;
    store::close_open(&mut tx, program_id, now).await?;
    let id = store::insert(&mut tx, program_id, &question, frequency, now).await?;
    tx.commit().await?;
    tracing::info!(survey_id = id, program_id = %program_id, "survey opened");
    store::get(&mut *db.pool.acquire().await?, id)
        .await?
        .ok_or(AppError::Internal)
}

/// Closes a survey, or opens it again (closing the program's other open one).
pub async fn set_active(db: &Db, id: i64, active: bool) -> Result<(), AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let survey = store::get(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.survey)))?;
    if active {
        store::lock_program(&mut tx, survey.program_id).await?;
        store::close_open(&mut tx, survey.program_id, now).await?;
    }
    store::set_active(&mut tx, id, active, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The surveys a member can answer today: open, in their programs, not answered in this
/// period.
pub async fn offers(db: &Db, member_id: MemberId) -> Result<Vec<SurveyOffer>, AppError> {
    let mut conn = db.pool.acquire().await?;
    let today = db.now().date();
    let mut out = Vec::new();
    for (survey_id, program_id, program_name, question, frequency, membership_id) in
        store::open_for_member(&mut conn, member_id).await?
    {
        let Some(frequency) = Frequency::parse(&frequency) else {
            continue;
        };
        let period = rules::period_of(frequency, today);
        if !store::answered(&mut conn, survey_id, membership_id, &period).await? {
            out.push(SurveyOffer {
                survey_id,
                program_id,
                program_name,
                question,
            });
        }
    }
    Ok(out)
}

/// An answer as a channel or the portal sends it.
pub struct AnswerInput<'a> {
    pub channel: Channel,
    pub event_id: String,
    pub store: Option<String>,
    pub occurred_at: Option<Timestamp>,
    /// As typed or sent: a whole number 0-10.
    pub score: &'a str,
    pub comment: &'a str,
    /// The survey the member was shown, when the answer is to that one only (the portal).
    pub only: Option<i64>,
}

/// Books a member's answer to the program's open survey with its `survey` event.
#[tracing::instrument(skip(db, input), err(level = "debug"))]
pub async fn answer(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    input: AnswerInput<'_>,
) -> Result<EarnReceipt, AppError> {
    let mut v = Validator::new();
    let score = v.check("score", rules::score(input.score));
    let comment = v.check("comment", rules::comment(input.comment));
    v.finish()?;
    let (Some(score), Some(comment)) = (score, comment) else {
        return Err(AppError::Internal);
    };
    let action = ActionInput {
        event_type: "survey".into(),
        channel: input.channel,
        event_id: input.event_id,
        store: input.store,
        occurred_at: input.occurred_at,
    };
    let answer = SurveyAnswer {
        only: input.only,
        score,
        comment,
    };
    orders::record_survey_answer(db, program_id, member_id, &action, answer).await
}

/// A member answers a survey of one of their programs on the portal. The event id names the
/// survey and the period, so a form sent twice books once (and says so both times).
pub async fn answer_on_portal(
    db: &Db,
    member_id: MemberId,
    survey_id: i64,
    score: &str,
    comment: &str,
) -> Result<EarnReceipt, AppError> {
    let unknown = || {
        AppError::field(
            "score",
            td_string!(current().locale, errors.surveys.unknown_survey),
        )
    };
    let survey = store::get(&mut *db.pool.acquire().await?, survey_id)
        .await?
        .ok_or_else(unknown)?;
    // Only a program the member belongs to: booking an answer would enrol them otherwise.
    match super::members::membership_id(db, member_id, survey.program_id).await {
        Ok(_) => {}
        Err(AppError::NotFound { .. }) => return Err(unknown()),
        Err(e) => return Err(e),
    }
    let period = rules::period_of(survey.frequency, db.now().date());
    let input = AnswerInput {
        channel: Channel::Web,
        event_id: format!("portal-survey-{survey_id}-{period}"),
        store: None,
        occurred_at: None,
        score,
        comment,
        only: Some(survey_id),
    };
    answer(db, survey.program_id, member_id, input).await
}
