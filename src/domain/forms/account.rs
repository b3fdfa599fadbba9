//! Account forms: a member signing up, an admin creating a staff account.

use crate::domain::lang::current;
use crate::error::{AppError, Validator};
use crate::i18n::td_string;
use crate::model::user::{NewUserInput, Role, SignupInput};

use super::super::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSignup {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub password: String,
    /// Normalised (upper case, no spaces); existence is checked by the server.
    pub referral_code: Option<String>,
    pub birth_date: Option<String>,
}

pub fn signup(input: &SignupInput) -> Result<ValidSignup, AppError> {
    let mut v = Validator::new();
    let name = v.check("name", validate::name(&input.name));
    let email = v.check("email", validate::email(&input.email));
    let phone = v.check("phone", validate::phone(&input.phone));
    let password = v.check("password", validate::password(&input.password));
    let today = chrono::Utc::now().date_naive();
    let birth_date = v.check(
        "birth_date",
        crate::domain::birthdays::parse_birth_date(&input.birth_date, today),
    );
    let referral_code = v.check("referral_code", referral_code(&input.referral_code));
    v.finish()?;
    Ok(ValidSignup {
        name: name.unwrap_or_default(),
        email: email.unwrap_or_default(),
        phone: phone.flatten(),
        password: password.unwrap_or_default(),
        referral_code: referral_code.flatten(),
        birth_date: birth_date.flatten(),
    })
}

/// A friend's referral code as typed: spaces dropped, upper case, up to 20 letters, digits
/// or dashes; empty means none. Whether a member has it is the server's to check.
pub fn referral_code(input: &str) -> Result<Option<String>, String> {
    let code: String = crate::domain::lang::ascii_digits(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(td_string!(current().locale, errors.forms.referral_code).into());
    }
    Ok((!code.is_empty()).then_some(code))
}

/// A member's details as a channel sends them when it enrols one (no password: the member
/// may sign up on the portal later), cleaned. An email or a phone number is required, so
/// the member can be found again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDetails {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<String>,
    pub referral_code: Option<String>,
}

/// The details of a member being enrolled; each field as typed, empty meaning not given.
pub fn enrolment(
    name: &str,
    email: &str,
    phone: &str,
    birth_date: &str,
    referral: &str,
    today: chrono::NaiveDate,
) -> Result<ValidDetails, AppError> {
    let mut v = Validator::new();
    let name = v.check("name", validate::name(name));
    let email = v.check("email", optional(email, validate::email));
    let phone = v.check("phone", validate::phone(phone));
    let birth_date = v.check(
        "birth_date",
        crate::domain::birthdays::parse_birth_date(birth_date, today),
    );
    let referral_code = v.check("referral_code", referral_code(referral));
    if matches!((&email, &phone), (Some(None), Some(None))) {
        v.add("email", td_string!(current().locale, errors.forms.email_or_phone));
    }
    v.finish()?;
    Ok(ValidDetails {
        name: name.unwrap_or_default(),
        email: email.flatten(),
        phone: phone.flatten(),
        birth_date: birth_date.flatten(),
        referral_code: referral_code.flatten(),
    })
}

/// Changes to a member's profile: None leaves a field as it is; for email, phone and date
/// of birth, `Some(None)` (sent empty) clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub birth_date: Option<Option<String>>,
}

/// Checks the fields a profile update sends (None: not sent), with the rules of `enrolment`.
pub fn profile_changes(
    name: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
    birth_date: Option<&str>,
    today: chrono::NaiveDate,
) -> Result<ProfileChanges, AppError> {
    let mut v = Validator::new();
    let changes = ProfileChanges {
        name: name.and_then(|n| v.check("name", validate::name(n))),
        email: email.and_then(|e| v.check("email", optional(e, validate::email))),
        phone: phone.and_then(|p| v.check("phone", validate::phone(p))),
        birth_date: birth_date
            .and_then(|b| v.check("birth_date", crate::domain::birthdays::parse_birth_date(b, today))),
    };
    v.finish()?;
    Ok(changes)
}

/// An optional field: empty (or blank) is None, anything else must parse.
fn optional(input: &str, parse: fn(&str) -> Result<String, String>) -> Result<Option<String>, String> {
    match input.trim() {
        "" => Ok(None),
        s => parse(s).map(Some),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidNewUser {
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub password: String,
}

/// Accounts an admin creates. Members sign up themselves on the portal.
pub fn new_user(input: &NewUserInput) -> Result<ValidNewUser, AppError> {
    let mut v = Validator::new();
    let display_name = v.check("display_name", validate::name(&input.display_name));
    let email = v.check("email", validate::email(&input.email));
    let role = v.check(
        "role",
        match Role::parse(input.role.trim()) {
            Some(Role::Member) => Err(td_string!(current().locale, errors.forms.members_sign_up).into()),
            Some(r) => Ok(r),
            None => Err(td_string!(current().locale, errors.forms.choose_role).into()),
        },
    );
    let password = v.check("password", validate::password(&input.password));
    v.finish()?;
    Ok(ValidNewUser {
        display_name: display_name.unwrap_or_default(),
        email: email.unwrap_or_default(),
        role: role.unwrap_or(Role::Staff),
        password: password.unwrap_or_default(),
    })
}
