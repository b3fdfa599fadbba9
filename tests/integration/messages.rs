//! Messages end to end on both backends: email through a real SMTP server (aiosmtpd, started
//! here) with one-click unsubscribe, the SMS adapter against a local receiver, consent and a
//! closed account stopping messages, caps and quiet hours in the program's time zone with a
//! test clock, two workers never sending one message twice, an SMTP server that is down,
//! the portal's inbox, and password reset links.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use omniloyal::error::AppError;
use omniloyal::model::consent::{ConsentName, ConsentSource};
use omniloyal::model::ids::{MemberId, ProgramId};
use omniloyal::model::message::{Channel, IfLimited, MessageSettings, Topic};
use omniloyal::model::time::Timestamp;
use omniloyal::model::user::Role;
use omniloyal::server::config::{Messaging, DEFAULT_MAIL_FROM};
use omniloyal::server::db::Db;
use omniloyal::server::outbox::adapters::Adapters;
use omniloyal::server::outbox::messages::{deliver_due, enqueue, NewMessage, Pass};
use omniloyal::server::service::consents::{self, By};
use omniloyal::server::service::password_reset;
use omniloyal::server::store::messages as store;

use crate::on_both_backends;
use crate::support::fixtures::world;
use crate::support::{client, make_user, spawn_app, unique};

/// A real SMTP server on a free port, keeping what it gets in a maildir; stopped on drop.
pub(crate) struct SmtpServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl SmtpServer {
    pub(crate) async fn start() -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dir = std::env::temp_dir().join(unique("maildir"));
        let child = Command::new("/usr/bin/python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 to run aiosmtpd (scripts/setup.sh installs python3-aiosmtpd)");
        let server = SmtpServer { child, port, dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}: is python3-aiosmtpd installed (scripts/setup.sh)?");
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every email received, oldest first, with quoted-printable undone: soft line breaks,
    /// and "=" written as =3D. Python's Maildir names a file "{secs}.M{micros}P{pid}Q{n}.host"
    /// with the microseconds unpadded, so names are ordered by those numbers, not as text.
    pub(crate) fn in_order(&self) -> Vec<String> {
        let arrival = |p: &PathBuf| -> (u64, u64, u64) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let num = |after: char, s: &str| -> u64 {
                s.split_once(after)
                    .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(0)
            };
            let secs = name.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            (secs, num('M', &name), num('Q', &name))
        };
        let mut files: Vec<_> = std::fs::read_dir(self.dir.join("new"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort_by_key(arrival);
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .map(|m| m.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
            .collect()
    }

    /// Every email received, as its raw text.
    pub(crate) fn received(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn adapters(smtp_url: Option<String>, public_url: &str) -> Adapters {
    let settings = Messaging {
        smtp_url,
        mail_from: DEFAULT_MAIL_FROM.into(),
        ..Messaging::default()
    };
    Adapters::new(&settings, public_url.into()).unwrap()
}

/// No quiet hours or caps: tests that are not about them must not depend on the time of day.
pub(crate) fn open_settings() -> MessageSettings {
    MessageSettings {
        time_zone: "UTC".into(),
        quiet_hours: None,
        cap_day: None,
        cap_week: None,
        cap_month: None,
        min_gap_minutes: 0,
    }
}

fn message(
    member: MemberId,
    program: ProgramId,
    channel: Channel,
    topic: Topic,
    recipient: &str,
) -> NewMessage {
    NewMessage {
        member_id: Some(member),
        user_id: None,
        program_id: Some(program),
        channel,
        topic,
        kind: "test",
        if_limited: IfLimited::Defer,
        recipient: recipient.into(),
        language: "en".into(),
        subject: format!("Subject {}", unique("s")),
        body: "Hello".into(),
        dedupe_key: None,
        not_before: Timestamp(0),
        journey_id: None,
        campaign_id: None,
    }
}

async fn write(db: &Db, m: &NewMessage) -> bool {
    let mut tx = db.begin_write().await.unwrap();
    let written = enqueue(&mut tx, m, db.now()).await.unwrap();
    tx.commit().await.unwrap();
    written
}

async fn status(db: &Db, subject: &str) -> (String, Option<String>, i64) {
    sqlx::query_as("SELECT status, reason, attempts FROM messages WHERE subject = $1")
        .bind(subject)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn next_attempt(db: &Db, subject: &str) -> i64 {
    sqlx::query_scalar("SELECT next_attempt_at FROM messages WHERE subject = $1")
        .bind(subject)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Sends what is due through `smtp` and reads the token in the newest email it got.
async fn reset_token(db: &Db, smtp: &SmtpServer) -> String {
    deliver_due(db, &adapters(Some(smtp.url()), "http://shop.example"), db.now())
        .await
        .unwrap();
    let newest = smtp.in_order().pop().expect("an email");
    newest
        .split("http://shop.example/reset-password?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the newest email holds a reset link")
        .to_string()
}

async fn email_of(db: &Db, member: MemberId) -> String {
    sqlx::query_scalar("SELECT email FROM members WHERE id = $1")
        .bind(member)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

const PORTAL: By = By {
    source: ConsentSource::Portal,
    user: None,
    api_key: None,
};

async fn email_reaches_smtp_with_one_click_unsubscribe(db: Db) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    store::save_settings(&db, w.program.id, &open_settings())
        .await
        .unwrap();
    let to = email_of(&db, w.member_id).await;
    let offer = message(w.member_id, w.program.id, Channel::Email, Topic::Offers, &to);
    // Without consent to email and offers, nothing goes.
    write(&db, &offer).await;
    let out = adapters(Some(smtp.url()), &app.base);
    let pass = deliver_due(&db, &out, db.now()).await.unwrap();
    assert_eq!(pass.suppressed, 1);
    assert_eq!(status(&db, &offer.subject).await.1.as_deref(), Some("no_consent"));
    consents::change(
        &db,
        w.member_id,
        &[(ConsentName::Email, true), (ConsentName::Offers, true)],
        PORTAL,
    )
    .await
    .unwrap();
    let offer = message(w.member_id, w.program.id, Channel::Email, Topic::Offers, &to);
    write(&db, &offer).await;
    let pass = deliver_due(&db, &out, db.now()).await.unwrap();
    assert_eq!(pass.sent, 1, "{pass:?}");
    let mail = smtp.received();
    assert_eq!(mail.len(), 1);
    let raw = &mail[0];
    assert!(raw.contains(&format!("Subject: {}", offer.subject)), "{raw}");
    assert!(raw.contains(&format!("X-RcptTo: {to}")), "{raw}");
    assert!(
        raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{raw}"
    );
    let link = raw
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .and_then(|l| l.strip_suffix('>'))
        .expect("a List-Unsubscribe header")
        .to_string();
    assert!(link.starts_with(&format!("{}/unsubscribe/", app.base)), "{link}");
    assert!(raw.contains(&link), "the address is in the body too");
    // A browser's GET asks first and changes nothing.
    let page = client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    assert!(consents::view(&db, w.member_id)
        .await
        .unwrap()
        .granted
        .contains(&ConsentName::Email));
    // The mail client's one-click POST withdraws email, recorded as an unsubscribe.
    let res = client()
        .post(&link)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let view = consents::view(&db, w.member_id).await.unwrap();
    assert!(!view.granted.contains(&ConsentName::Email));
    assert!(
        view.granted.contains(&ConsentName::Offers),
        "only the channel goes"
    );
    assert_eq!(view.history[0].source, ConsentSource::Unsubscribe);
    // A repeat changes nothing more; an unknown token is not found.
    client().post(&link).send().await.unwrap();
    assert_eq!(
        consents::view(&db, w.member_id).await.unwrap().history.len(),
        view.history.len()
    );
    let bad = client()
        .post(format!("{}/unsubscribe/{}", app.base, "0".repeat(48)))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::NOT_FOUND);
    // The next offer by email is not sent.
    let offer = message(w.member_id, w.program.id, Channel::Email, Topic::Offers, &to);
    write(&db, &offer).await;
    deliver_due(&db, &out, db.now()).await.unwrap();
    assert_eq!(status(&db, &offer.subject).await.1.as_deref(), Some("no_consent"));
    assert_eq!(smtp.received().len(), 1);
}

async fn two_workers_never_send_one_message_twice(db: Db) {
    let smtp = SmtpServer::start().await;
    let w = world(&db, |_| ()).await;
    let to = email_of(&db, w.member_id).await;
    let mut subjects = Vec::new();
    for _ in 0..30 {
        let m = message(w.member_id, w.program.id, Channel::Email, Topic::Service, &to);
        subjects.push(m.subject.clone());
        write(&db, &m).await;
    }
    let out = Arc::new(adapters(Some(smtp.url()), "http://localhost"));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (db, out) = (db.clone(), out.clone());
            tokio::spawn(async move { deliver_due(&db, &out, db.now()).await.unwrap() })
        })
        .collect();
    let mut sent = 0;
    for w in workers {
        sent += w.await.unwrap().sent;
    }
    assert_eq!(sent, 30);
    let mail = smtp.received();
    assert_eq!(mail.len(), 30, "each message once");
    for s in &subjects {
        assert_eq!(
            mail.iter()
                .filter(|m| m.contains(&format!("Subject: {s}\n")))
                .count(),
            1,
            "{s}"
        );
        // Service messages carry no unsubscribe.
        assert_eq!(status(&db, s).await.0, "sent");
    }
    assert!(mail.iter().all(|m| !m.contains("List-Unsubscribe")));
}

async fn two_workers_keep_a_members_daily_cap(db: Db) {
    let w = world(&db, |_| ()).await;
    consents::change(&db, w.member_id, &[(ConsentName::Offers, true)], PORTAL)
        .await
        .unwrap();
    let settings = MessageSettings {
        cap_day: Some(1),
        ..open_settings()
    };
    store::save_settings(&db, w.program.id, &settings).await.unwrap();
    // Noon UTC: no quiet hours in the way, and the day is long.
    let noon = Timestamp((db.now().0 / 86_400) * 86_400 + 12 * 3600);
    db.clock().stop_at(Some(noon));
    for _ in 0..6 {
        write(
            &db,
            &message(w.member_id, w.program.id, Channel::InApp, Topic::Offers, ""),
        )
        .await;
    }
    let out = Arc::new(adapters(None, "http://localhost"));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (db, out) = (db.clone(), out.clone());
            tokio::spawn(async move { deliver_due(&db, &out, db.now()).await.unwrap() })
        })
        .collect();
    let mut total = Pass::default();
    for w in workers {
        let p = w.await.unwrap();
        total.sent += p.sent;
        total.held += p.held;
    }
    assert_eq!((total.sent, total.held), (1, 5), "one a day, whoever sends it");
    db.clock().stop_at(None);
}

async fn smtp_down_is_retried_then_a_visible_failure(db: Db) {
    let w = world(&db, |_| ()).await;
    let to = email_of(&db, w.member_id).await;
    let m = message(w.member_id, w.program.id, Channel::Email, Topic::Service, &to);
    write(&db, &m).await;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = adapters(
        Some(format!("smtp://127.0.0.1:{closed_port}")),
        "http://localhost",
    );
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    let pass = deliver_due(&db, &out, db.now()).await.unwrap();
    assert_eq!(
        pass,
        Pass {
            failed: 1,
            ..Pass::default()
        }
    );
    let (state, _, attempts) = status(&db, &m.subject).await;
    assert_eq!((state.as_str(), attempts), ("pending", 1), "kept for a retry");
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM messages WHERE subject = $1")
        .bind(&m.subject)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(error.is_some_and(|e| !e.is_empty()));
    // Nothing is sent before its backoff; then every retry fails, until it is given up.
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap(), Pass::default());
    for _ in 0..8 {
        db.clock().stop_at(Some(Timestamp(db.now().0 + 6 * 3600 + 1)));
        deliver_due(&db, &out, db.now()).await.unwrap();
    }
    let (state, _, attempts) = status(&db, &m.subject).await;
    assert_eq!((state.as_str(), attempts), ("failed", 9));
    db.clock().stop_at(None);
}

async fn caps_and_quiet_hours_hold_messages_in_local_time(db: Db) {
    let w = world(&db, |_| ()).await;
    consents::change(&db, w.member_id, &[(ConsentName::Offers, true)], PORTAL)
        .await
        .unwrap();
    let settings = MessageSettings {
        time_zone: "Asia/Dubai".into(),
        quiet_hours: Some((21 * 60, 9 * 60)),
        cap_day: Some(1),
        ..open_settings()
    };
    store::save_settings(&db, w.program.id, &settings).await.unwrap();
    let out = adapters(None, "http://localhost");
    // 2026-06-10 22:30 in Dubai (UTC+4) is 18:30 UTC: quiet there, not in UTC.
    let late = Timestamp(1_781_116_200);
    assert_eq!(late.to_datetime().to_rfc3339(), "2026-06-10T18:30:00+00:00");
    db.clock().stop_at(Some(late));
    let deferred = message(w.member_id, w.program.id, Channel::InApp, Topic::Offers, "");
    let dropped = NewMessage {
        if_limited: IfLimited::Drop,
        ..message(w.member_id, w.program.id, Channel::InApp, Topic::Offers, "")
    };
    let service = message(w.member_id, w.program.id, Channel::InApp, Topic::Service, "");
    for m in [&deferred, &dropped, &service] {
        write(&db, m).await;
    }
    let pass = deliver_due(&db, &out, db.now()).await.unwrap();
    assert_eq!(
        pass,
        Pass {
            sent: 1,
            held: 1,
            suppressed: 1,
            failed: 0
        }
    );
    assert_eq!(
        status(&db, &service.subject).await.0,
        "sent",
        "service messages keep no hours"
    );
    assert_eq!(
        status(&db, &dropped.subject).await,
        ("suppressed".into(), Some("quiet_hours".into()), 0)
    );
    assert_eq!(
        status(&db, &deferred.subject).await,
        ("pending".into(), Some("quiet_hours".into()), 0)
    );
    let next = next_attempt(&db, &deferred.subject).await;
    // 09:00 in Dubai is 05:00 UTC the next day.
    assert_eq!(
        Timestamp(next).to_datetime().to_rfc3339(),
        "2026-06-11T05:00:00+00:00"
    );
    db.clock().stop_at(Some(Timestamp(next - 60)));
    assert_eq!(
        deliver_due(&db, &out, db.now()).await.unwrap(),
        Pass::default(),
        "not before its time"
    );
    db.clock().stop_at(Some(Timestamp(next)));
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().sent, 1);
    // The day's one offer is spent: the next waits for local midnight (20:00 UTC).
    let second = message(w.member_id, w.program.id, Channel::InApp, Topic::Offers, "");
    write(&db, &second).await;
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().held, 1);
    assert_eq!(status(&db, &second.subject).await.1.as_deref(), Some("cap_day"));
    let next = next_attempt(&db, &second.subject).await;
    assert_eq!(
        Timestamp(next).to_datetime().to_rfc3339(),
        "2026-06-11T20:00:00+00:00"
    );
    // At local midnight quiet hours hold it until 09:00 local again; then it goes.
    db.clock().stop_at(Some(Timestamp(next)));
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().held, 1);
    db.clock().stop_at(Some(Timestamp(next + 9 * 3600)));
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().sent, 1);
    db.clock().stop_at(None);
}

async fn opted_out_and_closed_accounts_get_nothing(db: Db) {
    let w = world(&db, |_| ()).await;
    store::save_settings(&db, w.program.id, &open_settings())
        .await
        .unwrap();
    let out = adapters(None, "http://localhost");
    // The inbox withdrawn: neither offers nor service messages go there.
    consents::change(
        &db,
        w.member_id,
        &[(ConsentName::InApp, false), (ConsentName::Offers, true)],
        PORTAL,
    )
    .await
    .unwrap();
    let a = message(w.member_id, w.program.id, Channel::InApp, Topic::Offers, "");
    let b = message(w.member_id, w.program.id, Channel::InApp, Topic::Service, "");
    let c = message(w.member_id, w.program.id, Channel::Sms, Topic::Offers, "");
    for m in [&a, &b, &c] {
        write(&db, m).await;
    }
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().suppressed, 3);
    for m in [&a, &b, &c] {
        assert_eq!(status(&db, &m.subject).await.1.as_deref(), Some("no_consent"));
    }
    // A closed account gets not even a service email.
    let user: i64 = sqlx::query_scalar("SELECT user_id FROM members WHERE id = $1")
        .bind(w.member_id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET disabled_at = 1 WHERE id = $1")
        .bind(user)
        .execute(&db.pool)
        .await
        .unwrap();
    let d = message(
        w.member_id,
        w.program.id,
        Channel::Email,
        Topic::Service,
        "a@x.io",
    );
    write(&db, &d).await;
    deliver_due(&db, &out, db.now()).await.unwrap();
    assert_eq!(status(&db, &d.subject).await.1.as_deref(), Some("closed"));
    // A cause's key writes its message once.
    let keyed = NewMessage {
        dedupe_key: Some(unique("k")),
        ..message(w.member_id, w.program.id, Channel::InApp, Topic::Service, "")
    };
    assert!(write(&db, &keyed).await);
    assert!(!write(&db, &keyed).await);
}

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

async fn sms_goes_to_the_provider_signed(db: Db) {
    let (url, seen) = receiver("/sms").await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let settings = Messaging {
        sms_url: Some(url),
        http_secret: Some(secret.into()),
        mail_from: DEFAULT_MAIL_FROM.into(),
        ..Messaging::default()
    };
    let out = Adapters::new(&settings, "http://localhost".into()).unwrap();
    let w = world(&db, |_| ()).await;
    store::save_settings(&db, w.program.id, &open_settings())
        .await
        .unwrap();
    consents::change(
        &db,
        w.member_id,
        &[(ConsentName::Sms, true), (ConsentName::Reminders, true)],
        PORTAL,
    )
    .await
    .unwrap();
    let m = message(
        w.member_id,
        w.program.id,
        Channel::Sms,
        Topic::Reminders,
        "+971501234567",
    );
    write(&db, &m).await;
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().sent, 1);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["to"], "+971501234567");
    assert_eq!(json["channel"], "sms");
    let id = headers["webhook-id"].to_str().unwrap();
    let ts: i64 = headers["webhook-timestamp"].to_str().unwrap().parse().unwrap();
    let expected = omniloyal::server::webhooks::sign(secret, id, ts, body).unwrap();
    assert_eq!(headers["webhook-signature"].to_str().unwrap(), expected);
}

/// A provider that keeps what it is sent, on a free port: its address and what it got.
async fn receiver(path: &'static str) -> (String, Seen) {
    receiver_answering(path, "").await
}

/// `receiver` that answers each post with `answer`.
async fn receiver_answering(path: &'static str, answer: &'static str) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        path,
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push((headers, body));
                (StatusCode::ACCEPTED, answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}{path}"), seen)
}

/// Apps register push tokens over the channel API (checked, once per token, moved to a new
/// owner, at most 20 a member, removed on sign-out); push goes to the devices a member has
/// when it is sent, and without one is not sent, saying why.
async fn push_goes_to_the_members_devices(db: Db) {
    use omniloyal::model::message::MAX_PUSH_DEVICES;
    use reqwest::Method;
    use serde_json::json;

    use crate::support::fixtures::{program_key, send};
    let app = spawn_app(db).await;
    let db = app.db.clone();
    let w = world(&db, |_| ()).await;
    let p = w.program.id;
    store::save_settings(&db, p, &open_settings()).await.unwrap();
    let key = program_key(&db, "app", p).await;
    let card = omniloyal::server::service::members::get(&db, w.member_id)
        .await
        .unwrap()
        .card_number;
    let path = format!("/programs/{}/members/{card}/devices", p.0);
    let put = |body: serde_json::Value| {
        let (app, path, key) = (&app, path.clone(), key.clone());
        async move { send(app, Method::PUT, &path, Some(&key), None, Some(body)).await }
    };
    // Bad input names each field and registers nothing.
    let (status, err, _) = put(json!({"token": "has space", "platform": "fax"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["token", "platform"]);
    let (status, list, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    // Once per token: registering again only notes it was seen.
    let (status, a, _) = put(json!({"token": "apns-a", "platform": "ios"})).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    db.clock().advance(5);
    let (_, again, _) = put(json!({"token": "apns-a", "platform": "ios"})).await;
    assert_eq!(again["id"], a["id"]);
    assert_eq!(again["registered_at"], a["registered_at"]);
    assert!(again["last_seen_at"].as_i64() > a["last_seen_at"].as_i64());
    let (_, b, _) = put(json!({"token": "fcm-b", "platform": "android"})).await;
    let (_, list, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    // A phone that changes hands: its token moves to its new owner.
    let other = make_user(&db, Role::Member, &format!("{}@x.io", unique("o"))).await;
    let other = omniloyal::server::service::members::for_user(&db, other.id)
        .await
        .unwrap();
    omniloyal::server::service::members::join(&db, other.id, p)
        .await
        .unwrap();
    let other_path = format!("/programs/{}/members/{}/devices", p.0, other.card_number);
    let (status, moved, _) = send(
        &app,
        Method::PUT,
        &other_path,
        Some(&key),
        None,
        Some(json!({"token": "fcm-b", "platform": "android"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moved["id"], b["id"]);
    let (_, list, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // Another program's key sees none of this program's devices and removes none.
    let p2 = omniloyal::server::store::programs::save(&db, &crate::support::fixtures::program_input("Other"))
        .await
        .unwrap()
        .id;
    omniloyal::server::service::members::join(&db, w.member_id, p2)
        .await
        .unwrap();
    let key2 = program_key(&db, "app", p2).await;
    let path2 = format!("/programs/{}/members/{card}/devices", p2.0);
    let (status, theirs, _) = send(&app, Method::GET, &path2, Some(&key2), None, None).await;
    assert_eq!((status, theirs), (StatusCode::OK, json!([])));
    let (status, _, _) = send(
        &app,
        Method::DELETE,
        &format!("{path2}/{}", a["id"]),
        Some(&key2),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    assert_eq!(list[0]["id"], a["id"], "still there");
    // Removed on sign-out, and a retry answers the same; another member's device is not
    // this member's to remove.
    let remove =
        |owner: &str, id: &serde_json::Value| format!("/programs/{}/members/{owner}/devices/{id}", p.0);
    let delete = |path: String| {
        let (app, key) = (&app, key.clone());
        async move { send(app, Method::DELETE, &path, Some(&key), None, None).await.0 }
    };
    assert_eq!(delete(remove(&card, &b["id"])).await, StatusCode::NO_CONTENT);
    let (_, still, _) = send(&app, Method::GET, &other_path, Some(&key), None, None).await;
    assert_eq!(still[0]["id"], b["id"], "the other member keeps it");
    assert_eq!(delete(remove(&card, &a["id"])).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(remove(&card, &a["id"])).await, StatusCode::NO_CONTENT);
    let (_, list, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    assert_eq!(list, json!([]));

    // Push without a device is not sent, and says why.
    let (url, seen) = receiver("/push").await;
    let settings = Messaging {
        push_url: Some(url),
        http_secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
        mail_from: DEFAULT_MAIL_FROM.into(),
        ..Messaging::default()
    };
    let out = Adapters::new(&settings, "http://localhost".into()).unwrap();
    consents::change(
        &db,
        w.member_id,
        &[(ConsentName::Push, true), (ConsentName::Reminders, true)],
        PORTAL,
    )
    .await
    .unwrap();
    let none = message(w.member_id, p, Channel::Push, Topic::Reminders, "");
    write(&db, &none).await;
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().suppressed, 1);
    assert_eq!(
        self::status(&db, &none.subject).await,
        ("suppressed".into(), Some("no_address".into()), 0)
    );
    // With devices, the provider gets every one.
    for i in 0..MAX_PUSH_DEVICES + 2 {
        db.clock().advance(1);
        let (status, _, _) = put(json!({"token": format!("tok-{i}"), "platform": "web"})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, list, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    let tokens: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["token"].as_str().unwrap())
        .collect();
    assert_eq!(
        tokens.len() as i64,
        MAX_PUSH_DEVICES,
        "the ones seen longest ago are forgotten"
    );
    assert_eq!(tokens[0], format!("tok-{}", MAX_PUSH_DEVICES + 1));
    assert!(!tokens.contains(&"tok-0") && !tokens.contains(&"tok-1"));
    // Another program's push finds none of this program's devices.
    let elsewhere = message(w.member_id, p2, Channel::Push, Topic::Reminders, "");
    store::save_settings(&db, p2, &open_settings()).await.unwrap();
    write(&db, &elsewhere).await;
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().suppressed, 1);
    let m = message(w.member_id, p, Channel::Push, Topic::Reminders, "");
    write(&db, &m).await;
    assert_eq!(deliver_due(&db, &out, db.now()).await.unwrap().sent, 1);
    let json: serde_json::Value = {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        serde_json::from_str(&seen[0].1).unwrap()
    };
    assert_eq!(json["channel"], "push");
    assert_eq!(json["subject"], m.subject.as_str());
    let sent: Vec<&str> = json["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["token"].as_str().unwrap())
        .collect();
    assert_eq!(sent, tokens);
    assert_eq!(json["devices"][0]["platform"], "web");
    // A provider that says tokens reach no device any more: those sent are forgotten (one it
    // was never sent is not).
    let newest = tokens[0].to_string();
    let (status, _, _) = send(
        &app,
        Method::PUT,
        &path2,
        Some(&key2),
        None,
        Some(json!({"token": "p2-tok", "platform": "ios"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (url, _) = receiver_answering(
        "/push",
        r#"{"accepted": 19, "invalid_tokens": ["tok-21", "fcm-b", "p2-tok", "someone-else"]}"#,
    )
    .await;
    let pruning = Adapters::new(
        &Messaging {
            push_url: Some(url),
            ..settings
        },
        "http://localhost".into(),
    )
    .unwrap();
    let m = message(w.member_id, p, Channel::Push, Topic::Reminders, "");
    write(&db, &m).await;
    assert_eq!(deliver_due(&db, &pruning, db.now()).await.unwrap().sent, 1);
    let (_, list, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    let left: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["token"].as_str().unwrap())
        .collect();
    assert_eq!(left.len() as i64, MAX_PUSH_DEVICES - 1, "{left:?}");
    assert!(!left.contains(&newest.as_str()));
    // Tokens it was not sent stay: another member's here, this member's in another program.
    let (_, theirs, _) = send(&app, Method::GET, &other_path, Some(&key), None, None).await;
    assert_eq!(theirs[0]["token"], "fcm-b");
    let (_, elsewhere, _) = send(&app, Method::GET, &path2, Some(&key2), None, None).await;
    assert_eq!(elsewhere[0]["token"], "p2-tok");
}

async fn the_inbox_shows_and_marks_only_its_members_messages(db: Db) {
    let w = world(&db, |_| ()).await;
    let other = world(&db, |_| ()).await;
    let out = adapters(None, "http://localhost");
    let mine = message(w.member_id, w.program.id, Channel::InApp, Topic::Service, "");
    let theirs = message(
        other.member_id,
        other.program.id,
        Channel::InApp,
        Topic::Service,
        "",
    );
    write(&db, &mine).await;
    write(&db, &theirs).await;
    deliver_due(&db, &out, db.now()).await.unwrap();
    let inbox = store::inbox(&db, w.member_id, 50).await.unwrap();
    assert_eq!((inbox.messages.len(), inbox.unread), (1, 1));
    assert_eq!(inbox.messages[0].subject, mine.subject);
    let their_id = store::inbox(&db, other.member_id, 50).await.unwrap().messages[0].id;
    assert_eq!(
        store::mark_read(&db, w.member_id, Some(their_id), db.now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(store::inbox(&db, other.member_id, 50).await.unwrap().unread, 1);
    assert_eq!(
        store::mark_read(&db, w.member_id, None, db.now()).await.unwrap(),
        1
    );
    let inbox = store::inbox(&db, w.member_id, 50).await.unwrap();
    assert_eq!(inbox.unread, 0);
    assert!(inbox.messages[0].read);
}

async fn a_reset_link_works_once_within_thirty_minutes(db: Db) {
    let smtp = SmtpServer::start().await;
    let email = format!("{}@x.io", unique("reset"));
    let user = make_user(&db, Role::Member, &email).await;
    let count = |db: Db| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM messages WHERE kind = 'password_reset'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let before = count(db.clone()).await;
    password_reset::request(&db, "nobody-here@x.io").await.unwrap();
    assert_eq!(
        count(db.clone()).await,
        before,
        "no account, no email, the same answer"
    );
    password_reset::request(&db, &email.to_uppercase()).await.unwrap();
    let token = reset_token(&db, &smtp).await;
    // The token is kept only as its hash, and no stored text holds the link.
    let stored: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM password_resets WHERE token_hash = $1) \
         + (SELECT COUNT(*) FROM messages WHERE body LIKE $2)",
    )
    .bind(&token)
    .bind(format!("%{token}%"))
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);
    let hashed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM password_resets WHERE token_hash = $1")
        .bind(omniloyal::server::auth::session::hash_token(&token))
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(hashed, 1);
    // A short password is a field error and spends nothing.
    let e = password_reset::reset(&db, &token, "short").await.unwrap_err();
    assert!(e.field_message("password").is_some());
    password_reset::reset(&db, &token, "a new long password")
        .await
        .unwrap();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(omniloyal::server::auth::password::verify("a new long password".into(), Some(hash)).await);
    let mut notices: Vec<String> =
        sqlx::query_scalar("SELECT channel FROM messages WHERE kind = 'password_changed' AND user_id = $1")
            .bind(user.id)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    notices.sort();
    assert_eq!(notices, ["email", "in_app"], "by email, and in a member's inbox");
    // Used once: a second use is refused.
    let again = password_reset::reset(&db, &token, "another long password")
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Conflict { .. }), "{again:?}");
    // A fresh link expires after 30 minutes.
    password_reset::request(&db, &email).await.unwrap();
    let token = reset_token(&db, &smtp).await;
    db.clock().advance(31 * 60);
    let late = password_reset::reset(&db, &token, "another long password")
        .await
        .unwrap_err();
    assert!(matches!(late, AppError::Conflict { .. }));
    db.clock().advance(-31 * 60);
}

async fn asking_for_a_reset_answers_the_same_either_way(db: Db) {
    let app = spawn_app(db.clone()).await;
    let email = format!("{}@x.io", unique("known"));
    make_user(&db, Role::Staff, &email).await;
    let (s1, b1) = app
        .call(&client(), "request_password_reset", &[("email", &email)])
        .await;
    let (s2, b2) = app
        .call(
            &client(),
            "request_password_reset",
            &[("email", "unknown-person@x.io")],
        )
        .await;
    assert_eq!((s1, b1), (s2, b2));
    let (status, _) = app
        .call(
            &client(),
            "reset_password",
            &[("token", "nonsense"), ("password", "a long enough one")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn managers_set_limits_and_read_what_messages_did(db: Db) {
    let app = spawn_app(db.clone()).await;
    let (_, admin) = app.as_role(Role::Admin).await;
    let w = world(&db, |_| ()).await;
    let pid = w.program.id.to_string();
    // Bad fields are each named and nothing is saved.
    let (status, body) = app
        .call(
            &admin,
            "save_message_settings",
            &[
                ("input[program_id]", &pid),
                ("input[time_zone]", "Mars/Olympus"),
                ("input[quiet_start]", "22:00"),
                ("input[quiet_end]", ""),
                ("input[cap_day]", "3"),
                ("input[cap_week]", "2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["time_zone", "quiet_end", "cap_week"] {
        assert!(fields.contains(&f), "{f} in {body}");
    }
    assert_eq!(
        store::settings(&db, w.program.id).await.unwrap(),
        MessageSettings::default()
    );
    let (status, body) = app
        .call(
            &admin,
            "save_message_settings",
            &[
                ("input[program_id]", &pid),
                ("input[time_zone]", "Asia/Riyadh"),
                ("input[quiet_start]", "22:00"),
                ("input[quiet_end]", "08:30"),
                ("input[cap_day]", "2"),
                ("input[cap_week]", ""),
                ("input[cap_month]", "10"),
                ("input[min_gap_minutes]", "60"),
            ],
        )
        .await;
    assert!(status.is_success(), "{body}");
    let saved = store::settings(&db, w.program.id).await.unwrap();
    assert_eq!(saved.time_zone, "Asia/Riyadh");
    assert_eq!(saved.quiet_hours, Some((22 * 60, 8 * 60 + 30)));
    assert_eq!(
        (
            saved.cap_day,
            saved.cap_week,
            saved.cap_month,
            saved.min_gap_minutes
        ),
        (Some(2), None, Some(10), 60)
    );
    // The report counts by state and reason.
    store::save_settings(&db, w.program.id, &open_settings())
        .await
        .unwrap();
    write(
        &db,
        &message(w.member_id, w.program.id, Channel::InApp, Topic::Service, ""),
    )
    .await;
    write(
        &db,
        &message(w.member_id, w.program.id, Channel::InApp, Topic::Surveys, ""),
    )
    .await;
    deliver_due(&db, &adapters(None, "http://localhost"), db.now())
        .await
        .unwrap();
    let (status, body) = app
        .call(&admin, "program_messages", &[("program_id", &pid)])
        .await;
    assert!(status.is_success(), "{body}");
    let counts = body["counts"].as_array().unwrap();
    let find = |status: &str, reason: Option<&str>| {
        counts
            .iter()
            .find(|c| c["status"] == status && c["reason"].as_str() == reason)
            .map(|c| c["count"].as_i64().unwrap())
    };
    assert_eq!(find("sent", None), Some(1));
    assert_eq!(find("suppressed", Some("no_consent")), Some(1));
}

on_both_backends!(
    managers_set_limits_and_read_what_messages_did,
    email_reaches_smtp_with_one_click_unsubscribe,
    two_workers_never_send_one_message_twice,
    two_workers_keep_a_members_daily_cap,
    smtp_down_is_retried_then_a_visible_failure,
    caps_and_quiet_hours_hold_messages_in_local_time,
    opted_out_and_closed_accounts_get_nothing,
    sms_goes_to_the_provider_signed,
    push_goes_to_the_members_devices,
    the_inbox_shows_and_marks_only_its_members_messages,
    a_reset_link_works_once_within_thirty_minutes,
    asking_for_a_reset_answers_the_same_either_way,
);
