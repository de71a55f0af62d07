//! Test support shared by the conformance runner and the integration tests:
//! a real Unix-socket monitor, the corpus loader and the scenario steps.
#![allow(dead_code)]

pub mod corpus;
pub mod monitor;
pub mod scenario;
