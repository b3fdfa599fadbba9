//! Message templates: saved only when their text is sound (every field known), previewed
//! against a real member of the program, sent as a test to the manager's own address, and
//! rendered for a member in their language when a journey or campaign sends one.

use crate::domain::lang::{current, Lang};
use crate::domain::templates::{check, render, TemplateData};
use crate::error::{AppError, Validator};
use crate::i18n::td_string;
use crate::model::ids::{MemberId, ProgramId, UserId};
use crate::model::message::{Channel, IfLimited, Topic};
use crate::model::template::{MessageTemplate, TemplateForm, TemplatePreview, TEMPLATE_LANGUAGES};
use crate::model::time::Timestamp;
use sqlx::AnyConnection;

use crate::server::db::Db;
use crate::server::outbox::messages::{enqueue, NewMessage};
use crate::server::service::identity::{self, Lookup};
use crate::server::store::{campaigns, journeys, messages, programs, templates};

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 5_000;

/// A form's template, checked (each bad field named), not saved.
pub fn validate(form: &TemplateForm) -> Result<MessageTemplate, AppError> {
    let l = current().locale;
    let mut v = Validator::new();
    let name = form.name.trim().to_lowercase();
    if name.is_empty()
        || name.chars().count() > 60
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        v.add("name", td_string!(l, errors.templates.name));
    }
    let channel = Channel::parse(form.channel.trim());
    if channel.is_none() {
        v.add("channel", td_string!(l, errors.templates.channel));
    }
    let language = form.language.trim().to_string();
    if !TEMPLATE_LANGUAGES.contains(&language.as_str()) {
        v.add("language", td_string!(l, errors.templates.language));
    }
    let subject = form.subject.trim().to_string();
    // An SMS has no subject; every other channel shows one.
    if subject.chars().count() > MAX_SUBJECT_CHARS || (subject.is_empty() && channel != Some(Channel::Sms)) {
        v.add("subject", td_string!(l, errors.templates.subject));
    } else {
        v.check("subject", check(&subject));
    }
    let body = form.body.trim().to_string();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        v.add("body", td_string!(l, errors.templates.body));
    } else {
        v.check("body", check(&body));
    }
    v.finish()?;
    Ok(MessageTemplate {
        id: form.id,
        program_id: form.program_id,
        name,
        channel: channel.unwrap_or(Channel::Email),
        language,
        subject,
        body,
        updated_at: Timestamp(0),
    })
}

/// Saves a checked template (a new one, or an edit of `form.id`).
pub async fn save(db: &Db, form: &TemplateForm) -> Result<MessageTemplate, AppError> {
    let template = validate(form)?;
    programs::get(db, form.program_id).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    templates::lock(&mut tx, template.program_id).await?;
    // Renamed or moved to another channel: the old name and channel must not be left to
    // nothing while something live sends them.
    if template.id != 0 {
        if let Some(old) = templates::get(&mut tx, template.program_id, template.id).await? {
            if (&old.name, old.channel) != (&template.name, template.channel) {
                if let Some(message) = still_sent(&mut tx, &old, now).await? {
                    let field = if old.name == template.name {
                        "channel"
                    } else {
                        "name"
                    };
                    return Err(AppError::field(field, message));
                }
            }
        }
    }
    match templates::save(&mut tx, &template, now).await? {
        Some(id) => {
            tx.commit().await?;
            Ok(MessageTemplate {
                id,
                updated_at: now,
                ..template
            })
        }
        None => Err(AppError::field(
            "name",
            td_string!(current().locale, errors.templates.taken),
        )),
    }
}

/// Deletes one version of a template, unless it is the last on its channel that a journey
/// (not a draft) or a campaign that has not ended sends: they would then send nothing on
/// that channel, quietly, so the manager is told who uses it instead.
pub async fn delete(db: &Db, program: ProgramId, id: i64) -> Result<(), AppError> {
    let gone = || AppError::not_found(td_string!(current().locale, errors.what.template));
    let mut tx = db.begin_write().await?;
    templates::lock(&mut tx, program).await?;
    let template = templates::get(&mut tx, program, id).await?.ok_or_else(gone)?;
    if let Some(message) = still_sent(&mut tx, &template, db.now()).await? {
        return Err(AppError::conflict(message));
    }
    if !templates::delete(&mut tx, program, id).await? {
        return Err(gone());
    }
    tx.commit().await?;
    Ok(())
}

/// The first of `sends` (template name, channel) the program has no version of, checked
/// under the program's template lock (held to the end of the caller's transaction): a
/// journey being started or a campaign launched must not send a template deleted since
/// it was saved as a draft.
pub async fn first_missing<'a>(
    conn: &mut AnyConnection,
    program: ProgramId,
    sends: &[(&'a str, Channel)],
) -> Result<Option<(&'a str, Channel)>, AppError> {
    templates::lock(conn, program).await?;
    for &(name, channel) in sends {
        if templates::other_versions(conn, program, name, channel, 0).await? == 0 {
            return Ok(Some((name, channel)));
        }
    }
    Ok(None)
}

/// When `t` is the last version of its name on its channel, what still sends it: the
/// refusal naming them, or None when nothing would be left without it.
async fn still_sent(
    conn: &mut AnyConnection,
    t: &MessageTemplate,
    now: Timestamp,
) -> Result<Option<String>, AppError> {
    use crate::model::journey::{JourneyStatus, StepKind};
    if templates::other_versions(conn, t.program_id, &t.name, t.channel, t.id).await? > 0 {
        return Ok(None);
    }
    let lang = current();
    let l = lang.locale;
    let mut users: Vec<String> = Vec::new();
    for j in journeys::of_program(conn, t.program_id).await? {
        let sends = j.steps.iter().any(|s| {
            matches!(&s.kind, StepKind::Message { template, channel, .. }
                if *template == t.name && *channel == t.channel)
        });
        if sends && j.status != JourneyStatus::Draft {
            users.push(
                td_string!(l, errors.templates.journey_named, name = lang.isolate(&j.name)).to_string(),
            );
        }
    }
    for c in campaigns::not_ended(conn, t.program_id.get(), now).await? {
        if c.message
            .as_ref()
            .is_some_and(|m| m.template == t.name && m.channels.contains(&t.channel))
        {
            users.push(
                td_string!(l, errors.templates.campaign_named, name = lang.isolate(&c.name)).to_string(),
            );
        }
    }
    if users.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        td_string!(
            l,
            errors.templates.in_use,
            name = lang.isolate(&t.name),
            channel = crate::model::message::channel_label(l, t.channel),
            users = users.join(td_string!(l, offers.engine.comma))
        )
        .to_string(),
    ))
}

/// A member's standing in a program, as templates use it.
#[derive(sqlx::FromRow)]
struct Standing {
    membership_id: i64,
    program_name: String,
    currency_name: String,
    balance: i64,
    tier: Option<String>,
}

/// What a template is filled with for `member` in `program`, in `lang`.
pub async fn data_for(
    db: &Db,
    program: ProgramId,
    member: MemberId,
    lang: Lang,
    portal_url: &str,
) -> Result<TemplateData, AppError> {
    let zone = messages::settings(db, program).await?.time_zone;
    let mut conn = db.pool.acquire().await?;
    data_in(&mut conn, program, member, lang, portal_url, db.now(), &zone).await
}

/// `data_for` read on `conn` (a journey's transaction sees the points it has just booked),
/// as of `now`, with dates in the program's time `zone`.
pub async fn data_in(
    conn: &mut AnyConnection,
    program: ProgramId,
    member: MemberId,
    lang: Lang,
    portal_url: &str,
    now: Timestamp,
    zone: &str,
) -> Result<TemplateData, AppError> {
    let not_member = || AppError::not_found(td_string!(current().locale, errors.what.member));
    let name: String = sqlx::query_scalar("SELECT name FROM members WHERE id = $1")
        .bind(member)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(not_member)?;
    let standing: Option<Standing> = sqlx::query_as(
        "SELECT ms.id AS membership_id, p.name AS program_name, p.currency_name, ms.balance, t.name AS tier \
         FROM memberships ms JOIN programs p ON p.id = ms.program_id LEFT JOIN tiers t ON t.id = ms.tier_id \
         WHERE ms.member_id = $1 AND ms.program_id = $2",
    )
    .bind(member)
    .bind(program)
    .fetch_optional(&mut *conn)
    .await?;
    let standing = standing.ok_or_else(not_member)?;
    // The points that expire first: the earliest open lot's day, with every lot due that day.
    let first: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(expires_at) FROM point_lots WHERE membership_id = $1 AND remaining > 0 AND expires_at > $2",
    )
    .bind(standing.membership_id)
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?;
    let (expiring_points, expiring_date) = match first {
        Some(first) => {
            let points: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM point_lots WHERE membership_id = $1 \
                 AND remaining > 0 AND expires_at >= $2 AND expires_at < $3",
            )
            .bind(standing.membership_id)
            .bind(first)
            .bind(first + crate::model::time::SECONDS_PER_DAY)
            .fetch_one(&mut *conn)
            .await?;
            let day = crate::domain::local_time::wall_clock(Timestamp(first), zone)
                .map(|(d, ..)| d)
                .unwrap_or_else(|| Timestamp(first).date());
            (lang.number(points), lang.date(day))
        }
        None => (String::new(), String::new()),
    };
    Ok(TemplateData {
        first_name: name.split_whitespace().next().unwrap_or_default().to_string(),
        name,
        program: standing.program_name,
        points_name: standing.currency_name,
        balance: lang.number(standing.balance),
        tier: standing.tier.unwrap_or_default(),
        expiring_points,
        expiring_date,
        offer: String::new(),
        portal_url: format!("{portal_url}/portal"),
    })
}

/// The language a member reads: the one their account chose, else English.
pub async fn member_language(db: &Db, member: MemberId) -> Result<Lang, AppError> {
    member_language_in(&mut *db.pool.acquire().await?, member).await
}

/// `member_language` read on `conn`.
pub async fn member_language_in(conn: &mut AnyConnection, member: MemberId) -> Result<Lang, AppError> {
    let tag: Option<String> =
        sqlx::query_scalar("SELECT u.locale FROM members m JOIN users u ON u.id = m.user_id WHERE m.id = $1")
            .bind(member)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
    Ok(tag.as_deref().and_then(Lang::from_tag).unwrap_or_default())
}

/// The form's template rendered for the program's member `identifier` (card, email, phone).
async fn rendered(
    db: &Db,
    form: &TemplateForm,
    identifier: &str,
    portal_url: &str,
) -> Result<TemplatePreview, AppError> {
    let template = validate(form)?;
    let member = identity::identify(db, identifier, crate::model::rules::Channel::Web, Lookup::Read)
        .await
        .map_err(|_| AppError::field("member", td_string!(current().locale, errors.what.member)))?
        .0;
    let lang = Lang::from_tag(&template.language).unwrap_or_default();
    let data = data_for(db, form.program_id, member.id, lang, portal_url)
        .await
        .map_err(|e| match e {
            AppError::NotFound { what } => AppError::field("member", what),
            e => e,
        })?;
    let fill = |source: &str, field: &str| render(source, &data).map_err(|m| AppError::field(field, m));
    Ok(TemplatePreview {
        member_name: member.name,
        subject: fill(&template.subject, "subject")?,
        body: fill(&template.body, "body")?,
    })
}

/// The form's template as `identifier`'s member would get it; nothing saved or sent.
pub async fn preview(
    db: &Db,
    form: &TemplateForm,
    identifier: &str,
    portal_url: &str,
) -> Result<TemplatePreview, AppError> {
    rendered(db, form, identifier, portal_url).await
}

/// Emails the preview to the manager (`to`, their account) as a test.
pub async fn send_test(
    db: &Db,
    form: &TemplateForm,
    identifier: &str,
    to: UserId,
    portal_url: &str,
) -> Result<TemplatePreview, AppError> {
    let preview = rendered(db, form, identifier, portal_url).await?;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(to)
        .fetch_one(&db.pool)
        .await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let message = NewMessage {
        member_id: None,
        user_id: Some(to),
        program_id: Some(form.program_id),
        channel: Channel::Email,
        topic: Topic::Service,
        kind: "template_test",
        if_limited: IfLimited::Defer,
        recipient: email,
        language: form.language.clone(),
        subject: preview.subject.clone(),
        body: preview.body.clone(),
        dedupe_key: None,
        not_before: now,
        journey_id: None,
        campaign_id: None,
    };
    enqueue(&mut tx, &message, now).await?;
    tx.commit().await?;
    Ok(preview)
}

/// A template message to one member: which template (by name, on a channel) and what sent it.
pub struct ToMember<'a> {
    pub program: ProgramId,
    pub member: MemberId,
    pub template: &'a str,
    pub channel: Channel,
    pub topic: Topic,
    /// What sent it, for reports ("journey", "campaign").
    pub kind: &'static str,
    /// The cause's key: a second write under it writes nothing.
    pub dedupe_key: String,
    pub journey_id: Option<i64>,
    pub campaign_id: Option<i64>,
}

/// Writes the message `to` names in the caller's transaction: the program's template in the
/// member's language (else English, else any), filled for them, with `offer` (given the
/// template's language) as its offer, to the address they have now (the outbox suppresses
/// one without, saying why). None when `templates` has none or it does not render; else
/// whether it was written now (false: its key was written before).
pub async fn enqueue_for(
    conn: &mut AnyConnection,
    templates: &[MessageTemplate],
    to: &ToMember<'_>,
    offer: impl Fn(Lang) -> String,
    (portal_url, zone): (&str, &str),
    now: Timestamp,
) -> Result<Option<bool>, AppError> {
    let lang = member_language_in(conn, to.member).await?;
    let of = |language: Option<&str>| {
        templates.iter().find(|t| {
            t.name == to.template && t.channel == to.channel && language.is_none_or(|l| t.language == l)
        })
    };
    let Some(template) = of(Some(lang.tag()))
        .or_else(|| of(Some("en")))
        .or_else(|| of(None))
    else {
        return Ok(None);
    };
    let lang = Lang::from_tag(&template.language).unwrap_or_default();
    let mut data = data_in(conn, to.program, to.member, lang, portal_url, now, zone).await?;
    data.offer = offer(lang);
    let (Ok(subject), Ok(body)) = (render(&template.subject, &data), render(&template.body, &data)) else {
        return Ok(None);
    };
    let column = match to.channel {
        Channel::Email => Some("email"),
        Channel::Sms => Some("phone"),
        Channel::InApp | Channel::Push => None,
    };
    let recipient = match column {
        Some(column) => {
            sqlx::query_scalar::<_, Option<String>>(&format!("SELECT {column} FROM members WHERE id = $1"))
                .bind(to.member)
                .fetch_one(&mut *conn)
                .await?
                .unwrap_or_default()
        }
        None => String::new(),
    };
    let m = NewMessage {
        member_id: Some(to.member),
        user_id: None,
        program_id: Some(to.program),
        channel: to.channel,
        topic: to.topic,
        kind: to.kind,
        if_limited: IfLimited::Defer,
        recipient,
        language: template.language.clone(),
        subject,
        body,
        dedupe_key: Some(to.dedupe_key.clone()),
        not_before: now,
        journey_id: to.journey_id,
        campaign_id: to.campaign_id,
    };
    Ok(Some(enqueue(conn, &m, now).await?))
}
