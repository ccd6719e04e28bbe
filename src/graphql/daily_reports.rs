//! Daily reports (日报): computed figures, the community's confirmation, and who has
//! confirmed.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    cases::{text, unit, unit_or_own},
    context::{actor, state},
    counts::{threshold, Count},
    org_units::OrgUnit,
};
use crate::{
    domain::{
        daily_reports::{self, DailyFigures as Figures, DailyReport as Report},
        org_units::OrgUnit as Unit,
    },
    error::AppResult,
    state::AppState,
};

/// The unit named by `code`, or the principal's own; today when no date is given.
async fn unit_and_day(
    ctx: &Context<'_>,
    code: Option<String>,
    date: Option<NaiveDate>,
) -> AppResult<(Arc<Unit>, NaiveDate)> {
    let state: &AppState = state(ctx)?;
    let unit = unit_or_own(ctx, code).await?;
    Ok((unit, date.unwrap_or_else(|| state.settings.clock.today())))
}

#[derive(Default)]
pub struct DailyReportQuery;

#[Object]
impl DailyReportQuery {
    /// The figures of `orgUnit` (your own unit when omitted) and everything below it for
    /// one local day (today when omitted), computed from the records as they stand now; for
    /// a community, also its confirmation of that day.
    #[graphql(visible = "super::visibility::query_daily_report")]
    async fn daily_report(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
        date: Option<NaiveDate>,
    ) -> Result<DailyReport> {
        let (unit, date) = unit_and_day(ctx, org_unit, date).await?;
        let report = daily_reports::report(state(ctx)?, actor(ctx)?, unit, date).await?;
        Ok(DailyReport(report))
    }

    /// Which communities below `orgUnit` (your own unit when omitted) have confirmed the
    /// day (today when omitted), unit by unit: what the street office and the command look
    /// at each evening.
    #[graphql(visible = "super::visibility::query_daily_report_status")]
    async fn daily_report_status(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
        date: Option<NaiveDate>,
    ) -> Result<DailyReportStatus> {
        let (unit, date) = unit_and_day(ctx, org_unit, date).await?;
        let status = daily_reports::status(state(ctx)?, actor(ctx)?, unit, date).await?;
        Ok(DailyReportStatus(status))
    }
}

#[derive(Default)]
pub struct DailyReportMutation;

#[Object]
impl DailyReportMutation {
    /// Confirm your community's figures for a day as they stand now ("report incidents, or
    /// report that all is well": a day with nothing to report is confirmed the same way),
    /// with a note if you want. Confirming the same day again (after a late record, or to
    /// change the note) needs the `expectedVersion` you read. Community operators only,
    /// for their own community.
    #[graphql(visible = "super::visibility::mutation_confirm_daily_report")]
    async fn confirm_daily_report(
        &self,
        ctx: &Context<'_>,
        org_unit: String,
        date: NaiveDate,
        note: Option<String>,
        expected_version: Option<i32>,
    ) -> Result<DailyReport> {
        let state = state(ctx)?;
        let note = text(note, 1000, "note")?;
        let unit = unit(state, &org_unit, "orgUnit").await?;
        let report =
            daily_reports::confirm(state, actor(ctx)?, unit, date, note, expected_version).await?;
        Ok(DailyReport(report))
    }
}

/// One unit's day (日报).
pub struct DailyReport(Report);

#[Object]
impl DailyReport {
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.unit.clone())
    }

    async fn date(&self) -> NaiveDate {
        self.0.date
    }

    /// The figures as the records stand now.
    async fn figures(&self, ctx: &Context<'_>) -> Result<DailyFigures> {
        Ok(DailyFigures(self.0.figures.clone(), threshold(ctx)?))
    }

    /// The community's confirmation of this day; null until it confirms, and for units
    /// that are not communities (see `dailyReportStatus`).
    #[graphql(visible = "super::visibility::daily_report_confirmation")]
    async fn confirmation(&self, ctx: &Context<'_>) -> Result<Option<DailyReportConfirmation>> {
        let changed = self.0.changed_since_confirmation.unwrap_or(false);
        let threshold = threshold(ctx)?;
        Ok(self
            .0
            .confirmation
            .clone()
            .map(|c| DailyReportConfirmation {
                confirmed_at: c.confirmed_at,
                confirmed_by: c.confirmed_by,
                note: c.note,
                version: c.version,
                changed_since_confirmation: changed,
                figures: DailyFigures(c.figures, threshold),
            }))
    }
}

/// How a community confirmed its day.
#[derive(SimpleObject)]
pub struct DailyReportConfirmation {
    confirmed_at: DateTime<Utc>,
    /// The confirming officer (their id in their agency's identity system).
    confirmed_by: String,
    note: Option<String>,
    /// Give this as `expectedVersion` to confirm the day again.
    version: i32,
    /// True when the records changed after the confirmation (a late check, a case reported
    /// for that day): `figures` below are what was confirmed, the report's own are live.
    changed_since_confirmation: bool,
    /// The figures as they stood when confirmed.
    figures: DailyFigures,
}

/// A day's figures. Counts about the unit's residents, except checkpoint arrivals, which
/// count travellers heading into the unit. Analysts see small counts as "<N".
pub struct DailyFigures(Figures, Option<i64>);

impl DailyFigures {
    fn count(&self, value: i64) -> Count {
        Count::new(value, self.1)
    }
}

#[Object]
impl DailyFigures {
    /// Cases reported that day, by their classification now.
    async fn new_cases(&self) -> CaseCounts {
        let f = &self.0;
        CaseCounts {
            suspected: self.count(f.new_suspected),
            confirmed: self.count(f.new_confirmed),
            asymptomatic: self.count(f.new_asymptomatic),
            excluded: self.count(f.new_excluded),
            total: self.count(f.new_cases()),
        }
    }

    /// Close contacts traced that day.
    async fn new_contacts(&self) -> Count {
        self.count(self.0.new_contacts)
    }

    /// Persons under medical observation at the end of the day (now, for today).
    async fn active_quarantines(&self) -> Count {
        self.count(self.0.active_quarantines)
    }

    /// Observations that started that day.
    async fn quarantines_started(&self) -> Count {
        self.count(self.0.quarantines_started)
    }

    /// Observations that ended that day, however they ended.
    async fn quarantines_ended(&self) -> Count {
        self.count(self.0.quarantines_ended)
    }

    /// Temperature checks due: two for each person under observation.
    async fn checks_due(&self) -> Count {
        self.count(self.0.checks_due)
    }

    /// Checks recorded that day.
    async fn checks_recorded(&self) -> Count {
        self.count(self.0.checks_recorded)
    }

    /// Checks due but not recorded (for today: not recorded yet).
    async fn checks_missed(&self) -> Count {
        self.count(self.0.checks_missed)
    }

    /// Checks that day with a fever or a listed symptom.
    async fn fevers(&self) -> Count {
        self.count(self.0.fevers)
    }

    /// Travellers recorded at a checkpoint that day on their way into the unit.
    async fn checkpoint_arrivals(&self) -> Count {
        self.count(self.0.checkpoint_arrivals)
    }

    /// Of those, arrivals from a risk area.
    async fn risk_area_arrivals(&self) -> Count {
        self.count(self.0.risk_area_arrivals)
    }

    /// Tasks between agencies about residents, opened that day.
    async fn tasks_opened(&self) -> Count {
        self.count(self.0.tasks_opened)
    }

    /// Tasks about residents closed that day (done, rejected or cancelled).
    async fn tasks_closed(&self) -> Count {
        self.count(self.0.tasks_closed)
    }

    /// Tasks about residents still open at the end of the day.
    async fn open_tasks(&self) -> Count {
        self.count(self.0.open_tasks)
    }
}

/// Cases by classification.
#[derive(SimpleObject)]
pub struct CaseCounts {
    suspected: Count,
    confirmed: Count,
    asymptomatic: Count,
    excluded: Count,
    total: Count,
}

/// Who has confirmed a day below one unit.
pub struct DailyReportStatus(daily_reports::ReportStatus);

#[Object]
impl DailyReportStatus {
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.0.unit.clone())
    }

    async fn date(&self) -> NaiveDate {
        self.0.date
    }

    /// Communities at or below the unit.
    async fn communities(&self) -> i64 {
        self.0.communities
    }

    /// Of those, how many confirmed the day.
    async fn confirmed(&self) -> i64 {
        self.0.confirmed
    }

    /// Each unit directly below, with the same counts.
    async fn children(&self) -> Vec<UnitReportStatus> {
        self.0
            .children
            .iter()
            .map(|c| UnitReportStatus {
                unit: c.unit.clone(),
                communities: c.communities,
                confirmed: c.confirmed,
                confirmed_at: c.confirmed_at,
            })
            .collect()
    }

    /// The communities that have not confirmed yet, in tree order (at most `first`,
    /// default 50, at most 100; `communities - confirmed` says how many in all).
    async fn not_confirmed(
        &self,
        #[graphql(default = 50, validator(minimum = 0, maximum = 100))] first: i32,
    ) -> Vec<OrgUnit> {
        self.0
            .not_confirmed
            .iter()
            .take(usize::try_from(first).unwrap_or(0))
            .map(|u| OrgUnit(u.clone()))
            .collect()
    }
}

/// One unit's confirmations of a day.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnitReportStatus {
    #[graphql(skip)]
    unit: Arc<Unit>,
    /// Communities at or below this unit (1 for a community).
    communities: i64,
    confirmed: i64,
    /// For a community that confirmed: when.
    confirmed_at: Option<DateTime<Utc>>,
}

#[ComplexObject]
impl UnitReportStatus {
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.unit.clone())
    }
}
