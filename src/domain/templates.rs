//! Message templates in minijinja: checked when saved (the syntax, and that every field is
//! one of `TEMPLATE_FIELDS`, named when it is not), rendered strictly (a field missing from
//! the data is an error, never an empty gap) and without HTML escaping (messages are text).

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::template::TEMPLATE_FIELDS;

/// Names a template may call besides the fields: minijinja's global functions.
const GLOBALS: [&str; 3] = ["range", "dict", "namespace"];

/// What a template is filled with for one member (every field always present).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateData {
    pub name: String,
    pub first_name: String,
    pub program: String,
    pub points_name: String,
    /// Formatted in the message's language.
    pub balance: String,
    /// The member's tier, or "" when the program has none.
    pub tier: String,
    /// The points that expire first, and the day (formatted), or "" when none expire.
    pub expiring_points: String,
    pub expiring_date: String,
    /// The offer a campaign or journey step sends, or "".
    pub offer: String,
    pub portal_url: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

/// Checks a template's text: Err(message) names a syntax error (with its line) or the first
/// unknown field.
pub fn check(source: &str) -> Result<(), String> {
    let env = environment();
    let template = env.template_from_str(source).map_err(|e| {
        td_string!(
            current().locale,
            errors.templates.syntax,
            line = e.line().unwrap_or(1).to_string(),
            detail = e.detail().unwrap_or_default().to_string()
        )
        .to_string()
    })?;
    let mut unknown: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !TEMPLATE_FIELDS.contains(&v.as_str()) && !GLOBALS.contains(&v.as_str()))
        .collect();
    unknown.sort();
    match unknown.first() {
        None => Ok(()),
        Some(field) => Err(td_string!(
            current().locale,
            errors.templates.unknown_field,
            field = field.clone(),
            fields = TEMPLATE_FIELDS.join(", ")
        )
        .to_string()),
    }
}

/// Renders a checked template for one member.
pub fn render(source: &str, data: &TemplateData) -> Result<String, String> {
    environment().render_str(source, data).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> TemplateData {
        TemplateData {
            name: "Layla Haddad".into(),
            first_name: "Layla".into(),
            program: "Café Aurora".into(),
            points_name: "Stars".into(),
            balance: "1,250".into(),
            tier: "Gold".into(),
            expiring_points: "300".into(),
            expiring_date: "2027-01-31".into(),
            offer: String::new(),
            portal_url: "https://aurora.example/portal".into(),
        }
    }

    #[test]
    fn fields_are_filled_without_escaping() {
        let out = render(
            "Hi {{ first_name }}, you have {{ balance }} {{ points_name }}{% if tier %} ({{ tier }}){% endif %}. <b>{{ program }}</b>",
            &data(),
        )
        .unwrap();
        assert_eq!(out, "Hi Layla, you have 1,250 Stars (Gold). <b>Café Aurora</b>");
        let out = render(
            "{% if expiring_points %}{{ expiring_points }} expire on {{ expiring_date }}{% else %}none{% endif %}",
            &TemplateData {
                expiring_points: String::new(),
                ..data()
            },
        )
        .unwrap();
        assert_eq!(out, "none");
        assert_eq!(render("{{ name|upper }}", &data()).unwrap(), "LAYLA HADDAD");
    }

    #[test]
    fn unknown_fields_and_bad_syntax_are_named() {
        let e = check("Hello {{ frist_name }}, {{ balance }}").unwrap_err();
        assert!(e.contains("frist_name"), "{e}");
        assert!(e.contains("first_name"), "the fields are listed: {e}");
        let e = check("Line one\n{% if balance %}never closed").unwrap_err();
        assert!(e.contains('2'), "the line is named: {e}");
        assert!(check("{{ name }} {% for i in range(2) %}*{% endfor %}").is_ok());
        // A field set inside the template is not unknown.
        assert!(check("{% set greeting = 'Hi' %}{{ greeting }} {{ name }}").is_ok());
        // Strict: rendering an unknown name fails rather than leaving a gap.
        assert!(render("{{ nope }}", &data()).is_err());
    }
}
