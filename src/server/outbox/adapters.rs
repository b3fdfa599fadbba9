//! Where each channel's messages go: the portal's inbox (the outbox row is the inbox
//! entry), email over SMTP (or the admins' development mailbox), and SMS and push as
//! JSON posts to a provider, signed like webhooks (push with the member's device tokens; a
//! push provider may answer `{"invalid_tokens": [...]}` with those that reach no device).

use crate::model::message::{Channel, PushDevice};
use crate::server::config::Messaging;
use crate::server::outbox::email::{Email, Smtp};

/// The configured adapters.
pub struct Adapters {
    smtp: Option<Smtp>,
    dev_mailbox: bool,
    http: reqwest::Client,
    sms_url: Option<String>,
    push_url: Option<String>,
    secret: Option<String>,
    /// Links in emails start with this (no trailing slash).
    pub public_url: String,
}

/// A message as its adapter sends it.
pub struct Outgoing<'a> {
    pub id: i64,
    pub channel: Channel,
    pub recipient: &'a str,
    /// For push: the member's devices.
    pub devices: &'a [PushDevice],
    pub subject: &'a str,
    pub body: &'a str,
    pub language: &'a str,
    /// The one-click unsubscribe address (emails a member may opt out of).
    pub unsubscribe: Option<String>,
}

/// What the adapter's provider answered.
#[derive(Debug, Default)]
pub struct Answer {
    /// The HTTP status code, for providers reached over HTTP.
    pub code: Option<i64>,
    /// Why the message was not taken.
    pub error: Option<String>,
    /// Push tokens sent that the provider says reach no device any more (uninstalled apps):
    /// forgotten, so later pushes stop carrying them.
    pub dead_tokens: Vec<String>,
}

/// The tokens of `sent` that a push provider's answer lists as invalid.
fn dead_tokens(answer: &[u8], sent: &[PushDevice]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Reply {
        #[serde(default)]
        invalid_tokens: Vec<String>,
    }
    let Ok(reply) = serde_json::from_slice::<Reply>(answer) else {
        return Vec::new();
    };
    reply
        .invalid_tokens
        .into_iter()
        .filter(|t| sent.iter().any(|d| d.token == *t))
        .collect()
}

impl Adapters {
    /// From the settings; `public_url` is where members reach this server.
    pub fn new(settings: &Messaging, public_url: String) -> Result<Self, String> {
        let smtp = match &settings.smtp_url {
            Some(url) => Some(Smtp::new(url, &settings.mail_from)?),
            None => None,
        };
        Ok(Self {
            smtp,
            dev_mailbox: settings.dev_mailbox,
            // Providers are set by whoever runs the server, not typed by an admin: no
            // destination check beyond the client's own.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            sms_url: settings.sms_url.clone(),
            push_url: settings.push_url.clone(),
            secret: settings.http_secret.clone(),
            public_url,
        })
    }

    /// Whether emails stay in the development mailbox (no SMTP server, and asked for).
    pub fn keeps_mail(&self) -> bool {
        self.smtp.is_none() && self.dev_mailbox
    }

    /// Sends one message: what its provider answered.
    pub async fn send(&self, out: &Outgoing<'_>) -> Answer {
        let (code, error) = match out.channel {
            // The row is the inbox entry: sending is marking it sent.
            Channel::InApp => (None, None),
            Channel::Email => {
                let body = match &out.unsubscribe {
                    Some(url) => format!("{}\n\n--\n{}\n{url}\n", out.body, unsubscribe_line(out.language)),
                    None => out.body.to_string(),
                };
                match &self.smtp {
                    Some(smtp) => {
                        let email = Email {
                            to: out.recipient,
                            subject: out.subject,
                            body: &body,
                            unsubscribe: out.unsubscribe.as_deref(),
                            message_id: format!("<message-{}@omniloyal>", out.id),
                        };
                        (None, smtp.send(&email).await.err())
                    }
                    None if self.dev_mailbox => (None, None),
                    None => (None, Some("no SMTP server is set (OMNILOYAL_SMTP_URL)".into())),
                }
            }
            Channel::Sms | Channel::Push => {
                let (url, var) = if out.channel == Channel::Sms {
                    (&self.sms_url, "OMNILOYAL_SMS_URL")
                } else {
                    (&self.push_url, "OMNILOYAL_PUSH_URL")
                };
                let (Some(url), Some(secret)) = (url, &self.secret) else {
                    return Answer {
                        error: Some(format!("no provider is set ({var}, OMNILOYAL_MESSAGES_SECRET)")),
                        ..Answer::default()
                    };
                };
                let mut payload = serde_json::json!({
                    "id": format!("message_{}", out.id),
                    "channel": out.channel.as_str(),
                    "to": out.recipient,
                    "subject": out.subject,
                    "body": out.body,
                    "language": out.language,
                });
                if out.channel == Channel::Push {
                    payload["devices"] = out
                        .devices
                        .iter()
                        .map(|d| serde_json::json!({"token": d.token, "platform": d.platform.as_str()}))
                        .collect();
                }
                let payload = payload.to_string();
                let msg_id = format!("message_{}", out.id);
                match crate::server::webhooks::post_signed_reading(&self.http, url, secret, &msg_id, payload)
                    .await
                {
                    Ok((code, error, body)) => {
                        return Answer {
                            code,
                            error,
                            dead_tokens: match out.channel {
                                Channel::Push => dead_tokens(&body, out.devices),
                                _ => Vec::new(),
                            },
                        }
                    }
                    Err(_) => (
                        None,
                        Some("OMNILOYAL_MESSAGES_SECRET is not a whsec_ secret".into()),
                    ),
                }
            }
        };
        Answer {
            code,
            error,
            dead_tokens: Vec::new(),
        }
    }
}

/// The footer line above the unsubscribe address, in the email's language.
fn unsubscribe_line(language: &str) -> String {
    let lang = crate::domain::lang::Lang::from_tag(language).unwrap_or_default();
    crate::i18n::td_string!(lang.locale, auth.mail.unsubscribe).to_string()
}
