//! Dates and instants in the form they must take, refused with the field that holds them.
//!
//! async-graphql parses a `NaiveDate` or `DateTime` only when the resolver reads its
//! argument, and then says `Failed to parse "NaiveDate": input contains invalid
//! characters (occurred while parsing "PersonInput")`: neither the field nor the form
//! expected. This walk runs before execution, over every argument (variables followed),
//! and refuses the first such value that would not parse, as BAD_USER_INPUT naming its
//! path, the expected form and what was sent (`input.birthDate: expected YYYY-MM-DD, got
//! "2026/12/03"`). It runs after the visibility walk, so a hidden field is still refused
//! as unknown, whatever its value.

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
    registry::{MetaType, MetaTypeName, Registry},
    ServerError, ServerResult, Variables,
};
use async_graphql_value::{ConstValue, Value};

use crate::error::AppError;

use super::error_codes::expected_form;

pub struct InputForms;

impl ExtensionFactory for InputForms {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(InputForms)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for InputForms {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let walk = Walk {
            registry: &ctx.schema_env.registry,
            variables,
        };
        walk.document(&document)?;
        Ok(document)
    }
}

struct Walk<'a> {
    registry: &'a Registry,
    variables: &'a Variables,
}

impl Walk<'_> {
    fn document(&self, document: &ExecutableDocument) -> ServerResult<()> {
        for (_, operation) in document.operations.iter() {
            let root = match operation.node.ty {
                OperationType::Query => Some(self.registry.query_type.as_str()),
                OperationType::Mutation => self.registry.mutation_type.as_deref(),
                OperationType::Subscription => self.registry.subscription_type.as_deref(),
            };
            if let Some(root) = root {
                self.selection_set(root, &operation.node.selection_set.node)?;
            }
        }
        for fragment in document.fragments.values() {
            let on = fragment.node.type_condition.node.on.node.as_str();
            self.selection_set(on, &fragment.node.selection_set.node)?;
        }
        Ok(())
    }

    fn selection_set(&self, parent: &str, set: &SelectionSet) -> ServerResult<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let Some(meta) = self
                        .registry
                        .types
                        .get(parent)
                        .and_then(MetaType::fields)
                        .and_then(|f| f.get(field.node.name.node.as_str()))
                    else {
                        continue; // unknown fields are validation's to report
                    };
                    for (name, value) in &field.node.arguments {
                        if let Some(arg) = meta.args.get(name.node.as_str()) {
                            let at =
                                |value: &ConstValue, path: &str| self.value(&arg.ty, value, path);
                            match &value.node {
                                Value::Variable(variable) => {
                                    if let Some(value) = self.variables.get(variable) {
                                        at(value, name.node.as_str())
                                    } else {
                                        Ok(())
                                    }
                                }
                                // Variables inside a literal: resolved where they are used.
                                literal => match literal.clone().into_const_with(|variable| {
                                    self.variables.get(&variable).cloned().ok_or(())
                                }) {
                                    Ok(value) => at(&value, name.node.as_str()),
                                    Err(()) => Ok(()),
                                },
                            }
                            .map_err(|err| {
                                let mut error = ServerError::new(err.to_string(), Some(value.pos));
                                error.source = Some(Arc::new(err));
                                error
                            })?;
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
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    /// `value`, given for a `ty` at `path`, in the form the type parses.
    fn value(&self, ty: &str, value: &ConstValue, path: &str) -> Result<(), AppError> {
        let type_name = MetaTypeName::concrete_typename(ty);
        match value {
            ConstValue::List(items) => items.iter().enumerate().try_for_each(|(i, item)| {
                self.value(
                    MetaTypeName::concrete_typename(ty),
                    item,
                    &format!("{path}[{i}]"),
                )
            }),
            ConstValue::Object(fields) => {
                let Some(MetaType::InputObject { input_fields, .. }) =
                    self.registry.types.get(type_name)
                else {
                    return Ok(());
                };
                for (field, value) in fields {
                    if let Some(meta) = input_fields.get(field.as_str()) {
                        self.value(&meta.ty, value, &format!("{path}.{field}"))?;
                    }
                }
                Ok(())
            }
            ConstValue::String(text) if !parses(type_name, text) => Err(AppError::bad_input(
                path,
                expected_form(type_name, Some(&format!("{text:?}"))),
            )),
            _ => Ok(()),
        }
    }
}

/// Whether async-graphql will parse `text` as a value of the scalar `type_name` (the same
/// parse it runs); other types are not judged here.
fn parses(type_name: &str, text: &str) -> bool {
    match type_name {
        "NaiveDate" => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        "DateTime" => text.parse::<chrono::DateTime<chrono::Utc>>().is_ok(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::parses;

    #[test]
    fn dates_and_instants_parse_as_async_graphql_parses_them() {
        assert!(parses("NaiveDate", "2026-12-03"));
        assert!(!parses("NaiveDate", "2026/12/03"));
        assert!(!parses("NaiveDate", "03.12.2026"));
        assert!(parses("DateTime", "2026-12-03T08:30:00+08:00"));
        assert!(parses("DateTime", "2026-12-03T00:30:00Z"));
        assert!(!parses("DateTime", "2026-12-03"));
        assert!(parses("String", "anything"));
    }
}
