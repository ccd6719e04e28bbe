//! The change feed (变更流) for offline clients and partner systems.

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Enum, Object, Result,
};
use chrono::{DateTime, Utc};
use entity::{alert, checkpoint_entry, contact, health_check, lab_test};

use super::{
    alerts::Alert,
    cases::Case,
    checkpoints::CheckpointEntry,
    contacts::Contact,
    context::{actor, state},
    health_checks::HealthCheck,
    lab_tests::LabTest,
    persons::Person,
    prefetch,
    quarantines::Quarantine,
    tasks::Task,
};
use crate::{
    access::{PersonView, Reach},
    domain::{
        changes::{self, ChangeType as DomainType, Records},
        pagination::PageRequest,
    },
};

#[derive(Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// Every record created or changed in your reach since `after`, oldest first, in the
    /// order the changes were committed (变更流): for a mobile client back from an offline
    /// shift, or a partner agency's system, to catch up without reading whole lists again.
    ///
    /// A record changed several times since `after` comes once, at its latest change, as
    /// it is now and as you may see it (the same scope and masking as its own query). Start
    /// without `after`; keep the `endCursor` of the last page you read and pass it as
    /// `after` next time. While `hasNextPage` is true there is more to read now; an empty
    /// page means you are up to date (keep your cursor). `types` narrows the kinds of
    /// record; by default every kind you may read.
    #[graphql(complexity = "super::limits::list_cost(first, child_complexity, 1)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
        types: Option<Vec<ChangeType>>,
    ) -> Result<Connection<String, Change, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let actor = actor(ctx)?;
        let page = PageRequest::parse(
            changes::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let wanted: Option<Vec<DomainType>> =
            types.map(|t| t.into_iter().map(Into::into).collect());
        let kinds = changes::kinds(&actor.principal, wanted.as_deref())?;
        let rows = changes::list(state, actor, &kinds, &page).await?;
        let records = changes::records(&state.db, &rows.items).await?;
        prefetch_nested(ctx, &records).await?;
        let mut connection = Connection::new(page.after.is_some(), rows.has_next_page);
        for change in rows.items {
            let cursor = changes::cursor_of(&change);
            // A record gone since the page was read (a contact folded by a merge) is left out.
            if let Some(record) = Record::take(ctx, &records, &change)? {
                connection.edges.push(Edge::new(
                    cursor,
                    Change {
                        kind: change.kind.into(),
                        operation: change.operation,
                        at: change.at,
                        record,
                    },
                ));
            }
        }
        Ok(connection)
    }
}

/// Feeds the request's loaders with what the page's records nest, one statement per field.
pub(super) async fn prefetch_nested(ctx: &Context<'_>, records: &Records) -> Result<()> {
    let look = prefetch::nodes(ctx);
    let persons: Vec<i64> = records.persons.keys().copied().collect();
    prefetch::persons(ctx, &look.field("person"), &persons).await?;
    let cases: Vec<_> = records.cases.values().cloned().collect();
    prefetch::cases(ctx, &look.field("case"), &cases).await?;
    let contacts: Vec<&contact::Model> = records.contacts.values().map(|r| &r.contact).collect();
    prefetch::contacts(ctx, &look.field("contact"), &contacts, true).await?;
    let (quarantines, quarantined): (Vec<i64>, Vec<i64>) = records
        .quarantines
        .values()
        .map(|r| (r.quarantine.id, r.person.id))
        .unzip();
    prefetch::quarantines(ctx, &look.field("quarantine"), &quarantines, &quarantined).await?;
    let tasked: Vec<i64> = records.tasks.values().map(|r| r.person.id).collect();
    prefetch::persons(ctx, &look.field("task").field("person"), &tasked).await?;
    // Records that hold only their person's id.
    let checked = person_ids(records.health_checks.values(), |c: &health_check::Model| {
        Some(c.person_id)
    });
    prefetch::persons_by_id(ctx, &look.field("healthCheck").field("person"), &checked).await?;
    let tested = person_ids(records.lab_tests.values(), |t: &lab_test::Model| {
        Some(t.person_id)
    });
    prefetch::persons_by_id(ctx, &look.field("labTest").field("person"), &tested).await?;
    let travellers = person_ids(
        records.checkpoint_entries.values(),
        |e: &checkpoint_entry::Model| e.person_id,
    );
    prefetch::persons_by_id(
        ctx,
        &look.field("checkpointEntry").field("person"),
        &travellers,
    )
    .await?;
    let alerted = person_ids(records.alerts.values(), |a: &alert::Model| a.person_id);
    prefetch::persons_by_id(ctx, &look.field("alert").field("person"), &alerted).await?;
    Ok(())
}

fn person_ids<'a, T: 'a>(
    rows: impl Iterator<Item = &'a T>,
    person: impl Fn(&T) -> Option<i64>,
) -> Vec<i64> {
    rows.filter_map(person).collect()
}

/// The kinds of record the change feed carries.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "DomainType")]
pub enum ChangeType {
    /// A person (人员).
    Person,
    /// A case (病例).
    Case,
    /// A close contact (密切接触者).
    Contact,
    /// A medical observation (医学观察).
    Quarantine,
    /// A temperature and symptom check (体温监测).
    HealthCheck,
    /// A laboratory test (检测记录).
    LabTest,
    /// A passage at a checkpoint (卡口登记).
    CheckpointEntry,
    /// A task between agencies (工作任务).
    Task,
    /// An alert (预警).
    Alert,
}

/// One record's latest change, with the record as it is now. Exactly one of the record
/// fields is set: the one `type` names.
pub struct Change {
    pub(super) kind: ChangeType,
    pub(super) operation: String,
    pub(super) at: DateTime<Utc>,
    pub(super) record: Record,
}

pub(super) enum Record {
    Person(Person),
    Case(Case),
    Contact(Contact),
    Quarantine(Quarantine),
    HealthCheck(HealthCheck),
    LabTest(LabTest),
    CheckpointEntry(CheckpointEntry),
    Task(Task),
    Alert(Alert),
}

impl Record {
    /// The changed record from the page's records, wrapped for the client and put on the
    /// audit trail; `None` when it no longer exists.
    pub(super) fn take(
        ctx: &Context<'_>,
        records: &Records,
        change: &changes::Change,
    ) -> Result<Option<Self>> {
        let id = change.entity_id;
        let actor = actor(ctx)?;
        Ok(match change.kind {
            DomainType::Person => match records.persons.get(&id) {
                Some(model) => {
                    actor.record_reads("Person", [id])?;
                    Some(Self::Person(Person(PersonView::new(
                        &actor.principal,
                        model.clone(),
                        Reach::Jurisdiction,
                    ))))
                }
                None => None,
            },
            DomainType::Case => records
                .cases
                .get(&id)
                .map(|row| Case::from_row(ctx, row.clone()).map(Self::Case))
                .transpose()?,
            DomainType::Contact => records
                .contacts
                .get(&id)
                .map(|row| Contact::from_row(ctx, row.clone()).map(Self::Contact))
                .transpose()?,
            DomainType::Quarantine => records
                .quarantines
                .get(&id)
                .map(|row| Quarantine::from_row(ctx, row.clone()).map(Self::Quarantine))
                .transpose()?,
            DomainType::HealthCheck => match records.health_checks.get(&id) {
                Some(check) => HealthCheck::many(ctx, vec![check.clone()])?
                    .pop()
                    .map(Self::HealthCheck),
                None => None,
            },
            DomainType::LabTest => match records.lab_tests.get(&id) {
                Some(test) => LabTest::many(ctx, vec![test.clone()])?
                    .pop()
                    .map(Self::LabTest),
                None => None,
            },
            DomainType::CheckpointEntry => records
                .checkpoint_entries
                .get(&id)
                .map(|entry| CheckpointEntry::new(ctx, entry.clone()).map(Self::CheckpointEntry))
                .transpose()?,
            DomainType::Task => records
                .tasks
                .get(&id)
                .map(|row| Task::from_row(ctx, row.clone()).map(Self::Task))
                .transpose()?,
            DomainType::Alert => match records.alerts.get(&id) {
                Some(alert) => {
                    actor.record_reads("Alert", [id])?;
                    Some(Self::Alert(Alert::from(alert.clone())))
                }
                None => None,
            },
        })
    }
}

#[Object]
impl Change {
    /// The kind of record that changed.
    #[graphql(name = "type")]
    async fn kind(&self) -> ChangeType {
        self.kind
    }

    /// What made the change, e.g. `mutation recordHealthChecks`, or `alert` for a raised alert.
    async fn operation(&self) -> &str {
        &self.operation
    }

    /// When the change was made.
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }

    #[graphql(visible = "super::visibility::change_person")]
    async fn person(&self) -> Option<&Person> {
        match &self.record {
            Record::Person(p) => Some(p),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_case")]
    async fn case(&self) -> Option<&Case> {
        match &self.record {
            Record::Case(c) => Some(c),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_contact")]
    async fn contact(&self) -> Option<&Contact> {
        match &self.record {
            Record::Contact(c) => Some(c),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_quarantine")]
    async fn quarantine(&self) -> Option<&Quarantine> {
        match &self.record {
            Record::Quarantine(q) => Some(q),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_health_check")]
    async fn health_check(&self) -> Option<&HealthCheck> {
        match &self.record {
            Record::HealthCheck(c) => Some(c),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_lab_test")]
    async fn lab_test(&self) -> Option<&LabTest> {
        match &self.record {
            Record::LabTest(t) => Some(t),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_checkpoint_entry")]
    async fn checkpoint_entry(&self) -> Option<&CheckpointEntry> {
        match &self.record {
            Record::CheckpointEntry(e) => Some(e),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_task")]
    async fn task(&self) -> Option<&Task> {
        match &self.record {
            Record::Task(t) => Some(t),
            _ => None,
        }
    }

    #[graphql(visible = "super::visibility::change_alert")]
    async fn alert(&self) -> Option<&Alert> {
        match &self.record {
            Record::Alert(a) => Some(a),
            _ => None,
        }
    }
}
