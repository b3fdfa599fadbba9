//! Account forms: a member signing up, an admin creating a staff account.

use crate::error::{AppError, Validator};
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
    let code: String = input
        .referral_code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        v.add("referral_code", "That is not a referral code.");
    }
    v.finish()?;
    Ok(ValidSignup {
        name: name.unwrap_or_default(),
        email: email.unwrap_or_default(),
        phone: phone.flatten(),
        password: password.unwrap_or_default(),
        referral_code: (!code.is_empty()).then_some(code),
        birth_date: birth_date.flatten(),
    })
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
            Some(Role::Member) => Err("Members sign up on the portal.".into()),
            Some(r) => Ok(r),
            None => Err("Choose a role.".into()),
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
