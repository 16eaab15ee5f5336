//! The deployment pipeline's two steps: `prepare` cuts the version tag and hands off what to
//! deploy, `record` tags the deployed commit with its record. Each resolves the deployment
//! (`deploy`), lets the gate judge a deployment on approval (`gate_gather`), plans its tags and has
//! `execute` publish them; `session` is what both share, and `issues` tells Jira what `record`
//! deployed.

pub mod deployments;
mod issues;
pub mod prepare;
pub mod record;
mod refusal;
mod session;

pub use refusal::Refusal;
pub use session::{MAX_TRIES, Run, Session, component_values, steps_of};
