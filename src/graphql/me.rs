//! `me`: who the token says you are, and what the policy gives you.

use async_graphql::{Context, Object, Result, SimpleObject};

use super::{
    context::actor,
    enums::{AccessLevel, Agency, DataKind, Role},
    org_units::OrgUnit,
};
use crate::access::policy;

#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// The signed-in user, as the token describes them.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let principal = &actor(ctx)?.principal;
        let access = policy::OPERATORS
            .iter()
            .map(|(data, _)| DataAccess {
                data: (*data).into(),
                level: policy::access(principal.agency, principal.role, *data).into(),
            })
            .collect();
        Ok(Me {
            subject: principal.subject.clone(),
            name: principal.name.clone(),
            agency: principal.agency.into(),
            role: principal.role.into(),
            jurisdiction: OrgUnit(principal.org.clone()),
            access,
        })
    }
}

/// The signed-in user (当前用户).
#[derive(SimpleObject)]
pub struct Me {
    /// User id in the agency's identity system.
    subject: String,
    name: String,
    agency: Agency,
    role: Role,
    /// The org unit your jurisdiction covers: it and everything below it.
    jurisdiction: OrgUnit,
    /// What the access policy gives you for each kind of data, within your jurisdiction.
    access: Vec<DataAccess>,
}

/// One row of the access matrix, for you.
#[derive(SimpleObject)]
pub struct DataAccess {
    data: DataKind,
    level: AccessLevel,
}
