//! `mixed`: virtual users in the proportions of a working day, each pausing for a think
//! time between requests. BENCHMARKS.md documents the mix.

use rand::Rng;

use crate::{runner::Outcome, scenarios::Ctx};

/// What a virtual user does next.
#[derive(Debug, Clone, Copy)]
enum Op {
    CheckSingle,
    CheckBatch,
    FollowUps,
    LookupHealth,
    LookupPolice,
    CasePage,
    Chain,
    Statistics,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Self::CheckSingle => "check-single",
            Self::CheckBatch => "check-batch",
            Self::FollowUps => "follow-ups",
            Self::LookupHealth | Self::LookupPolice => "lookup",
            Self::CasePage => "cases",
            Self::Chain => "chain",
            Self::Statistics => "statistics",
        }
    }
}

/// A kind of user: its share of the users, and its requests with their weights.
struct Role {
    share: u32,
    ops: &'static [(Op, u32)],
}

/// Grid workers record the twice-daily checks one by one as they go door to door, now and
/// then a batch after a shift without signal, and read the day's list; clinics and police
/// look people up by document; investigators page through cases and walk chains; the
/// command reads the statistics.
const ROLES: [Role; 4] = [
    // Grid workers: 60 % of the users.
    Role {
        share: 60,
        ops: &[
            (Op::CheckSingle, 55),
            (Op::CheckBatch, 5),
            (Op::FollowUps, 40),
        ],
    },
    // Clinic staff and police officers: 20 %.
    Role {
        share: 20,
        ops: &[(Op::LookupHealth, 50), (Op::LookupPolice, 50)],
    },
    // Epidemiological investigators (health): 15 %.
    Role {
        share: 15,
        ops: &[(Op::CasePage, 40), (Op::Chain, 40), (Op::LookupHealth, 20)],
    },
    // The command: 5 %.
    Role {
        share: 5,
        ops: &[(Op::Statistics, 100)],
    },
];

/// The role of virtual user `user` of `users`: the first 60 % are grid workers, and so on.
fn role_of(user: usize, users: usize) -> &'static Role {
    let total: u32 = ROLES.iter().map(|r| r.share).sum();
    let position = (user as u64 * u64::from(total)) / (users.max(1) as u64);
    let mut upto = 0u64;
    for role in &ROLES {
        upto += u64::from(role.share);
        if position < upto {
            return role;
        }
    }
    &ROLES[ROLES.len() - 1]
}

fn next_op(role: &Role) -> Op {
    let total: u32 = role.ops.iter().map(|(_, w)| *w).sum();
    let mut draw = rand::rng().random_range(0..total.max(1));
    for (op, weight) in role.ops {
        if draw < *weight {
            return *op;
        }
        draw -= weight;
    }
    role.ops[0].0
}

/// One request of virtual user `user`; a grid worker works in one community, its own.
pub async fn request(ctx: &Ctx, user: usize, users: usize) -> (&'static str, Outcome) {
    let op = next_op(role_of(user, users));
    let community = user % ctx.sample.observed.len().max(1);
    let outcome = match op {
        Op::CheckSingle => ctx.checks_in(Some(community), 1).await,
        Op::CheckBatch => ctx.checks_in(Some(community), ctx.batch).await,
        Op::FollowUps => {
            let token = ctx
                .community_tokens
                .get(community)
                .map_or("", String::as_str);
            ctx.follow_ups(token).await
        }
        Op::LookupHealth => ctx.lookup(&ctx.tokens.health_city).await,
        Op::LookupPolice => ctx.lookup(&ctx.tokens.police_city).await,
        Op::CasePage => ctx.cases().await,
        Op::Chain => ctx.chain().await,
        Op::Statistics => ctx.statistics().await,
    };
    (op.name(), outcome)
}

/// The mix as text, for the report.
pub fn describe(users: usize) -> String {
    let mut counts = [0usize; ROLES.len()];
    for user in 0..users {
        let role = role_of(user, users);
        if let Some(i) = ROLES.iter().position(|r| std::ptr::eq(r, role)) {
            counts[i] += 1;
        }
    }
    let names = ["grid workers", "clinic/police", "investigators", "command"];
    names
        .iter()
        .zip(counts)
        .map(|(name, n)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hundred_users_split_by_share() {
        assert_eq!(
            describe(200),
            "120 grid workers, 40 clinic/police, 30 investigators, 10 command"
        );
    }
}
