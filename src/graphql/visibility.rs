//! Layer 1 of the policy in the schema: each principal sees only its own part of it.
//!
//! Two halves, both reading `access::policy`:
//! - the `visible` functions below hide fields from introspection (async-graphql calls
//!   them with the request's context), so each agency's GraphiQL shows its own schema;
//! - [`VisibilityGuard`] rejects any use of a field, argument or input field the principal
//!   may not see, with the same message as a field that does not exist, before validation
//!   and before any resolver runs.

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
    registry::{MetaType, MetaTypeName, Registry},
    Context, Name, Pos, ServerError, ServerResult, Variables,
};
use async_graphql_value::{ConstValue, Value};

use crate::{access::policy, audit::Actor};

/// Whether the principal sees any field of a root type. A root type with none is left out of
/// its schema: GraphiQL (graphql-js) refuses a schema whose `Mutation` has no fields, which
/// is every analyst's, auditor's and admin's, who may change nothing.
fn any_field_of(ctx: &Context<'_>, root: &str) -> bool {
    match ctx.schema_env.registry.types.get(root) {
        Some(MetaType::Object { fields, .. }) => fields
            .values()
            .any(|field| !field.name.starts_with("__") && field.visible.is_none_or(|f| f(ctx))),
        _ => true,
    }
}

/// Whether `Mutation` exists for the principal.
pub fn mutation_root(ctx: &Context<'_>) -> bool {
    any_field_of(ctx, "Mutation")
}

/// Whether `Subscription` exists for the principal.
pub fn subscription_root(ctx: &Context<'_>) -> bool {
    any_field_of(ctx, "Subscription")
}

fn allowed(ctx: &Context<'_>, coordinate: &str) -> bool {
    ctx.data_opt::<Arc<Actor>>().is_some_and(|actor| {
        policy::may_see(actor.principal.agency, actor.principal.role, coordinate)
    })
}

macro_rules! visible_fns {
    ($($name:ident => $coordinate:literal,)*) => {
        $(
            #[doc = concat!("Whether `", $coordinate, "` exists for the principal.")]
            pub fn $name(ctx: &Context<'_>) -> bool {
                allowed(ctx, $coordinate)
            }
        )*

        /// Every coordinate wired to a `visible` function above.
        #[cfg(test)]
        pub const WIRED: &[&str] = &[$($coordinate),*];
    };
}

visible_fns! {
    query_person => "Query.person",
    query_persons => "Query.persons",
    query_person_by_document => "Query.personByDocument",
    query_audit_events => "Query.auditEvents",
    mutation_register_person => "Mutation.registerPerson",
    mutation_update_person => "Mutation.updatePerson",
    mutation_set_vulnerabilities => "Mutation.setVulnerabilities",
    person_birth_date => "Person.birthDate",
    query_held_registrations => "Query.heldRegistrations",
    mutation_resolve_held_registration => "Mutation.resolveHeldRegistration",
    checkpoint_entry_identity_conflict => "CheckpointEntry.identityConflict",
    checkpoint_entry_filter_identity_conflict => "CheckpointEntryFilter.identityConflict",
    person_phone => "Person.phone",
    person_address => "Person.address",
    person_created_by_agency => "Person.createdByAgency",
    person_provenance => "Person.provenance",
    person_document_type => "Person.documentType",
    person_document_number => "Person.documentNumber",
    person_vulnerabilities => "Person.vulnerabilities",
    person_vulnerability_note => "Person.vulnerabilityNote",
    person_filter_name_prefix => "PersonFilter.namePrefix",
    person_filter_phone => "PersonFilter.phone",
    person_filter_vulnerable => "PersonFilter.vulnerable",
    person_filter_vulnerability => "PersonFilter.vulnerability",
    person_input => "PersonInput.name",
    person_cases => "Person.cases",
    person_exposures => "Person.exposures",
    person_quarantines => "Person.quarantines",
    person_health_checks => "Person.healthChecks",
    person_lab_tests => "Person.labTests",
    person_purge_at => "Person.purgeAt",
    query_cases => "Query.cases",
    query_transmission_chain => "Query.transmissionChain",
    mutation_report_case => "Mutation.reportCase",
    case_clinical => "Case.severity",
    case_notes => "Case.notes",
    case_contacts => "Case.contacts",
    case_created_by_agency => "Case.createdByAgency",
    query_contacts => "Query.contacts",
    mutation_record_contact => "Mutation.recordContact",
    contact_notes => "Contact.notes",
    query_quarantines => "Query.quarantines",
    mutation_start_quarantine => "Mutation.startQuarantine",
    mutation_set_quarantine_needs => "Mutation.setQuarantineNeeds",
    quarantine_detail => "Quarantine.reason",
    quarantine_detail_text => "Quarantine.reasonNote",
    quarantine_contact => "Quarantine.contact",
    quarantine_needs => "Quarantine.needs",
    query_follow_ups_due => "Query.followUpsDue",
    mutation_record_health_checks => "Mutation.recordHealthChecks",
    health_check_recorded_by => "HealthCheck.recordedBy",
    query_alerts => "Query.alerts",
    query_possible_duplicates => "Query.possibleDuplicates",
    query_reconciliation => "Query.reconciliation",
    mutation_merge_persons => "Mutation.mergePersons",
    query_vulnerable_persons => "Query.vulnerablePersons",
    query_checkpoint_entries => "Query.checkpointEntries",
    mutation_record_checkpoint_entries => "Mutation.recordCheckpointEntries",
    checkpoint_entry_traveller => "CheckpointEntry.traveller",
    checkpoint_entry_detail => "CheckpointEntry.vehiclePlate",
    traveller_document => "Traveller.documentNumber",
    mutation_record_lab_test => "Mutation.recordLabTest",
    query_tasks => "Query.tasks",
    mutation_create_task => "Mutation.createTask",
    task_notes => "Task.note",
    mutation_request_access => "Mutation.requestAccess",
    query_daily_report => "Query.dailyReport",
    query_daily_report_status => "Query.dailyReportStatus",
    mutation_confirm_daily_report => "Mutation.confirmDailyReport",
    daily_report_confirmation => "DailyReport.confirmation",
    query_statistics => "Query.statistics",
    subscription_alerts => "Subscription.alerts",
    subscription_task_updates => "Subscription.taskUpdates",
    query_daily_series => "Query.dailySeries",
    change_person => "Change.person",
    change_case => "Change.case",
    change_contact => "Change.contact",
    change_quarantine => "Change.quarantine",
    change_health_check => "Change.healthCheck",
    change_lab_test => "Change.labTest",
    change_checkpoint_entry => "Change.checkpointEntry",
    change_task => "Change.task",
    change_alert => "Change.alert",
    query_stand_downs => "Query.standDowns",
    mutation_stand_down => "Mutation.standDown",
}

/// Rejects, before validation, any selection of a coordinate the principal may not see,
/// and any mutation sent with GET; names the operation for the audit trail.
pub struct VisibilityGuard;

/// Marks a request that arrived as HTTP GET: only queries may run.
pub struct ReadOnlyRequest;

impl ExtensionFactory for VisibilityGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(VisibilityGuard)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for VisibilityGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let actor = ctx.data_opt::<Arc<Actor>>().ok_or_else(|| {
            let mut error = ServerError::new("authentication required", None);
            error.source = Some(Arc::new(crate::msg!("authentication-required")));
            error
        })?;
        let walker = Walker {
            registry: &ctx.schema_env.registry,
            document: &document,
            variables,
            may_see: &|coordinate: &str| {
                policy::may_see(actor.principal.agency, actor.principal.role, coordinate)
            },
        };
        walker.check()?;
        let read_only = ctx.data_opt::<ReadOnlyRequest>().is_some();
        let mut operations = Vec::new();
        for (_, operation) in document.operations.iter() {
            let kind = operation.node.ty;
            if read_only && kind != OperationType::Query {
                let mut error = ServerError::new(
                    "only queries may be sent with GET; use POST for mutations",
                    Some(operation.pos),
                );
                error.source = Some(Arc::new(crate::msg!("error-get-is-read-only")));
                return Err(error);
            }
            let roots: Vec<&str> = operation
                .node
                .selection_set
                .node
                .items
                .iter()
                .filter_map(|item| match &item.node {
                    Selection::Field(field) => Some(field.node.name.node.as_str()),
                    _ => None,
                })
                .collect();
            operations.push(format!("{kind} {}", roots.join(",")));
        }
        actor.set_operation(operations.join("; "));
        Ok(document)
    }
}

/// Walks every selection and argument of a document once: operations with their root type,
/// fragment definitions with their type condition (so spreads need not be followed, and
/// nested fragments cost nothing extra).
struct Walker<'a> {
    registry: &'a Registry,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    may_see: &'a dyn Fn(&str) -> bool,
}

impl Walker<'_> {
    fn check(&self) -> ServerResult<()> {
        for (_, operation) in self.document.operations.iter() {
            let root = match operation.node.ty {
                OperationType::Query => Some(self.registry.query_type.as_str()),
                OperationType::Mutation => self.registry.mutation_type.as_deref(),
                OperationType::Subscription => self.registry.subscription_type.as_deref(),
            };
            if let Some(root) = root {
                self.selection_set(root, &operation.node.selection_set.node)?;
            }
        }
        for fragment in self.document.fragments.values() {
            let on = fragment.node.type_condition.node.on.node.as_str();
            self.selection_set(on, &fragment.node.selection_set.node)?;
        }
        Ok(())
    }

    fn selection_set(&self, parent: &str, set: &SelectionSet) -> ServerResult<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    // Introspection hides invisible types and fields on its own.
                    if name.starts_with("__") {
                        continue;
                    }
                    let coordinate = format!("{parent}.{name}");
                    if !(self.may_see)(&coordinate) {
                        return Err(ServerError::new(
                            format!(r#"Unknown field "{name}" on type "{parent}"."#),
                            Some(field.pos),
                        ));
                    }
                    let Some(meta) = self
                        .registry
                        .types
                        .get(parent)
                        .and_then(MetaType::fields)
                        .and_then(|f| f.get(name))
                    else {
                        continue; // unknown fields are validation's to report
                    };
                    for (argument, value) in &field.node.arguments {
                        let arg_name = argument.node.as_str();
                        if !(self.may_see)(&format!("{coordinate}({arg_name})")) {
                            return Err(ServerError::new(
                                format!(
                                    r#"Unknown argument "{arg_name}" on field "{parent}.{name}"."#
                                ),
                                Some(argument.pos),
                            ));
                        }
                        if let Some(arg) = meta.args.get(arg_name) {
                            self.input_value(&arg.ty, &value.node, value.pos)?;
                        }
                    }
                    let child = MetaTypeName::concrete_typename(&meta.ty);
                    self.selection_set(child, &field.node.selection_set.node)?;
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |condition| condition.node.on.node.as_str());
                    self.selection_set(on, &fragment.node.selection_set.node)?;
                }
                // Checked once, as a fragment definition.
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    /// Checks the input fields used inside an argument value, following variables.
    fn input_value(&self, ty: &str, value: &Value, pos: Pos) -> ServerResult<()> {
        let type_name = MetaTypeName::concrete_typename(ty);
        match value {
            Value::Variable(name) => match self.variables.get(name) {
                Some(value) => self.const_value(type_name, value, pos),
                None => Ok(()),
            },
            Value::List(items) => items
                .iter()
                .try_for_each(|item| self.input_value(type_name, item, pos)),
            Value::Object(fields) => {
                let Some(MetaType::InputObject { input_fields, .. }) =
                    self.registry.types.get(type_name)
                else {
                    return Ok(());
                };
                for (field, value) in fields {
                    self.input_field(type_name, field, pos)?;
                    if let Some(meta) = input_fields.get(field.as_str()) {
                        self.input_value(&meta.ty, value, pos)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn const_value(&self, type_name: &str, value: &ConstValue, pos: Pos) -> ServerResult<()> {
        match value {
            ConstValue::List(items) => items
                .iter()
                .try_for_each(|item| self.const_value(type_name, item, pos)),
            ConstValue::Object(fields) => {
                let Some(MetaType::InputObject { input_fields, .. }) =
                    self.registry.types.get(type_name)
                else {
                    return Ok(());
                };
                for (field, value) in fields {
                    self.input_field(type_name, field, pos)?;
                    if let Some(meta) = input_fields.get(field.as_str()) {
                        self.const_value(MetaTypeName::concrete_typename(&meta.ty), value, pos)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn input_field(&self, type_name: &str, field: &Name, pos: Pos) -> ServerResult<()> {
        if (self.may_see)(&format!("{type_name}.{field}")) {
            Ok(())
        } else {
            Err(ServerError::new(
                format!(r#"Unknown field "{field}" on input type "{type_name}"."#),
                Some(pos),
            ))
        }
    }
}
