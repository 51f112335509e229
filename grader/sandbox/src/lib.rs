//! The containment of student code, in a crate that links none of it.
//!
//! (Work in progress: the API of [`submission`] is fixed; its body lands next.)

pub mod submission;
