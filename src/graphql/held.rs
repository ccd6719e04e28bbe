//! Registrations held for verification (待核实登记): for health and police to settle.

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Object, Result, ID,
};

use super::{
    cases::unit,
    context::{actor, row_id, state},
    persons::Person,
};
use crate::domain::{
    held::{self, HeldRegistration as DomainHeld},
    pagination::PageRequest,
    values::Cursor,
};

#[derive(Default)]
pub struct HeldQuery;

#[Object]
impl HeldQuery {
    /// Records registered in `orgUnit` (your jurisdiction when omitted) by an agency that
    /// sees numbers masked, under a document number that belongs to a person living
    /// elsewhere. The registering agency was answered as for an unknown number; settle each
    /// with `resolveHeldRegistration`. Oldest first.
    #[graphql(
        visible = "super::visibility::query_held_registrations",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn held_registrations(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, HeldRegistration, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            held::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let unit = match org_unit {
            Some(code) => Some(unit(state, &code, "orgUnit").await?),
            None => None,
        };
        let rows = held::list(state, actor(ctx)?, unit, &page).await?;
        let mut connection = Connection::new(page.after.is_some(), rows.has_next_page);
        for item in rows.items {
            let cursor = Cursor::Id(item.held.id()).encode(held::LIST);
            connection
                .edges
                .push(Edge::new(cursor, HeldRegistration(item)));
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct HeldMutation;

#[Object]
impl HeldMutation {
    /// Settle a held registration. `samePerson: true`: the held record and the person
    /// whose number it carries become one (every record moves, as in `mergePersons`), living
    /// where the registration says; `false`: the number is struck from the held record.
    #[graphql(visible = "super::visibility::mutation_resolve_held_registration")]
    async fn resolve_held_registration(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        same_person: bool,
    ) -> Result<Person> {
        let view = held::resolve(
            state(ctx)?,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            same_person,
        )
        .await?;
        Ok(Person(view))
    }
}

/// A record held for verification and the person whose number it carries.
pub struct HeldRegistration(DomainHeld);

#[Object]
impl HeldRegistration {
    /// The record as registered, where the registering agency said the person lives.
    async fn held(&self) -> Person {
        Person(self.0.held.clone())
    }

    /// The verified person the number belongs to: in full when they live in your
    /// jurisdiction, pseudonymized otherwise.
    async fn claimed(&self) -> Person {
        Person(self.0.claimed.clone())
    }

    /// The two records carry the same name.
    async fn name_matches(&self) -> bool {
        self.0.name_matches
    }
}
