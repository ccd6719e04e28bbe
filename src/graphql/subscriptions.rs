//! Subscriptions (graphql-transport-ws at `/graphql`): live alerts and task updates, each
//! event filtered by the subscriber's policy exactly as the `alerts` and `tasks` queries
//! filter rows, then resolved (and masked) like any query result.

use std::sync::Arc;

use async_graphql::{Context, Result, Subscription as SubscriptionObject};
use entity::person;
use futures_util::{stream, Stream, StreamExt};
use sea_orm::EntityTrait;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use super::{
    alerts::Alert,
    context::{actor, state},
    enums::AlertKind,
    tasks::Task,
};
use crate::{
    access::{self, Access, Data},
    domain::{alerts, tasks},
    events::LiveEvent,
};

#[derive(Default)]
pub struct Subscription;

/// The events of the hub as they come; a subscriber that fell behind skips what it lost
/// (it catches up with the `alerts` query's `since`).
fn events(receiver: Receiver<Arc<LiveEvent>>) -> impl Stream<Item = Arc<LiveEvent>> {
    stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((event, receiver)),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind and skipped events");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

#[SubscriptionObject(visible = "super::visibility::subscription_root")]
impl Subscription {
    /// Alerts in your jurisdiction as they are raised (of `kinds`, or every kind you may
    /// see): fevers, new cases, reclassifications, contacts traced into your jurisdiction,
    /// arrivals from risk areas, observations ended early. After a reconnect, catch up
    /// with the `alerts` query's `since`.
    #[graphql(visible = "super::visibility::subscription_alerts")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<AlertKind>>,
    ) -> Result<impl Stream<Item = Alert>> {
        let actor = Arc::clone(actor(ctx)?);
        access::require(&actor.principal, Data::CaseStatus, Access::Read)?;
        let hub = state(ctx)?.events.hub().await?;
        let wanted: Option<Vec<entity::AlertKind>> =
            kinds.map(|k| k.into_iter().map(Into::into).collect());
        Ok(events(hub.subscribe()).filter_map(move |event| {
            let actor = Arc::clone(&actor);
            let wanted = wanted.clone();
            async move {
                let LiveEvent::Alert(alert) = event.as_ref() else {
                    return None;
                };
                match alerts::shows(&actor, alert, wanted.as_deref()) {
                    Ok(true) => Some(Alert::from(alert.clone())),
                    _ => None,
                }
            }
        }))
    }

    /// Tasks sent to or from your agency in your jurisdiction (for the command: every task
    /// touching it), each time one is created, accepted, completed, rejected or cancelled.
    #[graphql(visible = "super::visibility::subscription_task_updates")]
    async fn task_updates(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Task>> {
        let actor = Arc::clone(actor(ctx)?);
        access::require(&actor.principal, Data::Tasks, Access::Pseudonymized)?;
        let state = Arc::clone(state(ctx)?);
        let hub = state.events.hub().await?;
        Ok(events(hub.subscribe()).filter_map(move |event| {
            let (actor, state) = (Arc::clone(&actor), Arc::clone(&state));
            async move {
                let LiveEvent::Task(task, _) = event.as_ref() else {
                    return None;
                };
                if !tasks::in_reach(&actor.principal, task) {
                    return None;
                }
                let person = match person::Entity::find_by_id(task.person_id).one(&state.db).await {
                    Ok(person) => person?,
                    Err(err) => {
                        // The subscriber misses this update; it catches up with `tasks`.
                        tracing::warn!(task = task.id, error = %crate::error::loggable(&err), "could not load a task's person for a live update");
                        return None;
                    }
                };
                actor.record_reads("Task", [task.id]).ok()?;
                Some(Task::live(tasks::TaskRow {
                    task: task.clone(),
                    person,
                }))
            }
        }))
    }
}

/// Files each pushed event's reads on the audit trail before the event leaves the server,
/// as the endpoint does for a query's response; an event whose reads cannot be filed is
/// replaced by an error.
pub struct SubscriptionAudit;

impl async_graphql::extensions::ExtensionFactory for SubscriptionAudit {
    fn create(&self) -> Arc<dyn async_graphql::extensions::Extension> {
        Arc::new(SubscriptionAudit)
    }
}

impl async_graphql::extensions::Extension for SubscriptionAudit {
    fn subscribe<'s>(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        stream: futures_util::stream::BoxStream<'s, async_graphql::Response>,
        next: async_graphql::extensions::NextSubscribe<'_>,
    ) -> futures_util::stream::BoxStream<'s, async_graphql::Response> {
        let actor = ctx.data_opt::<Arc<crate::audit::Actor>>().cloned();
        let state = ctx.data_opt::<Arc<crate::state::AppState>>().cloned();
        let stream = next.run(ctx, stream);
        let (Some(actor), Some(state)) = (actor, state) else {
            return stream;
        };
        stream
            .then(move |response| {
                let (actor, state) = (Arc::clone(&actor), Arc::clone(&state));
                async move {
                    match actor.flush_reads(&state.audit).await {
                        Ok(_) => response,
                        Err(err) => {
                            tracing::error!(error = %crate::error::loggable(&err), "could not file a pushed event's reads");
                            let mut error = async_graphql::ServerError::new("the audit trail is unavailable", None);
                            error.source = Some(Arc::new(crate::msg!("error-audit-unavailable")));
                            async_graphql::Response::from_errors(vec![error])
                        }
                    }
                }
            })
            .boxed()
    }
}
