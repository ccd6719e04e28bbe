//! Statistics for analysts and the command: counts per day over a period, per child unit on
//! request, with small counts hidden from analysts.

use async_graphql::{Context, Enum, Object, Result};
use chrono::NaiveDate;

use super::{
    cases::unit_or_own,
    context::{actor, state},
    counts::{hidden, threshold, Count},
    org_units::OrgUnit,
};
use crate::domain::statistics::{self, DayFigures, UnitSeries as Series};

/// Complexity of a statistics request: a day per day of the period, times a child's share
/// when broken down by child, so that a year of per-unit series does not fit in one request
/// (MAX_QUERY_COMPLEXITY) while a fortnight by district does.
pub fn cost(from: NaiveDate, to: NaiveDate, by_child: bool, child_complexity: usize) -> usize {
    let days = usize::try_from((to - from).num_days().max(0) + 1).unwrap_or(usize::MAX);
    let per_day = if by_child { 30 } else { 1 };
    days.saturating_mul(per_day)
        .saturating_add(child_complexity)
        .min(1 << 32)
}

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// The figures of `orgUnit` (your own unit when omitted) for each local day from `from`
    /// to `to` (at most 366 days), with totals; with `byChild`, each unit directly below it
    /// too. Counts only; analysts see small counts as "<N".
    #[graphql(
        visible = "super::visibility::query_statistics",
        complexity = "cost(from, to, by_child, child_complexity)"
    )]
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default = false)] by_child: bool,
    ) -> Result<Statistics> {
        let state = state(ctx)?;
        let unit = unit_or_own(ctx, org_unit).await?;
        let stats = statistics::compute(state, actor(ctx)?, unit, from, to, by_child).await?;
        Ok(Statistics {
            stats,
            threshold: threshold(ctx)?,
        })
    }

    /// One figure of `orgUnit` (your own unit when omitted) day by day, ready to plot:
    /// `dates` and, per unit (the unit, then with `byChild` each unit below it), `values` in
    /// the same order; a value an analyst may not see (below the small-count threshold) is
    /// null.
    #[graphql(
        visible = "super::visibility::query_daily_series",
        complexity = "cost(from, to, by_child, child_complexity)"
    )]
    async fn daily_series(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
        from: NaiveDate,
        to: NaiveDate,
        metric: StatisticsMetric,
        #[graphql(default = false)] by_child: bool,
    ) -> Result<DailySeries> {
        let state = state(ctx)?;
        let unit = unit_or_own(ctx, org_unit).await?;
        let stats = statistics::compute(state, actor(ctx)?, unit, from, to, by_child).await?;
        let threshold = threshold(ctx)?;
        let dates = stats.whole.days.iter().map(|d| d.date).collect();
        let series = std::iter::once(&stats.whole)
            .chain(stats.children.iter())
            .map(|s| UnitSeries {
                org_unit: OrgUnit(s.unit.clone()),
                values: s
                    .days
                    .iter()
                    .map(|d| {
                        let n = metric.of(d);
                        (!hidden(n, threshold)).then_some(n)
                    })
                    .collect(),
            })
            .collect();
        Ok(DailySeries {
            metric,
            dates,
            series,
        })
    }
}

/// A figure of the statistics.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum StatisticsMetric {
    NewSuspected,
    NewConfirmed,
    NewAsymptomatic,
    CumulativeConfirmed,
    ActiveQuarantines,
    ContactsTraced,
    ChecksDue,
    ChecksMissed,
    Fevers,
    TasksOpened,
    TasksClosed,
}

impl StatisticsMetric {
    fn of(self, d: &DayFigures) -> i64 {
        match self {
            Self::NewSuspected => d.new_suspected,
            Self::NewConfirmed => d.new_confirmed,
            Self::NewAsymptomatic => d.new_asymptomatic,
            Self::CumulativeConfirmed => d.cumulative_confirmed,
            Self::ActiveQuarantines => d.active_quarantines,
            Self::ContactsTraced => d.contacts_traced,
            Self::ChecksDue => d.checks_due,
            Self::ChecksMissed => d.checks_missed,
            Self::Fevers => d.fevers,
            Self::TasksOpened => d.tasks_opened,
            Self::TasksClosed => d.tasks_closed,
        }
    }
}

/// A unit's figures over a period.
pub struct Statistics {
    stats: statistics::Statistics,
    threshold: Option<i64>,
}

#[Object]
impl Statistics {
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.stats.whole.unit.clone())
    }

    async fn from(&self) -> NaiveDate {
        self.stats.from
    }

    async fn to(&self) -> NaiveDate {
        self.stats.to
    }

    /// Flows summed over the period; cumulative confirmed and active observations as at its
    /// last day.
    async fn totals(&self) -> StatisticsFigures {
        StatisticsFigures::totals(&self.stats.whole.totals, self.threshold)
    }

    /// One entry per local day, oldest first.
    async fn days(&self) -> Vec<StatisticsFigures> {
        StatisticsFigures::days(&self.stats.whole, self.threshold)
    }

    /// With `byChild`: each unit directly below, with its own totals and days.
    async fn children(&self) -> Vec<UnitStatistics> {
        self.stats
            .children
            .iter()
            .map(|series| UnitStatistics {
                series: series.clone(),
                threshold: self.threshold,
            })
            .collect()
    }
}

/// A child unit's figures over the period.
pub struct UnitStatistics {
    series: Series,
    threshold: Option<i64>,
}

#[Object]
impl UnitStatistics {
    async fn org_unit(&self) -> OrgUnit {
        OrgUnit(self.series.unit.clone())
    }

    async fn totals(&self) -> StatisticsFigures {
        StatisticsFigures::totals(&self.series.totals, self.threshold)
    }

    async fn days(&self) -> Vec<StatisticsFigures> {
        StatisticsFigures::days(&self.series, self.threshold)
    }
}

/// Counts for a day, or for the whole period (`date` null). About the unit's residents.
pub struct StatisticsFigures {
    date: Option<NaiveDate>,
    figures: DayFigures,
    threshold: Option<i64>,
}

impl StatisticsFigures {
    fn totals(t: &DayFigures, threshold: Option<i64>) -> Self {
        Self {
            date: None,
            figures: *t,
            threshold,
        }
    }

    fn days(series: &Series, threshold: Option<i64>) -> Vec<Self> {
        series
            .days
            .iter()
            .map(|d| Self {
                date: Some(d.date),
                figures: *d,
                threshold,
            })
            .collect()
    }

    fn count(&self, metric: StatisticsMetric) -> Count {
        Count::new(metric.of(&self.figures), self.threshold)
    }
}

#[Object]
impl StatisticsFigures {
    /// The local day; null for the period's totals.
    async fn date(&self) -> Option<NaiveDate> {
        self.date
    }

    /// Cases reported, suspected (by their classification now).
    async fn new_suspected(&self) -> Count {
        self.count(StatisticsMetric::NewSuspected)
    }

    async fn new_confirmed(&self) -> Count {
        self.count(StatisticsMetric::NewConfirmed)
    }

    async fn new_asymptomatic(&self) -> Count {
        self.count(StatisticsMetric::NewAsymptomatic)
    }

    /// Confirmed cases reported up to the end of the day, since records began.
    async fn cumulative_confirmed(&self) -> Count {
        self.count(StatisticsMetric::CumulativeConfirmed)
    }

    /// Persons under medical observation at the end of the day.
    async fn active_quarantines(&self) -> Count {
        self.count(StatisticsMetric::ActiveQuarantines)
    }

    /// Close contacts traced.
    async fn contacts_traced(&self) -> Count {
        self.count(StatisticsMetric::ContactsTraced)
    }

    /// Temperature checks due: two per person under observation.
    async fn checks_due(&self) -> Count {
        self.count(StatisticsMetric::ChecksDue)
    }

    /// Checks due but not recorded.
    async fn checks_missed(&self) -> Count {
        self.count(StatisticsMetric::ChecksMissed)
    }

    /// Checks with a fever or a listed symptom.
    async fn fevers(&self) -> Count {
        self.count(StatisticsMetric::Fevers)
    }

    /// Tasks between agencies about residents, opened.
    async fn tasks_opened(&self) -> Count {
        self.count(StatisticsMetric::TasksOpened)
    }

    /// Tasks about residents closed (done, rejected or cancelled).
    async fn tasks_closed(&self) -> Count {
        self.count(StatisticsMetric::TasksClosed)
    }
}

/// One figure day by day, ready to plot.
#[derive(async_graphql::SimpleObject)]
pub struct DailySeries {
    metric: StatisticsMetric,
    /// The local days, oldest first.
    dates: Vec<NaiveDate>,
    /// The unit first, then (with `byChild`) each unit below it.
    series: Vec<UnitSeries>,
}

/// One unit's values, in the order of `dates`; null where an analyst may not see a small
/// count.
#[derive(async_graphql::SimpleObject)]
pub struct UnitSeries {
    org_unit: OrgUnit,
    values: Vec<Option<i64>>,
}
