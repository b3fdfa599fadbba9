//! One file per route, grouped by surface.

pub mod desk;
pub mod home;
pub mod insights;
pub mod login;
pub mod manage;
pub mod password;
pub mod portal;
pub mod signup;
