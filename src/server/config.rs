//! Settings read from the environment once at start. The README lists every variable.

use std::time::Duration;

/// When the session cookie carries the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    /// Secure when the request came over https (directly or per `X-Forwarded-Proto`).
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://path?mode=rwc` (default) or `postgres://...`.
    pub database_url: String,
    /// Load the demo brand and accounts into an empty database.
    pub demo: bool,
    pub session_ttl: Duration,
    pub cookie_secure: CookieSecure,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_proxy: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Let webhooks go to `http://` and private or loopback addresses (tests, development).
    pub webhooks_allow_private: bool,
    /// How long Idempotency-Keys and webhook deliveries are kept.
    pub retention: Retention,
    pub messaging: Messaging,
}

/// Where messages go (`server::outbox::adapters`).
#[derive(Debug, Clone, Default)]
pub struct Messaging {
    /// `smtps://user:pass@host`, `smtp://host:587?tls=required`... (lettre's connection URL).
    pub smtp_url: Option<String>,
    /// The sender of emails, e.g. `Loyalty <loyalty@brand.example>`.
    pub mail_from: String,
    /// The address members reach this server at, for links in emails (reset,
    /// unsubscribe); the listening address when unset.
    pub public_url: Option<String>,
    /// Providers that take SMS and push messages as signed JSON posts.
    pub sms_url: Option<String>,
    pub push_url: Option<String>,
    /// `whsec_...` secret those posts are signed with (Standard Webhooks).
    pub http_secret: Option<String>,
    /// Keep emails in the admins' development mailbox instead of sending them (when no
    /// SMTP server is set).
    pub dev_mailbox: bool,
}

pub const DEFAULT_MAIL_FROM: &str = "Omniloyal <no-reply@localhost>";

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/omniloyal.db?mode=rwc";

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let flag = |k: &str| var(k).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes" | "on"));
        let session_hours: u64 = match var("OMNILOYAL_SESSION_HOURS") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("OMNILOYAL_SESSION_HOURS must be a whole number, got {v:?}"))?,
            None => 12,
        };
        let cookie_secure = match var("OMNILOYAL_COOKIE_SECURE").as_deref() {
            None | Some("auto") => CookieSecure::Auto,
            Some("always") => CookieSecure::Always,
            Some("never") => CookieSecure::Never,
            Some(other) => {
                return Err(format!(
                    "OMNILOYAL_COOKIE_SECURE must be auto, always or never, got {other:?}"
                ))
            }
        };
        let max_body_bytes = match var("OMNILOYAL_MAX_BODY_BYTES") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("OMNILOYAL_MAX_BODY_BYTES must be a number of bytes, got {v:?}"))?,
            None => 64 * 1024,
        };
        let days = |k: &str, default: i64| -> Result<i64, String> {
            match var(k) {
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if n >= 1 => Ok(n),
                    _ => Err(format!(
                        "{k} must be a whole number of days, at least 1, got {v:?}"
                    )),
                },
                None => Ok(default),
            }
        };
        let retention = Retention {
            idempotency_days: days("OMNILOYAL_KEEP_IDEMPOTENCY_DAYS", 7)?,
            deliveries_days: days("OMNILOYAL_KEEP_DELIVERIES_DAYS", 30)?,
        };
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            demo: flag("OMNILOYAL_DEMO"),
            session_ttl: Duration::from_secs(session_hours.max(1) * 3600),
            cookie_secure,
            trust_proxy: flag("OMNILOYAL_TRUST_PROXY"),
            max_body_bytes,
            webhooks_allow_private: flag("OMNILOYAL_WEBHOOKS_ALLOW_PRIVATE"),
            retention,
            messaging: Messaging {
                smtp_url: var("OMNILOYAL_SMTP_URL"),
                mail_from: var("OMNILOYAL_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.to_string()),
                public_url: var("OMNILOYAL_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
                sms_url: var("OMNILOYAL_SMS_URL"),
                push_url: var("OMNILOYAL_PUSH_URL"),
                http_secret: var("OMNILOYAL_MESSAGES_SECRET"),
                dev_mailbox: flag("OMNILOYAL_DEV_MAILBOX") || flag("OMNILOYAL_DEMO"),
            },
        })
    }

    /// Where members reach this server, for links in emails: `OMNILOYAL_PUBLIC_URL`, or the
    /// listening address.
    pub fn public_url(&self, listening: &std::net::SocketAddr) -> String {
        self.messaging
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listening}"))
    }

    /// Settings for tests: the given database, short sessions, nothing from the environment.
    pub fn for_database(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_string(),
            demo: false,
            session_ttl: Duration::from_secs(3600),
            cookie_secure: CookieSecure::Auto,
            trust_proxy: false,
            max_body_bytes: 64 * 1024,
            // Test receivers listen on 127.0.0.1.
            webhooks_allow_private: true,
            retention: Retention::default(),
            messaging: Messaging {
                mail_from: DEFAULT_MAIL_FROM.to_string(),
                dev_mailbox: true,
                ..Messaging::default()
            },
        }
    }
}

/// How long what is only kept for retries and the delivery log is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Stored Idempotency-Keys and their answers (a till retries within minutes, at most days).
    pub idempotency_days: i64,
    /// Webhook deliveries that were sent or given up (the log shows the newest).
    pub deliveries_days: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            idempotency_days: 7,
            deliveries_days: 30,
        }
    }
}
