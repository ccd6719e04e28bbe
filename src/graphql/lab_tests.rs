//! Laboratory tests (检测), for health.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entity::lab_test;

use super::{
    cases::text,
    context::{actor, row_id, state},
    enums::{LabResult, SampleType},
    persons::{reached_by_id, Person},
};
use crate::{
    domain::lab_tests::{self, NewLabTest, Recorded, Suggestion},
    error::AppError,
};

#[derive(Default)]
pub struct LabTestMutation;

#[Object]
impl LabTestMutation {
    /// Record a laboratory test of a resident of your jurisdiction. A POSITIVE result for
    /// a person without an open case comes back with `suggestion: REPORT_CASE`; no case is
    /// created by itself.
    #[graphql(visible = "super::visibility::mutation_record_lab_test")]
    async fn record_lab_test(
        &self,
        ctx: &Context<'_>,
        input: RecordLabTestInput,
    ) -> Result<LabTestPayload> {
        let new = NewLabTest {
            person_id: row_id(&input.person, "input.person")?,
            sample_date: input.sample_date,
            sample_type: input.sample_type.into(),
            result: input.result.into(),
            laboratory: text(Some(input.laboratory), 100, "input.laboratory")?.ok_or_else(
                || AppError::bad_input("input.laboratory", crate::msg!("must-not-be-empty")),
            )?,
            result_at: input.result_at,
        };
        let recorded = lab_tests::record(state(ctx)?, actor(ctx)?, new).await?;
        LabTestPayload::new(ctx, recorded)
    }

    /// Record the result of a PENDING test (once: a result is final).
    #[graphql(visible = "super::visibility::mutation_record_lab_test")]
    async fn set_lab_result(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        result: LabResult,
        result_at: Option<DateTime<Utc>>,
    ) -> Result<LabTestPayload> {
        let recorded = lab_tests::set_result(
            state(ctx)?,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            result.into(),
            result_at,
        )
        .await?;
        LabTestPayload::new(ctx, recorded)
    }
}

/// A laboratory test (检测记录).
pub struct LabTest(lab_test::Model);

impl LabTest {
    pub fn many(ctx: &Context<'_>, rows: Vec<lab_test::Model>) -> Result<Vec<Self>> {
        actor(ctx)?.record_reads("LabTest", rows.iter().map(|t| t.id))?;
        Ok(rows.into_iter().map(Self).collect())
    }
}

#[Object]
impl LabTest {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        reached_by_id(ctx, self.0.person_id).await
    }

    async fn sample_date(&self) -> NaiveDate {
        self.0.sample_date
    }

    async fn sample_type(&self) -> SampleType {
        self.0.sample_type.into()
    }

    async fn result(&self) -> LabResult {
        self.0.result.into()
    }

    async fn result_at(&self) -> Option<DateTime<Utc>> {
        self.0.result_at
    }

    /// The laboratory (检测机构).
    async fn laboratory(&self) -> &str {
        &self.0.laboratory
    }

    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SuggestedAction {
    /// The result is positive and the person has no open case: report one with `reportCase`.
    ReportCase,
}

/// A recorded test, and what to do next.
#[derive(SimpleObject)]
pub struct LabTestPayload {
    lab_test: LabTest,
    suggestion: Option<SuggestedAction>,
}

impl LabTestPayload {
    fn new(ctx: &Context<'_>, recorded: Recorded) -> Result<Self> {
        actor(ctx)?.record_reads("LabTest", [recorded.lab_test.id])?;
        Ok(Self {
            lab_test: LabTest(recorded.lab_test),
            suggestion: recorded.suggestion.map(|s| match s {
                Suggestion::ReportCase => SuggestedAction::ReportCase,
            }),
        })
    }
}

/// A laboratory test to record.
#[derive(InputObject)]
pub struct RecordLabTestInput {
    /// A person living in your jurisdiction.
    person: ID,
    /// Not in the future.
    sample_date: NaiveDate,
    sample_type: SampleType,
    result: LabResult,
    laboratory: String,
    /// When the result came; now when omitted (none for PENDING).
    result_at: Option<DateTime<Utc>>,
}
