//! Wire types shared by server functions and the browser, one file per domain.
//! Rows read from the database derive `FromRow` on the server build only.

/// A closed vocabulary kept and sent as text (a ledger transaction's kind, a reward's
/// status...): an enum whose variants each have their wire name, with `as_str`, `parse`,
/// `ALL`, serde under the wire names, and `TryFrom<String>` for reading database rows.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name, as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// The variant with this wire name, if any (exact).
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Documented as the strings it is sent as (utoipa's derive does not see the
        // `serde(rename)` a macro writes, and listed the Rust names instead).
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("unknown {}: {s:?}", stringify!($name)))
            }
        }
    };
}

pub mod api_key;
pub mod campaign;
pub mod card;
pub mod consent;
pub mod ids;
pub mod insights;
pub mod journey;
pub mod ledger;
pub mod member;
pub mod message;
pub mod order;
pub mod program;
pub mod reward;
pub mod rules;
pub mod segment;
pub mod store;
pub mod survey;
pub mod template;
pub mod time;
pub mod user;
pub mod webhook;
