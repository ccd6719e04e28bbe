//! Confirmed daily reports: nearly every community confirmed each of the past two weeks
//! (a day missed here and there), and, from the evening on, two in three have confirmed
//! today. A confirmation stores the figures as they stood (`daily_reports::figures`);
//! here they are counted in memory from the generated records, by the same definitions,
//! since ten thousand runs of the figures query would take longer than the whole city.
//! The test over the generated city checks that the server sees no change since any
//! confirmation.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{checkpoint_entry, daily_report, task, Agency, CaseClassification, Direction};
use rand::{rngs::StdRng, Rng};

use super::{outbreak::Outbreak, scale::WINDOW_DAYS, subject, GenerateError, World};
use crate::domain::{daily_reports::DailyFigures, health_checks::CHECKS_PER_DAY};

/// Today's reports are confirmed from this local hour on.
const EVENING: i64 = 18;

/// The days reported on, oldest first: the window before today, and today.
struct Days {
    dates: Vec<NaiveDate>,
    ends: Vec<DateTime<Utc>>,
}

impl Days {
    fn slot(&self, date: NaiveDate) -> Option<usize> {
        self.dates.binary_search(&date).ok()
    }
}

pub fn confirmed(
    world: &World<'_>,
    outbreak: &Outbreak,
    entries: &[checkpoint_entry::Model],
    tasks: &[task::Model],
    rng: &mut StdRng,
) -> Result<Vec<daily_report::Model>, GenerateError> {
    let calendar = &world.calendar;
    let tree = world.tree;
    let dates: Vec<NaiveDate> = (0..=WINDOW_DAYS)
        .rev()
        .map(|back| calendar.day(back))
        .collect();
    let days = Days {
        ends: dates
            .iter()
            .map(|d| calendar.clock.day_bounds(*d).1)
            .collect(),
        dates,
    };
    let figures = count(world, outbreak, entries, tasks, &days);

    let mut rows = Vec::new();
    let evening = calendar.at(calendar.today, EVENING, 0);
    for (c, community) in tree.communities.iter().enumerate() {
        for (slot, date) in days.dates.iter().enumerate() {
            let today = *date == calendar.today;
            // Drawn whatever the hour, so the hour changes only today's reports.
            let roll = rng.random_bool(if today { 2.0 / 3.0 } else { 0.95 });
            let late = rng.random_range(0..90);
            let confirmed = roll && (!today || calendar.as_of >= evening);
            if !confirmed {
                continue;
            }
            let confirmed_at = if today {
                let span = (calendar.as_of - evening).num_minutes().max(1);
                evening + Duration::minutes(late % span)
            } else {
                calendar.at(*date, 20, late)
            };
            let day = &figures[c][slot];
            let note = match (day.new_cases(), day.fevers) {
                (0, 0) => "平安无事",
                (0, _) => "发热人员已上报，已复测",
                _ => "新增病例已配合流调",
            };
            rows.push(daily_report::Model {
                id: rows.len() as i64 + 1,
                org_id: community.id,
                org_path: community.path.clone(),
                report_date: *date,
                figures: serde_json::to_value(day)
                    .map_err(|e| GenerateError::Invalid(format!("daily figures: {e}")))?,
                note: Some(note.to_owned()),
                confirmed_at,
                confirmed_by: subject(Agency::Community, &community.code),
                version: 1,
                created_at: confirmed_at,
                updated_at: confirmed_at,
            });
        }
    }
    Ok(rows)
}

/// Each community's figures for each day, by the definitions of `daily_reports::figures`:
/// records about the community's residents (arrivals: travellers heading into it), on
/// local days.
fn count(
    world: &World<'_>,
    outbreak: &Outbreak,
    entries: &[checkpoint_entry::Model],
    tasks: &[task::Model],
    days: &Days,
) -> Vec<Vec<DailyFigures>> {
    let calendar = &world.calendar;
    let day_of = |at: DateTime<Utc>| days.slot(calendar.local_date(at));
    let mut figures =
        vec![vec![DailyFigures::default(); days.dates.len()]; world.tree.communities.len()];

    for case in &outbreak.cases {
        if let Some(slot) = day_of(case.reported_at) {
            let day = of(&mut figures, world, case.person_id, slot);
            match case.classification {
                CaseClassification::Suspected => day.new_suspected += 1,
                CaseClassification::Confirmed => day.new_confirmed += 1,
                CaseClassification::Asymptomatic => day.new_asymptomatic += 1,
                CaseClassification::Excluded => day.new_excluded += 1,
            }
        }
    }
    for contact in &outbreak.contacts {
        if let Some(slot) = day_of(contact.created_at) {
            of(&mut figures, world, contact.person_id, slot).new_contacts += 1;
        }
    }

    // Checks per person and day, for the ones missed.
    let mut checks_of: HashMap<(i64, usize), i64> = HashMap::new();
    for check in &outbreak.checks {
        if let Some(slot) = day_of(check.measured_at) {
            *checks_of.entry((check.person_id, slot)).or_default() += 1;
            let day = of(&mut figures, world, check.person_id, slot);
            day.checks_recorded += 1;
            if check.fever {
                day.fevers += 1;
            }
        }
    }
    for q in &outbreak.quarantines {
        if let Some(slot) = days.slot(q.start_date) {
            of(&mut figures, world, q.person_id, slot).quarantines_started += 1;
        }
        if let Some(slot) = q.ended_at.and_then(day_of) {
            of(&mut figures, world, q.person_id, slot).quarantines_ended += 1;
        }
        for (slot, (date, end)) in days.dates.iter().zip(&days.ends).enumerate() {
            // Under observation at the end of the day.
            if q.start_date <= *date && q.ended_at.is_none_or(|e| e >= *end) {
                let recorded = checks_of.get(&(q.person_id, slot)).copied().unwrap_or(0);
                let day = of(&mut figures, world, q.person_id, slot);
                day.active_quarantines += 1;
                day.checks_due += CHECKS_PER_DAY;
                day.checks_missed += (CHECKS_PER_DAY - recorded).max(0);
            }
        }
    }
    for entry in entries {
        if entry.direction != Direction::Inbound {
            continue;
        }
        let community = entry
            .destination_org_id
            .and_then(|id| world.tree.grid_by_id(id))
            .map(|grid| world.tree.community_of_grid(grid));
        if let (Some(community), Some(slot)) = (community, day_of(entry.passed_at)) {
            let day = &mut figures[community][slot];
            day.checkpoint_arrivals += 1;
            if entry.from_risk_area {
                day.risk_area_arrivals += 1;
            }
        }
    }
    for task in tasks {
        if let Some(slot) = day_of(task.created_at) {
            of(&mut figures, world, task.person_id, slot).tasks_opened += 1;
        }
        if let Some(slot) = task.closed_at.and_then(day_of) {
            of(&mut figures, world, task.person_id, slot).tasks_closed += 1;
        }
        for (slot, end) in days.ends.iter().enumerate() {
            if task.created_at < *end && task.closed_at.is_none_or(|c| c >= *end) {
                of(&mut figures, world, task.person_id, slot).open_tasks += 1;
            }
        }
    }
    figures
}

/// The figures of the day `slot` of the community `person_id` lives in.
fn of<'f>(
    figures: &'f mut [Vec<DailyFigures>],
    world: &World<'_>,
    person_id: i64,
    slot: usize,
) -> &'f mut DailyFigures {
    &mut figures[world.community_of(person_id)][slot]
}
