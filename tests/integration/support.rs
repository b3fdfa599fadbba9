//! Fresh databases and a running app per test.
//!
//! PostgreSQL comes from `OMNILOYAL_TEST_POSTGRES_URL` (set by scripts/test.sh, pointing at
//! a throw-away database of this run). Each test gets its own schema in it, found first on the
//! connection's search path, so it starts from an empty database; a schema is far cheaper to
//! make and drop than a database (each DROP DATABASE forces a checkpoint). Without the URL the
//! PostgreSQL half of a test is skipped with a note, unless `CI` is set: then it fails.

use std::net::SocketAddr;

use leptos::prelude::LeptosOptions;
use omniloyal::error::AppError;
use omniloyal::model::user::{NewUserInput, Role, SessionUser, SignupInput};
use omniloyal::server::config::Config;
use omniloyal::server::db::Db;
use omniloyal::server::service::signups::{self, Requested};
use omniloyal::server::state::AppState;
use omniloyal::server::store::signup_requests;
use omniloyal::server::store::users;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{Connection, Executor};

pub mod fixtures;

pub const PASSWORD: &str = "correct horse battery";

pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{:016x}", rand::thread_rng().r#gen::<u64>())
}

pub async fn sqlite() -> Db {
    let path = std::env::temp_dir().join(format!("{}.db", unique("omniloyal_test")));
    Db::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("open SQLite test database")
}

pub async fn postgres() -> Option<Db> {
    let Ok(base) = std::env::var("OMNILOYAL_TEST_POSTGRES_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but OMNILOYAL_TEST_POSTGRES_URL is not: PostgreSQL tests must run in CI");
        }
        eprintln!(
            "note: PostgreSQL half skipped (OMNILOYAL_TEST_POSTGRES_URL not set; scripts/test.sh sets it)"
        );
        return None;
    };
    let schema = unique("t");
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at OMNILOYAL_TEST_POSTGRES_URL is unreachable: {e}"));
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create test schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");
    Some(Db::connect(&url).await.expect("open PostgreSQL test schema"))
}

/// Generates `sqlite` and `postgres` tests for each async fn taking a fresh `Db`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name($crate::support::sqlite().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(db) = $crate::support::postgres().await {
                    super::$name(db).await
                }
            }
        }
    )*};
}

/// Signs a member up as the portal does: the form checked, the sign-up kept, the link its
/// email carries made as the outbox makes it, and the link opened and confirmed.
pub async fn sign_up(db: &Db, input: &SignupInput) -> Result<SessionUser, AppError> {
    let ready = signups::check(db, input).await?;
    match signups::request(db, ready).await? {
        Requested::Pending(id) => {
            let token = signup_requests::issue(db, id, db.now()).await?;
            Ok(signups::confirm(db, &token, &input.password).await?.user)
        }
        other => panic!("the sign-up of {} made no account: {other:?}", input.email),
    }
}

pub async fn make_user(db: &Db, role: Role, email: &str) -> SessionUser {
    if role == Role::Member {
        return sign_up(
            db,
            &SignupInput {
                name: format!("Member {email}"),
                email: email.into(),
                phone: String::new(),
                password: PASSWORD.into(),
                referral_code: String::new(),
                birth_date: String::new(),
            },
        )
        .await
        .expect("member sign-up");
    }
    let u = users::create(
        db,
        &NewUserInput {
            display_name: format!("{role:?} user"),
            email: email.into(),
            role: role.as_str().into(),
            password: PASSWORD.into(),
        },
    )
    .await
    .expect("create user");
    SessionUser {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        role,
    }
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, Config::for_database("test")).await
}

/// `spawn_app` with settings of its own (a trusted proxy in front, say).
pub async fn spawn_app_with(db: Db, config: Config) -> TestApp {
    let options = LeptosOptions::builder().output_name("omniloyal").build();
    let state = AppState::new(options, db.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = omniloyal::server::serve::router(state);
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        db,
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (so tests see them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// Calls a server function the way the hydrated app does (form-encoded, JSON back).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let res = client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    /// A client signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let c = client();
        let (status, body) = self
            .call(&c, "login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert!(status.is_success(), "sign-in of {email} failed: {status} {body}");
        c
    }

    /// A fresh user of `role` and a client signed in as them.
    pub async fn as_role(&self, role: Role) -> (SessionUser, reqwest::Client) {
        let email = format!("{}@test.omniloyal.test", unique(role.as_str()));
        let user = make_user(&self.db, role, &email).await;
        (user, self.signed_in(&email).await)
    }
}

/// The `code` of an error body.
pub fn code(body: &Value) -> &str {
    body.get("code").and_then(Value::as_str).unwrap_or("")
}
