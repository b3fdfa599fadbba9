//! Who is calling: password hashing, sessions behind an HttpOnly cookie, the sign-in rate
//! limiter, and the guard every server function starts with.

pub mod guard;
pub mod origin;
pub mod page_user;
pub mod password;
pub mod ratelimit;
pub mod session;
