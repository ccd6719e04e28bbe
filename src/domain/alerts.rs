//! Alerts (预警): a fever, a new case, a contact traced into a jurisdiction. Raised in the
//! transaction of the write that causes them; listed per the kinds one's agency may see.

use chrono::{DateTime, Utc};
use entity::{alert, AlertKind};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{
    org_units::OrgUnit,
    pagination::{Page, PageRequest},
};
use crate::{
    access::{access, policy::alert_data, scope, Access},
    audit::Actor,
    error::AppResult,
    state::AppState,
};

pub const LIST: &str = "alerts";

/// An alert to raise, about a record and (usually) a person.
pub struct NewAlert<'a> {
    pub kind: AlertKind,
    pub person_id: Option<i64>,
    /// Whose alert it is: the person's residence, or the checkpoint's unit.
    pub org_path: &'a str,
    pub entity_type: &'static str,
    pub entity_id: i64,
    /// What happened, without personal data (the person is linked, and masked per viewer).
    /// Stored as the message's key and arguments, so each reader reads it in their language.
    pub message: crate::i18n::Msg,
}

/// Raises alerts in one statement, on the caller's transaction.
pub async fn raise(txn: &impl ConnectionTrait, alerts: Vec<NewAlert<'_>>) -> AppResult<()> {
    if alerts.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = alerts.into_iter().map(|a| alert::ActiveModel {
        kind: Set(a.kind),
        person_id: Set(a.person_id),
        org_path: Set(a.org_path.to_owned()),
        entity_type: Set(a.entity_type.to_owned()),
        entity_id: Set(a.entity_id),
        message: Set(a.message.to_stored()),
        created_at: Set(now),
        ..Default::default()
    });
    let ids = alert::Entity::insert_many(rows)
        .exec_with_returning_keys(txn)
        .await?;
    crate::events::change_log::append(txn, "Alert", &ids, "alert").await
}

#[derive(Debug, Default, Clone)]
pub struct AlertFilter {
    pub kinds: Option<Vec<AlertKind>>,
    pub org_unit: Option<std::sync::Arc<OrgUnit>>,
    /// Only alerts raised at or after this instant (catching up after a reconnect).
    pub since: Option<DateTime<Utc>>,
}

/// Kinds the principal's agency and role may see.
pub fn visible_kinds(actor: &Actor) -> Vec<AlertKind> {
    use sea_orm::Iterable;
    AlertKind::iter()
        .filter(|kind| {
            access(
                actor.principal.agency,
                actor.principal.role,
                alert_data(*kind),
            ) >= Access::Pseudonymized
        })
        .collect()
}

/// Whether a live alert goes to a subscriber: of a kind it may see (and asked for), in its
/// jurisdiction; the same rule as [`list`], for one alert in memory. A shown alert is a
/// read on the audit trail.
pub fn shows(actor: &Actor, alert: &alert::Model, wanted: Option<&[AlertKind]>) -> AppResult<bool> {
    let shown = visible_kinds(actor).contains(&alert.kind)
        && wanted.is_none_or(|kinds| kinds.contains(&alert.kind))
        && actor.principal.jurisdiction().contains_str(&alert.org_path);
    if shown {
        actor.record_reads("Alert", [alert.id])?;
    }
    Ok(shown)
}

/// Alerts of the principal's jurisdiction, newest first, of the kinds it may see.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &AlertFilter,
    page: &PageRequest,
) -> AppResult<Page<alert::Model>> {
    let mut kinds = visible_kinds(actor);
    if let Some(wanted) = &filter.kinds {
        kinds.retain(|kind| wanted.contains(kind));
    }
    if kinds.is_empty() {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
        });
    }
    let mut condition = Condition::all()
        .add(scope::within(
            alert::Column::OrgPath,
            actor.principal.jurisdiction(),
        ))
        .add(alert::Column::Kind.is_in(kinds));
    if let Some(unit) = &filter.org_unit {
        condition = condition.add(scope::within(alert::Column::OrgPath, &unit.path));
    }
    if let Some(since) = filter.since {
        condition = condition.add(alert::Column::CreatedAt.gte(since));
    }
    condition = condition.add(page.before_id(alert::Column::Id)?);
    let rows = alert::Entity::find()
        .filter(condition)
        .order_by_desc(alert::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    let page = Page::from_overfetch(rows, page.first);
    actor.record_reads("Alert", page.items.iter().map(|a| a.id))?;
    Ok(page)
}
