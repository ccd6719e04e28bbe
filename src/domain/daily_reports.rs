//! Daily reports (日报): a unit's figures for one local day, computed from the records
//! themselves, and the community's confirmation of them ("report incidents, or report that
//! all is well"). Nobody types the numbers; the community only confirms them, with a note
//! if it wants, and the street office and the command see who has not confirmed yet.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    case, checkpoint_entry, contact, daily_report, health_check, person, quarantine, task,
    CaseClassification, Direction, OrgLevel,
};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, IntoIden, Query, SelectStatement},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, IntoSimpleExpr,
    QueryFilter, StatementBuilder,
};
use serde::{Deserialize, Serialize};

use super::{
    clock::Clock,
    health_checks::CHECKS_PER_DAY,
    org_units::OrgUnit,
    statistics::{self, measures as m},
    values::{BoundedText, OrgPath},
};
use crate::{
    access::{self, disclosure::Disclosure, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    db::{self, WriteError},
    error::{is_unique_violation, AppError, AppResult},
    state::AppState,
};

const REPORT_INDEX: &str = "uq_daily_report_org_id_report_date";

/// A unit's figures for one local day. Counts of records about the unit's residents (for
/// checkpoint arrivals: travellers heading into the unit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromQueryResult)]
#[serde(default)]
pub struct DailyFigures {
    /// Cases reported that day, by their classification now.
    pub new_suspected: i64,
    pub new_confirmed: i64,
    pub new_asymptomatic: i64,
    pub new_excluded: i64,
    /// Close contacts traced that day.
    pub new_contacts: i64,
    /// Under medical observation at the end of the day.
    pub active_quarantines: i64,
    pub quarantines_started: i64,
    pub quarantines_ended: i64,
    /// Checks due: CHECKS_PER_DAY for each person under observation at the end of the day.
    pub checks_due: i64,
    /// Checks recorded that day (of anyone in the unit).
    pub checks_recorded: i64,
    /// Checks still missing for those due (for today: not yet recorded).
    pub checks_missed: i64,
    /// Checks that day that raised a fever alert.
    pub fevers: i64,
    /// Inbound checkpoint passages of travellers heading into the unit.
    pub checkpoint_arrivals: i64,
    /// Of those, arrivals from a risk area.
    pub risk_area_arrivals: i64,
    /// Tasks about residents opened that day, closed that day, and open at its end.
    pub tasks_opened: i64,
    pub tasks_closed: i64,
    pub open_tasks: i64,
}

impl DailyFigures {
    pub fn new_cases(&self) -> i64 {
        self.new_suspected + self.new_confirmed + self.new_asymptomatic + self.new_excluded
    }
}

/// A community's confirmation of one day.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub id: i64,
    pub confirmed_at: DateTime<Utc>,
    pub confirmed_by: String,
    pub note: Option<String>,
    pub version: i32,
    /// The figures as they stood when confirmed.
    pub figures: DailyFigures,
}

impl TryFrom<daily_report::Model> for Confirmation {
    type Error = AppError;

    fn try_from(row: daily_report::Model) -> AppResult<Self> {
        let figures = serde_json::from_value(row.figures)
            .map_err(|_| AppError::internal("a confirmed report's figures are unreadable"))?;
        Ok(Self {
            id: row.id,
            confirmed_at: row.confirmed_at,
            confirmed_by: row.confirmed_by,
            note: row.note,
            version: row.version,
            figures,
        })
    }
}

/// One unit's day: the live figures (as the principal may read them) and, for a
/// community, its confirmation.
#[derive(Debug, Clone)]
pub struct DailyReport {
    pub unit: Arc<OrgUnit>,
    pub date: NaiveDate,
    pub figures: DailyFigures,
    pub confirmation: Option<Confirmation>,
    /// Whether the records changed after the community confirmed (a late check, a case
    /// reported for that day): the confirmed figures no longer match the exact ones.
    pub changed_since_confirmation: Option<bool>,
}

impl DailyReport {
    fn new(
        unit: Arc<OrgUnit>,
        date: NaiveDate,
        figures: DailyFigures,
        confirmation: Option<Confirmation>,
        disclosure: &Disclosure,
    ) -> Self {
        let changed_since_confirmation = confirmation.as_ref().map(|c| c.figures != figures);
        let figures = figures.read_with(disclosure, unit.id, date);
        Self {
            unit,
            date,
            figures,
            confirmation,
            changed_since_confirmation,
        }
    }
}

impl DailyFigures {
    /// The figures as a principal with this disclosure control reads them, cell by cell
    /// under the names the statistics use (`statistics::measures`).
    fn read_with(self, disclosure: &Disclosure, unit: i64, date: NaiveDate) -> Self {
        if !disclosure.perturbs() {
            return self;
        }
        let day = statistics::epoch_day(date);
        let flow = |measure: &str, n: i64| disclosure.flow(measure, unit, day, n);
        let stock = |measure: &str, n: i64| disclosure.stock(measure, unit, n);
        Self {
            new_suspected: flow(m::NEW_SUSPECTED, self.new_suspected),
            new_confirmed: flow(m::NEW_CONFIRMED, self.new_confirmed),
            new_asymptomatic: flow(m::NEW_ASYMPTOMATIC, self.new_asymptomatic),
            new_excluded: flow(m::NEW_EXCLUDED, self.new_excluded),
            new_contacts: flow(m::NEW_CONTACTS, self.new_contacts),
            active_quarantines: stock(m::ACTIVE_QUARANTINES, self.active_quarantines),
            quarantines_started: flow(m::QUARANTINES_STARTED, self.quarantines_started),
            quarantines_ended: flow(m::QUARANTINES_ENDED, self.quarantines_ended),
            checks_due: stock(m::CHECKS_DUE, self.checks_due),
            checks_recorded: flow(m::CHECKS_RECORDED, self.checks_recorded),
            checks_missed: flow(m::CHECKS_MISSED, self.checks_missed),
            fevers: flow(m::FEVERS, self.fevers),
            checkpoint_arrivals: flow(m::CHECKPOINT_ARRIVALS, self.checkpoint_arrivals),
            risk_area_arrivals: flow(m::RISK_AREA_ARRIVALS, self.risk_area_arrivals),
            tasks_opened: flow(m::TASKS_OPENED, self.tasks_opened),
            tasks_closed: flow(m::TASKS_CLOSED, self.tasks_closed),
            open_tasks: stock(m::OPEN_TASKS, self.open_tasks),
        }
    }
}

/// A unit inside the principal's jurisdiction, else FORBIDDEN.
fn in_jurisdiction(principal: &Principal, unit: &OrgUnit) -> AppResult<()> {
    if principal.jurisdiction().contains(&unit.path) {
        Ok(())
    } else {
        Err(AppError::forbidden(crate::msg!(
            "org-unit-outside-jurisdiction"
        )))
    }
}

/// The figures of a unit (and everything below it) for a local day, with the community's
/// confirmation. Two statements: the figures, and the confirmation.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn report(
    state: &AppState,
    actor: &Actor,
    unit: Arc<OrgUnit>,
    date: NaiveDate,
) -> AppResult<DailyReport> {
    let principal = &actor.principal;
    access::require(principal, Data::DailyReports, Access::Aggregates)?;
    in_jurisdiction(principal, &unit)?;
    state.settings.clock.date_not_in_future(date, "date")?;
    let figures = figures(&state.db, &state.settings.clock, &unit.path, date).await?;
    let confirmation = match unit.level {
        OrgLevel::Community => confirmed(&state.db, unit.id, date).await?,
        _ => None,
    };
    let disclosure = Disclosure::for_principal(principal, &state.settings.disclosure_key);
    Ok(DailyReport::new(
        unit,
        date,
        figures,
        confirmation,
        &disclosure,
    ))
}

async fn confirmed(
    db: &impl ConnectionTrait,
    org_id: i64,
    date: NaiveDate,
) -> AppResult<Option<Confirmation>> {
    daily_report::Entity::find()
        .filter(daily_report::Column::OrgId.eq(org_id))
        .filter(daily_report::Column::ReportDate.eq(date))
        .one(db)
        .await?
        .map(Confirmation::try_from)
        .transpose()
}

/// The community's OPERATOR confirms its own day, as the figures stand now; confirming
/// again (after a late record, or to change the note) needs the version it read.
#[tracing::instrument(skip(state, actor, note), fields(request_id = %actor.request_id))]
pub async fn confirm(
    state: &AppState,
    actor: &Actor,
    unit: Arc<OrgUnit>,
    date: NaiveDate,
    note: Option<BoundedText>,
    expected_version: Option<i32>,
) -> AppResult<DailyReport> {
    let principal = &actor.principal;
    access::require(principal, Data::DailyReports, Access::ReadWrite)?;
    if unit.level != OrgLevel::Community {
        return Err(AppError::bad_input(
            "orgUnit",
            crate::msg!("daily-report-by-communities"),
        ));
    }
    // "Confirm own": the community's own officers, not a grid below it nor another one.
    if principal.org.id != unit.id {
        return Err(AppError::forbidden(crate::msg!(
            "daily-report-own-community-only"
        )));
    }
    state.settings.clock.date_not_in_future(date, "date")?;
    let note = note.map(BoundedText::into_inner);
    let (figures, row) = db::write_retrying!(&state.db, |txn| {
        let figures = figures(&txn, &state.settings.clock, &unit.path, date).await?;
        let snapshot = serde_json::to_value(&figures)
            .map_err(|_| AppError::internal("figures could not be stored"))?;
        let existing = daily_report::Entity::find()
            .filter(daily_report::Column::OrgId.eq(unit.id))
            .filter(daily_report::Column::ReportDate.eq(date))
            .one(&txn)
            .await?;
        let now = Utc::now();
        let row = match (existing, expected_version) {
            (None, None) => daily_report::Entity::insert(daily_report::ActiveModel {
                org_id: Set(unit.id),
                org_path: Set(unit.path.as_str().to_owned()),
                report_date: Set(date),
                figures: Set(snapshot),
                note: Set(note.clone()),
                confirmed_at: Set(now),
                confirmed_by: Set(principal.subject.clone()),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec_with_returning(&txn)
            .await
            .map_err(|err| {
                // Another officer confirmed the same day a moment ago: run again, and
                // this time meet their confirmation.
                if is_unique_violation(&err, REPORT_INDEX) {
                    WriteError::Retry
                } else {
                    WriteError::from(err)
                }
            })?,
            (None, Some(_)) => {
                return Err(WriteError::App(AppError::bad_input(
                    "expectedVersion",
                    crate::msg!("daily-report-not-confirmed-yet"),
                )))
            }
            (Some(current), expected) if expected != Some(current.version) => {
                return Err(WriteError::App(AppError::Conflict {
                    entity: "DailyReport",
                    id: current.id,
                    current_version: current.version,
                }))
            }
            (Some(current), _) => {
                let mut rows = daily_report::Entity::update_many()
                    .set(daily_report::ActiveModel {
                        figures: Set(snapshot),
                        note: Set(note.clone()),
                        confirmed_at: Set(now),
                        confirmed_by: Set(principal.subject.clone()),
                        version: Set(current.version + 1),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .filter(daily_report::Column::Id.eq(current.id))
                    .filter(daily_report::Column::Version.eq(current.version))
                    .exec_with_returning(&txn)
                    .await?;
                match rows.pop() {
                    Some(row) => row,
                    // Confirmed again by someone else between our read and our update:
                    // say which version is current now.
                    None => {
                        return Err(WriteError::App(
                            super::versioning::lost_update::<daily_report::Entity>(
                                &txn,
                                "DailyReport",
                                current.id,
                                daily_report::Column::Id,
                                daily_report::Column::Version,
                            )
                            .await,
                        ));
                    }
                }
            }
        };
        actor
            .record_write(&txn, "confirmDailyReport", "DailyReport", &[row.id], None)
            .await?;
        Ok((figures, row))
    })?;
    Ok(DailyReport::new(
        unit,
        date,
        figures,
        Some(Confirmation::try_from(row)?),
        &Disclosure::exact(),
    ))
}

/// Who has confirmed a day, below one unit.
#[derive(Debug, Clone)]
pub struct ReportStatus {
    pub unit: Arc<OrgUnit>,
    pub date: NaiveDate,
    /// Communities at or below the unit, and how many of them confirmed.
    pub communities: i64,
    pub confirmed: i64,
    /// Each direct child with the same counts (a community child counts itself).
    pub children: Vec<ChildStatus>,
    /// Communities below the unit that have not confirmed, in tree order.
    pub not_confirmed: Vec<Arc<OrgUnit>>,
}

#[derive(Debug, Clone)]
pub struct ChildStatus {
    pub unit: Arc<OrgUnit>,
    pub communities: i64,
    pub confirmed: i64,
    /// When the child is a community that confirmed: when.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// Which communities below `unit` have confirmed `date`: the tree from memory, the
/// confirmations in one statement.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn status(
    state: &AppState,
    actor: &Actor,
    unit: Arc<OrgUnit>,
    date: NaiveDate,
) -> AppResult<ReportStatus> {
    let principal = &actor.principal;
    access::require(principal, Data::DailyReports, Access::Aggregates)?;
    in_jurisdiction(principal, &unit)?;
    state.settings.clock.date_not_in_future(date, "date")?;
    let confirmed_at: HashMap<i64, DateTime<Utc>> = daily_report::Entity::find()
        .filter(scope::within(daily_report::Column::OrgPath, &unit.path))
        .filter(daily_report::Column::ReportDate.eq(date))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.org_id, r.confirmed_at))
        .collect();
    let mut children = Vec::new();
    let mut not_confirmed = Vec::new();
    let (mut communities, mut confirmed) = (0, 0);
    let child_units = if unit.level == OrgLevel::Community {
        Vec::new()
    } else {
        state.orgs.children(Some(unit.id))?
    };
    for child in child_units {
        let mut below = Vec::new();
        communities_under(state, &child, &mut below)?;
        let done = below
            .iter()
            .filter(|c| confirmed_at.contains_key(&c.id))
            .count();
        let (total, done) = (below.len() as i64, done as i64);
        communities += total;
        confirmed += done;
        not_confirmed.extend(
            below
                .into_iter()
                .filter(|c| !confirmed_at.contains_key(&c.id)),
        );
        children.push(ChildStatus {
            confirmed_at: confirmed_at.get(&child.id).copied(),
            unit: child,
            communities: total,
            confirmed: done,
        });
    }
    if unit.level == OrgLevel::Community {
        communities = 1;
        match confirmed_at.contains_key(&unit.id) {
            true => confirmed = 1,
            false => not_confirmed.push(unit.clone()),
        }
    }
    Ok(ReportStatus {
        unit,
        date,
        communities,
        confirmed,
        children,
        not_confirmed,
    })
}

/// The communities at or below `unit` (grids below a community are not walked).
fn communities_under(
    state: &AppState,
    unit: &Arc<OrgUnit>,
    out: &mut Vec<Arc<OrgUnit>>,
) -> AppResult<()> {
    match unit.level {
        OrgLevel::Community => out.push(unit.clone()),
        OrgLevel::Grid => {}
        _ => {
            for child in state.orgs.children(Some(unit.id))? {
                communities_under(state, &child, out)?;
            }
        }
    }
    Ok(())
}

/// Every figure of a unit's day in one statement of scalar subqueries.
pub async fn figures(
    db: &impl ConnectionTrait,
    clock: &Clock,
    unit: &OrgPath,
    date: NaiveDate,
) -> AppResult<DailyFigures> {
    let (start, end) = clock.day_bounds(date);
    let during = |column: Expr| {
        Condition::all()
            .add(column.clone().gte(start))
            .add(column.lt(end))
    };
    let reported = during(case::Column::ReportedAt.into_simple_expr());
    let new_cases = |classification: CaseClassification| {
        about_residents(
            case::Entity,
            case::Column::PersonId,
            unit,
            reported
                .clone()
                .add(case::Column::Classification.eq(classification)),
        )
    };
    let observed_at_day_end = Condition::all()
        .add(quarantine::Column::StartDate.lte(date))
        .add(
            Condition::any()
                .add(quarantine::Column::EndedAt.is_null())
                .add(quarantine::Column::EndedAt.gte(end)),
        );
    let checks = during(health_check::Column::MeasuredAt.into_simple_expr());
    let arrivals = Condition::all()
        .add(scope::within(
            checkpoint_entry::Column::DestinationPath,
            unit,
        ))
        .add(checkpoint_entry::Column::Direction.eq(Direction::Inbound))
        .add(during(
            checkpoint_entry::Column::PassedAt.into_simple_expr(),
        ));
    let count_arrivals = |condition: Condition| {
        subquery(
            Query::select()
                .expr(Func::count(Expr::col((
                    checkpoint_entry::Entity,
                    checkpoint_entry::Column::Id,
                ))))
                .from(checkpoint_entry::Entity)
                .cond_where(condition)
                .to_owned(),
        )
    };
    let open_at_day_end = Condition::all().add(task::Column::CreatedAt.lt(end)).add(
        Condition::any()
            .add(task::Column::ClosedAt.is_null())
            .add(task::Column::ClosedAt.gte(end)),
    );
    // Counts of each table's rows about the unit's residents.
    let quarantines =
        |c: Condition| about_residents(quarantine::Entity, quarantine::Column::PersonId, unit, c);
    let health_checks = |c: Condition| {
        about_residents(
            health_check::Entity,
            health_check::Column::PersonId,
            unit,
            c,
        )
    };
    let tasks = |c: Condition| about_residents(task::Entity, task::Column::PersonId, unit, c);
    let contacts =
        |c: Condition| about_residents(contact::Entity, contact::Column::PersonId, unit, c);
    let statement = Query::select()
        .expr_as(new_cases(CaseClassification::Suspected), "new_suspected")
        .expr_as(new_cases(CaseClassification::Confirmed), "new_confirmed")
        .expr_as(
            new_cases(CaseClassification::Asymptomatic),
            "new_asymptomatic",
        )
        .expr_as(new_cases(CaseClassification::Excluded), "new_excluded")
        .expr_as(
            contacts(during(contact::Column::CreatedAt.into_simple_expr())),
            "new_contacts",
        )
        .expr_as(
            quarantines(observed_at_day_end.clone()),
            "active_quarantines",
        )
        .expr_as(
            quarantines(Condition::all().add(quarantine::Column::StartDate.eq(date))),
            "quarantines_started",
        )
        .expr_as(
            quarantines(during(quarantine::Column::EndedAt.into_simple_expr())),
            "quarantines_ended",
        )
        .expr_as(
            quarantines(observed_at_day_end.clone()).mul(CHECKS_PER_DAY),
            "checks_due",
        )
        .expr_as(health_checks(checks.clone()), "checks_recorded")
        .expr_as(
            checks_missed(unit, observed_at_day_end, checks.clone()),
            "checks_missed",
        )
        .expr_as(
            health_checks(checks.add(health_check::Column::Fever.eq(true))),
            "fevers",
        )
        .expr_as(count_arrivals(arrivals.clone()), "checkpoint_arrivals")
        .expr_as(
            count_arrivals(arrivals.add(checkpoint_entry::Column::FromRiskArea.eq(true))),
            "risk_area_arrivals",
        )
        .expr_as(
            tasks(during(task::Column::CreatedAt.into_simple_expr())),
            "tasks_opened",
        )
        .expr_as(
            tasks(during(task::Column::ClosedAt.into_simple_expr())),
            "tasks_closed",
        )
        .expr_as(tasks(open_at_day_end), "open_tasks")
        .to_owned();
    let backend = db.get_database_backend();
    DailyFigures::find_by_statement(StatementBuilder::build(&statement, &backend))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the figures query returned no row"))
}

fn subquery(query: SelectStatement) -> Expr {
    Expr::SubQuery(None, Box::new(query.into()))
}

/// `(SELECT COUNT(*) FROM entity JOIN person ON person.id = entity.person_id
///   WHERE person lives in unit AND condition)`
fn about_residents<E, C>(entity: E, person_id: C, unit: &OrgPath, condition: Condition) -> Expr
where
    E: EntityTrait + IntoIden + Copy,
    C: ColumnTrait + IntoIden + Copy,
{
    subquery(
        Query::select()
            .expr(Func::count(Expr::col((entity, person_id))))
            .from(entity)
            .inner_join(
                person::Entity,
                Expr::col((person::Entity, person::Column::Id)).equals((entity, person_id)),
            )
            .cond_where(scope::within(person::Column::ResidencePath, unit))
            .cond_where(condition)
            .to_owned(),
    )
}

/// The checks missing that day: for each person under observation, CHECKS_PER_DAY less the
/// checks recorded (never below zero). Written as Σ (due − k) × COUNT(persons with k
/// checks) over k < due, so both databases add whole numbers without a SUM's type change.
fn checks_missed(unit: &OrgPath, observed: Condition, checks: Condition) -> Expr {
    let recorded = Alias::new("recorded");
    let checks_of_person = Query::select()
        .expr(Func::count(Expr::col((
            health_check::Entity,
            health_check::Column::Id,
        ))))
        .from(health_check::Entity)
        .and_where(
            Expr::col((health_check::Entity, health_check::Column::PersonId))
                .equals((quarantine::Entity, quarantine::Column::PersonId)),
        )
        .cond_where(checks)
        .to_owned();
    let per_person = Query::select()
        .expr_as(subquery(checks_of_person), recorded.clone())
        .from(quarantine::Entity)
        .inner_join(
            person::Entity,
            Expr::col((person::Entity, person::Column::Id))
                .equals((quarantine::Entity, quarantine::Column::PersonId)),
        )
        .cond_where(scope::within(person::Column::ResidencePath, unit))
        .cond_where(observed)
        .to_owned();
    let missing = (0..CHECKS_PER_DAY)
        .map(|k| {
            Func::count(
                Expr::case(Expr::col(recorded.clone()).eq(k), Expr::val(1))
                    .finally(Expr::val(Option::<i32>::None)),
            )
            .mul(CHECKS_PER_DAY - k)
        })
        .reduce(|sum, term| sum.add(term))
        .unwrap_or_else(|| Expr::val(0));
    subquery(
        Query::select()
            .expr(missing)
            .from_subquery(per_person, Alias::new("observed"))
            .to_owned(),
    )
}
