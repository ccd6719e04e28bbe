//! The life of a task between agencies, as a table: who may move it, from which status,
//! to which.
//!
//! ```text
//! OPEN ──accept (receiver)──> ACCEPTED ──complete (receiver)──> DONE
//!   │ └──reject (receiver)──> REJECTED                │
//!   └──cancel (sender)──> CANCELLED <──cancel (sender)─┘
//! ```
//! DONE, REJECTED and CANCELLED are final.

use crate::{i18n::Msg, msg};
use entity::TaskStatus as Status;

/// Which side of a task acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Sender,
    Receiver,
}

impl Side {
    pub fn name(self) -> Msg {
        match self {
            Self::Sender => msg!("task-side-sender"),
            Self::Receiver => msg!("task-side-receiver"),
        }
    }
}

/// (from, to, who may do it).
pub const TRANSITIONS: [(Status, Status, Side); 5] = [
    (Status::Open, Status::Accepted, Side::Receiver),
    (Status::Open, Status::Rejected, Side::Receiver),
    (Status::Open, Status::Cancelled, Side::Sender),
    (Status::Accepted, Status::Done, Side::Receiver),
    (Status::Accepted, Status::Cancelled, Side::Sender),
];

/// Whether a task in this status still asks for work (and so widens the receiver's view).
pub fn is_live(status: Status) -> bool {
    matches!(status, Status::Open | Status::Accepted)
}

/// Checks a transition by one side; the error names both states and, when the side is
/// wrong, the side that may.
pub fn check(current: Status, next: Status, by: &[Side]) -> Result<(), Msg> {
    match TRANSITIONS
        .iter()
        .find(|(from, to, _)| *from == current && *to == next)
    {
        None => Err(msg!(
            "task-transition-refused",
            current = current.as_str(),
            next = next.as_str()
        )),
        Some((_, _, side)) if by.contains(side) => Ok(()),
        Some((_, _, side)) => Err(msg!(
            "task-transition-by-other-side",
            side = side.name(),
            current = current.as_str(),
            next = next.as_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use sea_orm::Iterable;

    /// Written out independently of the table.
    const ALLOWED: [(&str, &str, &str); 5] = [
        ("OPEN", "ACCEPTED", "receiver"),
        ("OPEN", "REJECTED", "receiver"),
        ("OPEN", "CANCELLED", "sender"),
        ("ACCEPTED", "DONE", "receiver"),
        ("ACCEPTED", "CANCELLED", "sender"),
    ];

    #[test]
    fn every_transition_is_allowed_to_its_side_only() {
        for from in Status::iter() {
            for to in Status::iter() {
                for (side, name) in [(Side::Sender, "sender"), (Side::Receiver, "receiver")] {
                    let expected = ALLOWED.contains(&(from.as_str(), to.as_str(), name));
                    let result = check(from, to, &[side]);
                    assert_eq!(
                        result.is_ok(),
                        expected,
                        "{from} -> {to} by {name}: {result:?}"
                    );
                    if let Err(message) = result.map_err(|m| m.render(Locale::En)) {
                        assert!(
                            message.contains(from.as_str()) && message.contains(to.as_str()),
                            "{message}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn final_states_are_final() {
        for from in [Status::Done, Status::Rejected, Status::Cancelled] {
            for to in Status::iter() {
                assert!(check(from, to, &[Side::Sender, Side::Receiver]).is_err());
            }
            assert!(!is_live(from));
        }
    }
}
