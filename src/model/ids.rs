//! Ids as types: a member's id cannot be passed where a program's is expected, and a
//! function that takes several says which is which. Each is its row's `i64` key, the same
//! number on the wire (serde and sqlx see through it) and in the OpenAPI document.

macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        // `Default` (0, never a row's id) only so that form inputs holding one can derive it.
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(pub i64);

        impl $name {
            /// The number, for what takes any id (a log line, an URL).
            pub fn get(self) -> i64 {
                self.0
            }
        }

        // Logged as its number (`member_id=42` in a span), as before it had a type.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        // Written as its number in an attribute (`value=member.id` in a form).
        impl leptos::prelude::IntoAttributeValue for $name {
            type Output = String;
            fn into_attribute_value(self) -> String {
                self.0.to_string()
            }
        }

        // Documented as the integer it is (the OpenAPI document names it, e.g. `MemberId`, and
        // refers to it from each id field).
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <i64 as utoipa::PartialSchema>::schema()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}
    )+};
}

ids! {
    /// A person in the loyalty scheme (`members.id`), across all programs.
    MemberId,
    /// A loyalty program (`programs.id`).
    ProgramId,
    /// A member's place in one program (`memberships.id`): the ledger's account holder.
    MembershipId,
    /// Someone who signs in (`users.id`): staff and admins who record and decide, and
    /// members' sign-ins.
    UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_number_on_the_wire() {
        assert_eq!(serde_json::to_string(&MemberId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<ProgramId>("7").unwrap(), ProgramId(7));
        assert_eq!("19".parse::<MembershipId>().unwrap().get(), 19);
        assert_eq!(MemberId(3).to_string(), "3");
    }
}
