//! The one planner for a promotion's pull requests, which `promote` and `reconcile` share: from
//! the promotion that should be open into an environment and the pull requests that are, the
//! actions that make the forge match. Pure: no git, no forge.

use serde::Serialize;

use super::block::{Block, FORMAT, Marker};

/// The promotion that should be open, as the forge should show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub marker: Marker,
    pub title: String,
    /// The body, block included.
    pub body: String,
    /// The source environment's branch.
    pub source: String,
    /// The branch a rebuilt promotion comes from (`promote/<to>`).
    pub rebuilt: String,
}

/// What should be open into an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Desired {
    Want(Box<Wanted>),
    /// No promotion should be open, for this reason.
    Nothing(String),
    /// Nothing new opens now (a freeze, a soak); what is open stays.
    Wait(String),
}

/// An open pull request into the environment's branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub number: u64,
    pub source: String,
    pub title: String,
    pub body: String,
    /// The forge reports that it conflicts with its target.
    pub conflicts: bool,
}

impl Open {
    /// Whether it shows this title and body already (a forge may drop the body's last newline).
    #[must_use]
    pub fn shows(&self, title: &str, body: &str) -> bool {
        self.title == title && self.body.trim_end() == body.trim_end()
    }
}

/// A pull request into the environment's branch that was closed without merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub number: u64,
    pub body: String,
}

/// What the planner sees of one environment.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub desired: &'a Desired,
    pub open: &'a [Open],
    /// The recently closed ones; `None` until read (they are read only when a plan would open one).
    pub closed: Option<&'a [Closed]>,
}

/// Why a pull request is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Why {
    /// Another promotion replaces it: `by`, or the one opened in the same round when `None`.
    Superseded { by: Option<u64> },
    /// No promotion should be open.
    Obsolete { reason: String },
    /// Its block cannot be read.
    Unreadable { reason: String },
    /// Its block is of an older format.
    OlderFormat { format: u32 },
}

/// One change to the forge, or a read the plan needs before it can say more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        source: String,
        title: String,
        body: String,
        /// Opened as a draft (`promote --draft`).
        draft: bool,
    },
    Update {
        number: u64,
        title: String,
        body: String,
    },
    Close {
        number: u64,
        why: Why,
    },
    /// The forge says `replaces` conflicts: build the rebuilt branch, open from it, and close
    /// `replaces` naming the new one.
    Rebuild {
        replaces: u64,
        title: String,
        body: String,
    },
    /// Read the recently closed pull requests and plan again: one may hold the version back.
    ReadClosed,
}

/// The actions for one environment, and what is worth saying about it besides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub notes: Vec<String>,
}

impl Plan {
    /// Whether the plan changes anything on the forge.
    #[must_use]
    pub fn writes(&self) -> bool {
        self.actions.iter().any(|a| !matches!(a, Action::ReadClosed))
    }
}

/// Plans one environment. Never leaves two promotions open into it, and planning again after
/// the plan was carried out changes nothing.
#[must_use]
pub fn plan(situation: Situation<'_>) -> Plan {
    let mut plan = Plan::default();
    let mut owned = Vec::new();
    let mut foreign = Vec::new();
    for open in situation.open {
        match Block::read(&open.body) {
            Block::Newer(format) => {
                plan.notes.push(format!(
                    "#{} carries a block of format {format}, newer than this git-release's {FORMAT}: it is left to the newer one",
                    open.number
                ));
                return Plan { actions: Vec::new(), notes: plan.notes };
            }
            Block::Unreadable(reason) => plan.close(open.number, Why::Unreadable { reason }),
            Block::Older(format) => plan.close(open.number, Why::OlderFormat { format }),
            Block::Found { .. } => owned.push(open),
            Block::Missing => foreign.push(open),
        }
    }
    owned.sort_by_key(|o| o.number);
    match situation.desired {
        Desired::Nothing(reason) => {
            for open in owned {
                plan.close(open.number, Why::Obsolete { reason: reason.clone() });
            }
        }
        Desired::Wait(reason) => {
            plan.notes.push(reason.clone());
            if let Some((kept, others)) = owned.split_first() {
                for open in others {
                    plan.close(open.number, Why::Superseded { by: Some(kept.number) });
                }
            }
        }
        Desired::Want(wanted) => plan.want(wanted, &owned, &foreign, situation.closed),
    }
    plan
}

/// What `promote` does for the one promotion a person asks for: open it from `source`, unless
/// `existing` (the open pull request from that branch, which git-release may take as its own) is
/// there, which gets the title and body when it lacks them; and close the promotion from the
/// `other` branch into the same target (see [`superseded`]).
#[must_use]
pub fn promote(
    source: &str,
    title: &str,
    body: &str,
    draft: bool,
    existing: Option<&Open>,
    other: Option<&Open>,
) -> Plan {
    let mut plan = Plan::default();
    let (title, body) = (title.to_owned(), body.to_owned());
    let kept = match existing {
        None => {
            plan.actions.push(Action::Create { source: source.to_owned(), title, body, draft });
            None
        }
        Some(open) => {
            if !open.shows(&title, &body) {
                plan.actions.push(Action::Update { number: open.number, title, body });
            }
            Some(open.number)
        }
    };
    if let Some(other) = other {
        plan.actions.extend(superseded(kept, other).actions);
    }
    plan
}

/// What `promote` closes once it keeps `kept` open: the promotion into the same target from the
/// other branch (the source's, or the rebuilt `promote/<to>`), when it carries git-release's
/// block, so that one pull request stays.
#[must_use]
pub fn superseded(kept: Option<u64>, other: &Open) -> Plan {
    let mut plan = Plan::default();
    if Some(other.number) != kept && matches!(Block::read(&other.body), Block::Found { .. }) {
        plan.close(other.number, Why::Superseded { by: kept });
    }
    plan
}

impl Plan {
    fn close(&mut self, number: u64, why: Why) {
        self.actions.push(Action::Close { number, why });
    }

    fn want(&mut self, wanted: &Wanted, owned: &[&Open], foreign: &[&Open], closed: Option<&[Closed]>) {
        let fits = |open: &&&Open| open.source == wanted.source || open.source == wanted.rebuilt;
        let current = |open: &Open| open.shows(&wanted.title, &wanted.body) && !open.conflicts;
        // One that needs no change; else not one that must be rebuilt; else one of ours before
        // one a person opened from the right branch (adopted); else the oldest.
        let rebuild = |open: &Open| open.conflicts && open.source == wanted.source;
        let kept = owned
            .iter()
            .filter(fits)
            .map(|o| (0, o))
            .chain(foreign.iter().filter(fits).map(|o| (1, o)))
            .min_by_key(|(rank, open)| (!current(open), rebuild(open), *rank, open.number))
            .map(|(_, open)| *open);
        let Some(kept) = kept else {
            let Some(closed) = closed else {
                self.actions.push(Action::ReadClosed);
                return;
            };
            let hold = closed.iter().find(|c| match Block::read(&c.body) {
                Block::Found { marker, retired } => !retired && marker.carries_same(&wanted.marker),
                _ => false,
            });
            if let Some(hold) = hold {
                let reason = format!("{} is held: #{} carrying it was closed by hand", wanted.marker, hold.number);
                for open in owned {
                    self.close(open.number, Why::Obsolete { reason: reason.clone() });
                }
                self.notes.push(format!("{reason}; it opens again for a newer version"));
                return;
            }
            let (source, title, body) = (wanted.source.clone(), wanted.title.clone(), wanted.body.clone());
            self.actions.push(Action::Create { source, title, body, draft: false });
            for open in owned {
                self.close(open.number, Why::Superseded { by: None });
            }
            return;
        };
        if rebuild(kept) {
            let (title, body) = (wanted.title.clone(), wanted.body.clone());
            self.actions.push(Action::Rebuild { replaces: kept.number, title, body });
            for open in owned.iter().filter(|o| o.number != kept.number) {
                self.close(open.number, Why::Superseded { by: None });
            }
            return;
        }
        if kept.conflicts {
            self.notes
                .push(format!("#{} conflicts with its target even rebuilt: someone must resolve it", kept.number));
        }
        if !kept.shows(&wanted.title, &wanted.body) {
            let (title, body) = (wanted.title.clone(), wanted.body.clone());
            self.actions.push(Action::Update { number: kept.number, title, body });
        }
        for open in owned.iter().filter(|o| o.number != kept.number) {
            self.close(open.number, Why::Superseded { by: Some(kept.number) });
        }
    }
}

#[cfg(test)]
mod tests;
