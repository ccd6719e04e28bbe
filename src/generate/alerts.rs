//! The alerts the records would have raised had they been written through the API: a new
//! or reclassified case, a contact traced, an observation ended early, a fever at a
//! check or a checkpoint, an arrival from a risk area. Same kinds, jurisdictions and
//! messages as the domain's, in the order they were raised (alerts are listed newest
//! first by id).

use chrono::{DateTime, Utc};
use entity::{alert, checkpoint_entry, AlertKind, QuarantineEnd};

use super::{outbreak::Outbreak, World};
use crate::domain::{checkpoints::alert_for, health_checks::fever_message};

pub fn raised(
    world: &World<'_>,
    outbreak: &Outbreak,
    entries: &[checkpoint_entry::Model],
) -> Vec<alert::Model> {
    let calendar = &world.calendar;
    let mut alerts = Vec::new();
    let mut raise = |kind: AlertKind,
                     person_id: i64,
                     entity_type: &str,
                     entity_id: i64,
                     message: crate::i18n::Msg,
                     at: DateTime<Utc>| {
        alerts.push(alert::Model {
            id: 0,
            kind,
            person_id: Some(person_id),
            org_path: world.residence(person_id).to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id,
            message: message.to_stored(),
            created_at: at,
        });
    };
    for (case, history) in outbreak.cases.iter().zip(&outbreak.history) {
        raise(
            AlertKind::NewCase,
            case.person_id,
            "Case",
            case.id,
            crate::msg!(
                "alert-new-case",
                classification = history.reported_as.as_str()
            ),
            case.reported_at,
        );
        if let Some(at) = history.reclassified_at {
            raise(
                AlertKind::CaseReclassified,
                case.person_id,
                "Case",
                case.id,
                crate::msg!(
                    "alert-case-reclassified",
                    current = history.reported_as.as_str(),
                    next = case.classification.as_str()
                ),
                at,
            );
        }
    }
    for contact in &outbreak.contacts {
        let source = (contact.source_case_id - 1) as usize;
        let classification =
            outbreak.history[source].classification_at(&outbreak.cases[source], contact.created_at);
        raise(
            AlertKind::ContactTraced,
            contact.person_id,
            "Contact",
            contact.id,
            crate::msg!(
                "alert-contact-traced",
                classification = classification.to_string(),
                relation = contact.relation.to_string(),
                exposure = contact.last_exposure_date,
                until = contact.follow_up_end_date
            ),
            contact.created_at,
        );
    }
    for q in &outbreak.quarantines {
        let (Some(ended), Some(kind)) = (q.ended_at, q.end_kind) else {
            continue;
        };
        if kind == QuarantineEnd::Released && calendar.local_date(ended) >= q.planned_end_date {
            continue;
        }
        raise(
            AlertKind::QuarantineEndedEarly,
            q.person_id,
            "Quarantine",
            q.id,
            crate::msg!(
                "alert-observation-ended-early",
                outcome = kind.to_string(),
                until = q.planned_end_date
            ),
            ended,
        );
    }
    for check in outbreak.checks.iter().filter(|c| c.fever) {
        raise(
            AlertKind::Fever,
            check.person_id,
            "HealthCheck",
            check.id,
            fever_message(check),
            check.created_at,
        );
    }
    for entry in entries {
        if let Some(new) = alert_for(entry) {
            alerts.push(alert::Model {
                id: 0,
                kind: new.kind,
                person_id: new.person_id,
                org_path: new.org_path.to_owned(),
                entity_type: new.entity_type.to_owned(),
                entity_id: new.entity_id,
                message: new.message.to_stored(),
                created_at: entry.created_at,
            });
        }
    }
    alerts.sort_by_key(|a| a.created_at);
    for (i, alert) in alerts.iter_mut().enumerate() {
        alert.id = i as i64 + 1;
    }
    alerts
}
