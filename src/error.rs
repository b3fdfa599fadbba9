//! The one error type that crosses the wire: server functions return `Result<T, AppError>`,
//! forms read field errors from it, and the HTTP layer maps it to a status and a stable code.
//! Internal failures never carry database text to the client; they are logged on the server.

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

use crate::domain::lang::{current, Lang};
use crate::i18n::{td_string, Locale};

/// A message about one form field, keyed by the field's `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// Wrong email or password: deliberately never says which.
    #[error("That email and password do not match an account.")]
    InvalidCredentials,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("{what} was not found.")]
    NotFound { what: String },
    #[error("{message}")]
    Validation {
        message: String,
        fields: Vec<FieldError>,
    },
    #[error("{message}")]
    Conflict { message: String },
    /// A passing clash with another request in flight (a merge, a lock held too long, the
    /// same Idempotency-Key still running): nothing was written, and the same request sent
    /// again shortly is expected to go through. Unlike `Conflict`, never a lasting answer.
    #[error("{message}")]
    TryAgain { message: String },
    /// The program exists but is switched off: it takes no earnings or redemptions.
    #[error("This program is not active.")]
    ProgramInactive,
    /// A reward code that has already been used (or released): it cannot be used again.
    #[error("This reward code has already been used.")]
    RewardUsed,
    #[error("This reward code has expired.")]
    RewardExpired,
    /// Out of stock, outside its dates, not for this tier or channel, or over the member's limit.
    #[error("{message}")]
    RewardUnavailable { message: String },
    /// A spend larger than the wallet: nothing was taken.
    #[error("Not enough points: the balance is {balance}, this needs {needed}.")]
    InsufficientPoints { balance: i64, needed: i64 },
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// Transport or encoding failures reported by the server-function layer.
    #[error("{message}")]
    Request { message: String },
}

impl AppError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }

    pub fn try_again(message: impl Into<String>) -> Self {
        Self::TryAgain {
            message: message.into(),
        }
    }

    /// A single-field validation error. `message` is in the person's language already (made
    /// with `td_string!(current().locale, errors...)`).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Validation {
            message: td_string!(current().locale, errors.app.correct_field).into(),
            fields: vec![FieldError {
                field: field.into(),
                message,
            }],
        }
    }

    /// What a person reads about this error, in `lang`. The variants that carry a message
    /// carry it in the language of the request that made it; the fixed ones are written here.
    /// `Display` stays English, for logs and the channel API.
    pub fn message(&self, lang: Lang) -> String {
        let l = lang.locale;
        match self {
            Self::Unauthenticated => td_string!(l, errors.app.unauthenticated).into(),
            Self::InvalidCredentials => td_string!(l, errors.app.invalid_credentials).into(),
            Self::Forbidden => td_string!(l, errors.app.forbidden).into(),
            Self::NotFound { what } => td_string!(l, errors.app.not_found, what = what).to_string(),
            Self::ProgramInactive => td_string!(l, errors.app.program_inactive).into(),
            Self::RewardUsed => td_string!(l, errors.app.reward_used).into(),
            Self::RewardExpired => td_string!(l, errors.app.reward_expired).into(),
            Self::InsufficientPoints { balance, needed } => td_string!(
                l,
                errors.app.insufficient_points,
                balance = count(lang, *balance),
                needed = count(lang, *needed)
            )
            .to_string(),
            Self::RateLimited { retry_after_secs } => td_string!(
                l,
                errors.app.rate_limited,
                count = *retry_after_secs,
                n = count(lang, i64::try_from(*retry_after_secs).unwrap_or(i64::MAX))
            )
            .to_string(),
            Self::Internal => td_string!(l, errors.app.internal).into(),
            // Transport failures carry the framework's English; an Arabic page says it plainly.
            Self::Request { message } => match l {
                Locale::en => message.clone(),
                Locale::ar => td_string!(l, errors.app.request).into(),
            },
            Self::Validation { message, .. }
            | Self::Conflict { message }
            | Self::TryAgain { message }
            | Self::RewardUnavailable { message } => message.clone(),
        }
    }

    /// Stable machine-readable code, the same string that `serde` writes as `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Validation { .. } => "validation",
            Self::Conflict { .. } => "conflict",
            Self::TryAgain { .. } => "try_again",
            Self::InsufficientPoints { .. } => "insufficient_points",
            Self::ProgramInactive => "program_inactive",
            Self::RewardUsed => "reward_used",
            Self::RewardExpired => "reward_expired",
            Self::RewardUnavailable { .. } => "reward_unavailable",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal => "internal",
            Self::Request { .. } => "request",
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden => 403,
            Self::NotFound { .. } => 404,
            Self::Validation { .. } | Self::Request { .. } => 400,
            Self::Conflict { .. }
            | Self::TryAgain { .. }
            | Self::InsufficientPoints { .. }
            | Self::ProgramInactive
            | Self::RewardUsed
            | Self::RewardExpired
            | Self::RewardUnavailable { .. } => 409,
            Self::RateLimited { .. } => 429,
            Self::Internal => 500,
        }
    }

    /// The message for one field, if this error names it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { fields, .. } => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone()),
            _ => None,
        }
    }
}

/// A number inside an error message: as the language writes it, without grouping in English
/// (so English messages read as they always have: "the balance is 1200").
pub fn count(lang: Lang, n: i64) -> String {
    match lang.locale {
        Locale::en => n.to_string(),
        Locale::ar => lang.number(n),
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// The request's own faults (arguments that cannot be read, a wrong method) are the
    /// client's (`request`, 400); the rest (encoding an answer, a missing registration) are
    /// ours (`internal`).
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_)
            | ServerFnErrorErr::Request(_) => Self::Request {
                message: value.to_string(),
            },
            _ => Self::Internal,
        }
    }
}

/// Collects field errors so a form reports every bad field at once.
#[derive(Debug, Default)]
pub struct Validator {
    fields: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `result`'s error under `field` and passes its value on.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.fields.push(FieldError {
                    field: field.into(),
                    message,
                });
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation {
                message: td_string!(current().locale, errors.app.correct_fields).into(),
                fields: self.fields,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_a_stable_code() {
        let json = serde_json::to_value(AppError::field("name", "Required")).unwrap();
        assert_eq!(json["code"], "validation");
        assert_eq!(json["fields"][0]["field"], "name");
        let json = serde_json::to_value(AppError::Forbidden).unwrap();
        assert_eq!(json["code"], AppError::Forbidden.code());
    }

    #[test]
    fn messages_in_the_persons_language() {
        use crate::domain::lang::Lang;
        let e = AppError::InsufficientPoints {
            balance: 1200,
            needed: 1500,
        };
        assert_eq!(
            e.message(Lang::ENGLISH),
            e.to_string(),
            "English is the Display text"
        );
        assert_eq!(
            e.message(Lang::ARABIC),
            "النقاط غير كافية: الرصيد ١٬٢٠٠، والمطلوب ١٬٥٠٠."
        );
        for e in [
            AppError::Unauthenticated,
            AppError::InvalidCredentials,
            AppError::Forbidden,
            AppError::not_found("Member"),
            AppError::ProgramInactive,
            AppError::RewardUsed,
            AppError::RewardExpired,
            AppError::RateLimited { retry_after_secs: 30 },
            AppError::Internal,
            AppError::Request {
                message: "error reading server function arguments".into(),
            },
        ] {
            assert_eq!(e.message(Lang::ENGLISH), e.to_string());
            assert!(
                !e.message(Lang::ARABIC).contains("the"),
                "{}",
                e.message(Lang::ARABIC)
            );
        }
        assert_eq!(
            AppError::RateLimited { retry_after_secs: 2 }.message(Lang::ARABIC),
            "محاولات كثيرة جدًا. حاول مجددًا بعد ثانيتين."
        );
        // Messages made outside a request are English (the channel API, jobs, tests).
        assert_eq!(
            AppError::field("x", "bad").to_string(),
            "Please correct the highlighted field."
        );
    }

    #[test]
    fn validator_collects_every_field() {
        let mut v = Validator::new();
        assert_eq!(v.check::<i64>("a", Err("bad a".into())), None);
        assert_eq!(v.check("b", Ok(3)), Some(3));
        v.add("c", "bad c");
        let err = v.finish().unwrap_err();
        assert_eq!(err.field_message("a").as_deref(), Some("bad a"));
        assert_eq!(err.field_message("b"), None);
        assert_eq!(err.field_message("c").as_deref(), Some("bad c"));
    }
}
