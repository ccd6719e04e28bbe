//! Statistics (统计): a unit's figures day by day over a period, and each child unit's on
//! request, for analysts and the command. Counts only, never a row.
//!
//! A fixed number of statements, whatever the period or the number of children: each
//! kind of record is counted once, grouped by (child unit, local day). A child unit is a
//! `CASE` over the children's path ranges; a local day is the record's instant shifted by
//! the local offset and divided into days since 1970-01-01, computed by the database.
//! Figures that carry over from before the period (cumulative confirmed cases, active
//! observations) fold every earlier day into the day before the period.

use std::{collections::HashMap, sync::Arc};

use chrono::{Datelike, NaiveDate};
use entity::{case, contact, health_check, person, quarantine, task, CaseClassification};
use sea_orm::{
    sea_query::{
        Alias, Expr, ExprTrait, Func, IntoIden, PostgresQueryBuilder, Query, SelectStatement,
    },
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Statement,
    StatementBuilder,
};

use super::{
    coalesce::Coalescer, health_checks::CHECKS_PER_DAY, org_units::OrgUnit, values::OrgPath,
};
use crate::{
    access::{self, disclosure::Disclosure, scope, Access, Data},
    audit::Actor,
    error::{AppError, AppResult},
    state::AppState,
};

/// Longest period one request may cover.
pub const MAX_DAYS: i64 = 366;

/// One unit's figures for one local day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub new_suspected: i64,
    pub new_confirmed: i64,
    pub new_asymptomatic: i64,
    /// Confirmed cases reported up to the end of the day.
    pub cumulative_confirmed: i64,
    /// Under observation at the end of the day.
    pub active_quarantines: i64,
    pub contacts_traced: i64,
    pub checks_due: i64,
    pub checks_missed: i64,
    pub fevers: i64,
    pub tasks_opened: i64,
    pub tasks_closed: i64,
}

/// A period's totals: the daily flows summed, the stocks (cumulative confirmed, under
/// observation) as at the last day, dated that day.
fn totals(days: &[DayFigures]) -> DayFigures {
    let mut t = days.last().copied().unwrap_or_default();
    t.new_suspected = days.iter().map(|d| d.new_suspected).sum();
    t.new_confirmed = days.iter().map(|d| d.new_confirmed).sum();
    t.new_asymptomatic = days.iter().map(|d| d.new_asymptomatic).sum();
    t.contacts_traced = days.iter().map(|d| d.contacts_traced).sum();
    t.checks_due = days.iter().map(|d| d.checks_due).sum();
    t.checks_missed = days.iter().map(|d| d.checks_missed).sum();
    t.fevers = days.iter().map(|d| d.fevers).sum();
    t.tasks_opened = days.iter().map(|d| d.tasks_opened).sum();
    t.tasks_closed = days.iter().map(|d| d.tasks_closed).sum();
    t
}

/// A unit's series over the period.
#[derive(Debug, Clone)]
pub struct UnitSeries {
    pub unit: Arc<OrgUnit>,
    pub days: Vec<DayFigures>,
    pub totals: DayFigures,
}

#[derive(Debug, Clone)]
pub struct Statistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub whole: UnitSeries,
    /// Each direct child's series, when asked for.
    pub children: Vec<UnitSeries>,
}

/// The period `[from, to]` checked: in order, not ahead of today, at most MAX_DAYS.
fn period(state: &AppState, from: NaiveDate, to: NaiveDate) -> AppResult<(i64, i64)> {
    state.settings.clock.date_not_in_future(to, "to")?;
    if from > to {
        return Err(AppError::bad_input(
            "from",
            crate::msg!("must-not-be-after-to"),
        ));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AppError::bad_input(
            "from",
            crate::msg!("period-at-most-days", max = MAX_DAYS),
        ));
    }
    Ok((epoch_day(from), epoch_day(to)))
}

pub fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

fn date_of(day: i64) -> NaiveDate {
    i32::try_from(day + 719_163)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or_default()
}

/// The figures of `unit` (inside the principal's jurisdiction) for each day of the period,
/// and of each child unit when `by_child`.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn compute(
    state: &AppState,
    actor: &Actor,
    unit: Arc<OrgUnit>,
    from: NaiveDate,
    to: NaiveDate,
    by_child: bool,
) -> AppResult<Statistics> {
    let principal = &actor.principal;
    access::require(principal, Data::Statistics, Access::Read)?;
    if !principal.jurisdiction().contains(&unit.path) {
        return Err(AppError::forbidden(crate::msg!(
            "org-unit-outside-jurisdiction"
        )));
    }
    let (from_day, to_day) = period(state, from, to)?;
    let children = if by_child {
        state.orgs.children(Some(unit.id))?
    } else {
        Vec::new()
    };
    let query = Counts {
        backend: state.db.get_database_backend(),
        offset_secs: i64::from(state.settings.clock.offset.local_minus_utc()),
        unit: unit.path.clone(),
        children: children.iter().map(|c| c.path.clone()).collect(),
        from_day,
        to_day,
    };
    // The same figures asked for while they are being computed are computed once.
    let key = (unit.path.clone(), by_child, from_day, to_day);
    let db = state.db.clone();
    let rows = state
        .statistics
        .run(key, move || async move { query.all(&db).await })
        .await?;
    // Figures as this principal may read them: analysts' perturbed cell by cell, and a
    // period's totals summed from the perturbed days (see `access::disclosure`).
    let disclosure = Disclosure::for_principal(principal, &state.settings.disclosure_key);
    let series = |unit: Arc<OrgUnit>, bucket: Option<i64>| {
        let days: Vec<DayFigures> = assemble(&rows, bucket, from_day, to_day)
            .into_iter()
            .map(|day| day.read_with(&disclosure, unit.id))
            .collect();
        UnitSeries {
            totals: totals(&days),
            days,
            unit,
        }
    };
    Ok(Statistics {
        from,
        to,
        whole: series(unit.clone(), None),
        children: children
            .into_iter()
            .enumerate()
            .map(|(i, child)| series(child, Some(i as i64 + 1)))
            .collect(),
    })
}

impl DayFigures {
    /// The day as a principal with this disclosure control reads it. Flows are cells of
    /// their day; stocks (cumulative confirmed, under observation, checks due) are cells of
    /// no day, so that an unchanged stock reads the same every day.
    fn read_with(self, disclosure: &Disclosure, unit: i64) -> Self {
        if !disclosure.perturbs() {
            return self;
        }
        let day = epoch_day(self.date);
        let flow = |measure: &str, n: i64| disclosure.flow(measure, unit, day, n);
        let stock = |measure: &str, n: i64| disclosure.stock(measure, unit, n);
        Self {
            date: self.date,
            new_suspected: flow(measures::NEW_SUSPECTED, self.new_suspected),
            new_confirmed: flow(measures::NEW_CONFIRMED, self.new_confirmed),
            new_asymptomatic: flow(measures::NEW_ASYMPTOMATIC, self.new_asymptomatic),
            cumulative_confirmed: stock(measures::CUMULATIVE_CONFIRMED, self.cumulative_confirmed),
            active_quarantines: stock(measures::ACTIVE_QUARANTINES, self.active_quarantines),
            contacts_traced: flow(measures::NEW_CONTACTS, self.contacts_traced),
            checks_due: stock(measures::CHECKS_DUE, self.checks_due),
            checks_missed: flow(measures::CHECKS_MISSED, self.checks_missed),
            fevers: flow(measures::FEVERS, self.fevers),
            tasks_opened: flow(measures::TASKS_OPENED, self.tasks_opened),
            tasks_closed: flow(measures::TASKS_CLOSED, self.tasks_closed),
        }
    }
}

/// Names of the measures, as cells know them: the statistics and the daily report count
/// the same things under the same names, so that the same true count of the same unit and
/// day reads the same through either.
pub mod measures {
    pub const NEW_SUSPECTED: &str = "cases.suspected";
    pub const NEW_CONFIRMED: &str = "cases.confirmed";
    pub const NEW_ASYMPTOMATIC: &str = "cases.asymptomatic";
    pub const NEW_EXCLUDED: &str = "cases.excluded";
    pub const NEW_CASES: &str = "cases.all";
    pub const CUMULATIVE_CONFIRMED: &str = "cases.confirmed.cumulative";
    pub const ACTIVE_QUARANTINES: &str = "quarantines.active";
    pub const QUARANTINES_STARTED: &str = "quarantines.started";
    pub const QUARANTINES_ENDED: &str = "quarantines.ended";
    pub const NEW_CONTACTS: &str = "contacts.traced";
    pub const CHECKS_DUE: &str = "checks.due";
    pub const CHECKS_RECORDED: &str = "checks.recorded";
    pub const CHECKS_MISSED: &str = "checks.missed";
    pub const FEVERS: &str = "checks.fevers";
    pub const CHECKPOINT_ARRIVALS: &str = "checkpoints.arrivals";
    pub const RISK_AREA_ARRIVALS: &str = "checkpoints.arrivals.risk";
    pub const TASKS_OPENED: &str = "tasks.opened";
    pub const TASKS_CLOSED: &str = "tasks.closed";
    pub const OPEN_TASKS: &str = "tasks.open";
}

/// Statistics being computed, by unit, children or not, and period.
pub type Flights = Coalescer<(OrgPath, bool, i64, i64), Rows>;

/// What the database returned, per kind of record: (bucket, day) → counts.
#[derive(Debug, Default)]
pub struct Rows {
    cases: Vec<Group>,
    contacts: Vec<Group>,
    starts: Vec<Group>,
    ends: Vec<Group>,
    checks_credited: Vec<Group>,
    fevers: Vec<Group>,
    tasks_opened: Vec<Group>,
    tasks_closed: Vec<Group>,
}

/// One group: a child bucket (0 when not by child, else the child's 1-based index), a day
/// since 1970-01-01, and up to three counts.
#[derive(Debug, Clone, Copy, FromQueryResult)]
struct Group {
    bucket: i64,
    day: i64,
    a: i64,
    b: i64,
    c: i64,
}

/// The series of one bucket (`None`: all buckets together, the whole unit).
fn assemble(rows: &Rows, bucket: Option<i64>, from_day: i64, to_day: i64) -> Vec<DayFigures> {
    let of = |groups: &[Group]| -> HashMap<i64, Group> {
        let mut by_day: HashMap<i64, Group> = HashMap::new();
        for g in groups
            .iter()
            .filter(|g| bucket.is_none_or(|b| g.bucket == b))
        {
            let entry = by_day.entry(g.day).or_insert(Group {
                bucket: g.bucket,
                day: g.day,
                a: 0,
                b: 0,
                c: 0,
            });
            entry.a += g.a;
            entry.b += g.b;
            entry.c += g.c;
        }
        by_day
    };
    let (cases, contacts, starts, ends) = (
        of(&rows.cases),
        of(&rows.contacts),
        of(&rows.starts),
        of(&rows.ends),
    );
    let (credited, fevers, opened, closed) = (
        of(&rows.checks_credited),
        of(&rows.fevers),
        of(&rows.tasks_opened),
        of(&rows.tasks_closed),
    );
    let count = |map: &HashMap<i64, Group>, day: i64, pick: fn(&Group) -> i64| {
        map.get(&day).map_or(0, pick)
    };
    // Everything before the period is folded into the day before it.
    let mut cumulative_confirmed = count(&cases, from_day - 1, |g| g.b);
    let mut active = count(&starts, from_day - 1, |g| g.a) - count(&ends, from_day - 1, |g| g.a);
    (from_day..=to_day)
        .map(|day| {
            cumulative_confirmed += count(&cases, day, |g| g.b);
            active += count(&starts, day, |g| g.a) - count(&ends, day, |g| g.a);
            let due = active * CHECKS_PER_DAY;
            // Checks that count towards what is due: at most CHECKS_PER_DAY per person.
            let credited = count(&credited, day, |g| g.a) + count(&credited, day, |g| g.b);
            DayFigures {
                date: date_of(day),
                new_suspected: count(&cases, day, |g| g.a),
                new_confirmed: count(&cases, day, |g| g.b),
                new_asymptomatic: count(&cases, day, |g| g.c),
                cumulative_confirmed,
                active_quarantines: active,
                contacts_traced: count(&contacts, day, |g| g.a),
                checks_due: due,
                checks_missed: std::cmp::max(due - credited, 0),
                fevers: count(&fevers, day, |g| g.a),
                tasks_opened: count(&opened, day, |g| g.a),
                tasks_closed: count(&closed, day, |g| g.a),
            }
        })
        .collect()
}

/// The statements, for one unit, its children and a period.
struct Counts {
    backend: DbBackend,
    offset_secs: i64,
    unit: OrgPath,
    children: Vec<OrgPath>,
    from_day: i64,
    to_day: i64,
}

// Checks are credited as Σ COUNT(persons with at least k checks) for k = 1, 2.
const _: () = assert!(CHECKS_PER_DAY == 2);

/// `1` where the condition holds, else NULL: what `COUNT` counts.
fn mark(condition: Condition) -> Expr {
    Expr::case(condition, Expr::val(1))
        .finally(Expr::val(Option::<i32>::None))
        .into()
}

fn every() -> Expr {
    Expr::val(1)
}

impl Counts {
    async fn all(&self, db: &impl ConnectionTrait) -> AppResult<Rows> {
        let reported = self.instant_day(case::Entity, case::Column::ReportedAt);
        let classified =
            |c: CaseClassification| mark(Condition::all().add(case::Column::Classification.eq(c)));
        let cases = self.grouped(
            case::Entity,
            case::Column::PersonId,
            self.folded(reported.clone()),
            Condition::all()
                .add(reported.lte(self.to_day))
                .add(self.instant_until(case::Column::ReportedAt)),
            [
                classified(CaseClassification::Suspected),
                classified(CaseClassification::Confirmed),
                classified(CaseClassification::Asymptomatic),
            ],
        );
        let started = self.date_day(quarantine::Column::StartDate);
        let starts = self.grouped(
            quarantine::Entity,
            quarantine::Column::PersonId,
            self.folded(started.clone()),
            Condition::all().add(started.clone().lte(self.to_day)),
            [every(), Expr::val(0), Expr::val(0)],
        );
        // An observation stops counting at the end of the day it ended (of the day it
        // started, should it have ended before that).
        let ended = self.instant_day(quarantine::Entity, quarantine::Column::EndedAt);
        let stopped: Expr = Expr::case(ended.clone().gt(started.clone()), ended)
            .finally(started)
            .into();
        let ends = self.grouped(
            quarantine::Entity,
            quarantine::Column::PersonId,
            self.folded(stopped.clone()),
            Condition::all()
                .add(quarantine::Column::EndedAt.is_not_null())
                .add(stopped.lte(self.to_day)),
            [every(), Expr::val(0), Expr::val(0)],
        );
        // A flow counts on the day it happened, within the period: a plain range on the
        // instant, which the planner can estimate and an index can serve.
        let traced = self.instant_day(contact::Entity, contact::Column::CreatedAt);
        let contacts = self.grouped(
            contact::Entity,
            contact::Column::PersonId,
            traced,
            self.instant_within(contact::Column::CreatedAt),
            [every(), Expr::val(0), Expr::val(0)],
        );
        let measured = self.instant_day(health_check::Entity, health_check::Column::MeasuredAt);
        let fevers = self.grouped(
            health_check::Entity,
            health_check::Column::PersonId,
            measured,
            self.instant_within(health_check::Column::MeasuredAt)
                .add(health_check::Column::Fever.eq(true)),
            [every(), Expr::val(0), Expr::val(0)],
        );
        let created = self.instant_day(task::Entity, task::Column::CreatedAt);
        let tasks_opened = self.grouped(
            task::Entity,
            task::Column::PersonId,
            created,
            self.instant_within(task::Column::CreatedAt),
            [every(), Expr::val(0), Expr::val(0)],
        );
        let closed = self.instant_day(task::Entity, task::Column::ClosedAt);
        let tasks_closed = self.grouped(
            task::Entity,
            task::Column::PersonId,
            closed,
            self.instant_within(task::Column::ClosedAt),
            [every(), Expr::val(0), Expr::val(0)],
        );
        let checks_credited = self.checks_credited();
        Ok(Rows {
            cases: self.run(db, cases).await?,
            contacts: self.run(db, contacts).await?,
            starts: self.run(db, starts).await?,
            ends: self.run(db, ends).await?,
            checks_credited: self.run(db, checks_credited).await?,
            fevers: self.run(db, fevers).await?,
            tasks_opened: self.run(db, tasks_opened).await?,
            tasks_closed: self.run(db, tasks_closed).await?,
        })
    }

    async fn run(
        &self,
        db: &impl ConnectionTrait,
        statement: SelectStatement,
    ) -> AppResult<Vec<Group>> {
        // On PostgreSQL, values inline, not as parameters: it would otherwise switch to a
        // generic plan after five runs, estimate a handful of rows for a district's
        // fortnight, and pick a plan a hundred times too slow. Every value here is the
        // server's own (numbers, instants, validated paths), quoted by the query builder.
        // SQLite plans each statement afresh, and compares instants as the text the driver
        // writes, so there they stay parameters.
        let built = match self.backend {
            DbBackend::Postgres => {
                Statement::from_string(self.backend, statement.to_string(PostgresQueryBuilder))
            }
            _ => StatementBuilder::build(&statement, &self.backend),
        };
        Ok(Group::find_by_statement(built).all(db).await?)
    }

    /// The local day of an instant column, as days since 1970-01-01.
    fn instant_day<E, C>(&self, entity: E, column: C) -> Expr
    where
        E: IntoIden + Copy + 'static,
        C: IntoIden + Copy + 'static,
    {
        let template = match self.backend {
            // date_part is double precision; EXTRACT is numeric, several times slower
            // over the hundreds of thousands of checks of a district's fortnight.
            DbBackend::Postgres => "CAST(FLOOR((date_part('epoch', $1) + $2) / 86400) AS BIGINT)",
            // SQLite's placeholders are `?`, in order.
            _ => "((CAST(strftime('%s', ?) AS INTEGER) + ?) / 86400)",
        };
        Expr::cust_with_exprs(
            template,
            [Expr::col((entity, column)), Expr::val(self.offset_secs)],
        )
    }

    /// The instant the local day `day` starts.
    fn day_start(&self, day: i64) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(day * 86_400 - self.offset_secs, 0).unwrap_or_default()
    }

    /// `column` lies before the end of the period, as a plain range on the column: the day
    /// expressions above cannot use an index nor give the planner an estimate, this can.
    fn instant_until<C: ColumnTrait>(&self, column: C) -> Condition {
        Condition::all().add(column.lt(self.day_start(self.to_day + 1)))
    }

    /// `column` lies within the period, as a plain range on the column.
    fn instant_within<C: ColumnTrait>(&self, column: C) -> Condition {
        self.instant_until(column)
            .add(column.gte(self.day_start(self.from_day)))
    }

    /// A date column as days since 1970-01-01.
    fn date_day(&self, column: quarantine::Column) -> Expr {
        let template = match self.backend {
            DbBackend::Postgres => "CAST(($1 - DATE '1970-01-01') AS BIGINT)",
            _ => "CAST(julianday(?) - 2440587.5 AS INTEGER)",
        };
        Expr::cust_with_exprs(template, [Expr::col((quarantine::Entity, column))])
    }

    /// Days before the period count as the day before it.
    fn folded(&self, day: Expr) -> Expr {
        Expr::case(day.clone().lt(self.from_day), Expr::val(self.from_day - 1))
            .finally(day)
            .into()
    }

    /// Which child a resident belongs to: its 1-based index, 0 for none (or not by child).
    fn bucket(&self) -> Expr {
        if self.children.is_empty() {
            return Expr::val(0i64);
        }
        let mut case = Expr::case(
            scope::within(person::Column::ResidencePath, &self.children[0]),
            Expr::val(1i64),
        );
        for (i, child) in self.children.iter().enumerate().skip(1) {
            case = case.case(
                scope::within(person::Column::ResidencePath, child),
                Expr::val(i as i64 + 1),
            );
        }
        case.finally(Expr::val(0i64)).into()
    }

    /// `SELECT bucket, day, COUNT(a), COUNT(b), COUNT(c) FROM (SELECT <bucket>, <day>,
    /// <marks> FROM entity JOIN person ON person lives in the unit WHERE condition)
    /// GROUP BY bucket, day`.
    fn grouped<E, C>(
        &self,
        entity: E,
        person_id: C,
        day: Expr,
        condition: Condition,
        marks: [Expr; 3],
    ) -> SelectStatement
    where
        E: EntityTrait + IntoIden + Copy,
        C: ColumnTrait + IntoIden + Copy,
    {
        let [a, b, c] = marks;
        let rows = Query::select()
            .expr_as(self.bucket(), Alias::new("bucket"))
            .expr_as(day, Alias::new("day"))
            .expr_as(a, Alias::new("a"))
            .expr_as(b, Alias::new("b"))
            .expr_as(c, Alias::new("c"))
            .from(entity)
            .inner_join(
                person::Entity,
                Expr::col((person::Entity, person::Column::Id)).equals((entity, person_id)),
            )
            .cond_where(scope::within(person::Column::ResidencePath, &self.unit))
            .cond_where(condition)
            .to_owned();
        summed(rows)
    }

    /// Per (bucket, day): persons under observation that day with at least one check (a)
    /// and with at least two (b).
    fn checks_credited(&self) -> SelectStatement {
        let measured = self.instant_day(health_check::Entity, health_check::Column::MeasuredAt);
        let started = self.date_day(quarantine::Column::StartDate);
        let ended = self.instant_day(quarantine::Entity, quarantine::Column::EndedAt);
        let per_check = Query::select()
            .expr_as(self.bucket(), Alias::new("bucket"))
            .expr_as(measured.clone(), Alias::new("day"))
            .expr_as(
                Expr::col((health_check::Entity, health_check::Column::PersonId)),
                Alias::new("person_id"),
            )
            .from(health_check::Entity)
            .inner_join(
                person::Entity,
                Expr::col((person::Entity, person::Column::Id))
                    .equals((health_check::Entity, health_check::Column::PersonId)),
            )
            .inner_join(
                quarantine::Entity,
                Condition::all()
                    .add(
                        Expr::col((quarantine::Entity, quarantine::Column::PersonId))
                            .equals((health_check::Entity, health_check::Column::PersonId)),
                    )
                    .add(started.lte(measured.clone()))
                    .add(
                        Condition::any()
                            .add(quarantine::Column::EndedAt.is_null())
                            .add(ended.gt(measured.clone())),
                    ),
            )
            .cond_where(scope::within(person::Column::ResidencePath, &self.unit))
            .cond_where(self.instant_within(health_check::Column::MeasuredAt))
            .to_owned();
        let per_person = Query::select()
            .column(Alias::new("bucket"))
            .column(Alias::new("day"))
            .expr_as(
                Func::count(Expr::col(Alias::new("person_id"))),
                Alias::new("n"),
            )
            .from_subquery(per_check, Alias::new("checks"))
            .group_by_col(Alias::new("bucket"))
            .group_by_col(Alias::new("day"))
            .group_by_col(Alias::new("person_id"))
            .to_owned();
        let at_least = |k: i64| mark(Condition::all().add(Expr::col(Alias::new("n")).gte(k)));
        let rows = Query::select()
            .column(Alias::new("bucket"))
            .column(Alias::new("day"))
            .expr_as(at_least(1), Alias::new("a"))
            .expr_as(at_least(2), Alias::new("b"))
            .expr_as(Expr::val(0), Alias::new("c"))
            .from_subquery(per_person, Alias::new("persons"))
            .to_owned();
        summed(rows)
    }
}

/// `SELECT bucket, day, COUNT(a) AS a, COUNT(b) AS b, COUNT(c) AS c FROM rows GROUP BY
/// bucket, day`, where a zero mark counts as nothing.
fn summed(rows: SelectStatement) -> SelectStatement {
    let counted = |name: &str| {
        let column = Expr::col(Alias::new(name));
        Func::count(
            Expr::case(column.clone().ne(0), column).finally(Expr::val(Option::<i32>::None)),
        )
    };
    // Values are inlined (see `run`), and a bare literal is a 32-bit integer to PostgreSQL.
    let wide = |name: &str| Expr::col(Alias::new(name)).cast_as(Alias::new("BIGINT"));
    Query::select()
        .expr_as(wide("bucket"), Alias::new("bucket"))
        .expr_as(wide("day"), Alias::new("day"))
        .expr_as(counted("a"), Alias::new("a"))
        .expr_as(counted("b"), Alias::new("b"))
        .expr_as(counted("c"), Alias::new("c"))
        .from_subquery(rows, Alias::new("rows"))
        .group_by_col(Alias::new("bucket"))
        .group_by_col(Alias::new("day"))
        .to_owned()
}
