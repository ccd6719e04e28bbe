//! Bounds on the shape of a query, checked right after parsing, before validation and
//! before any database work: aliases, root fields, fragments, string length and the
//! nesting of input values. (Depth, complexity, directives and recursion are bounded by
//! async-graphql itself; body size and batch length by the HTTP endpoint.)

use std::sync::Arc;

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
    ErrorExtensionValues, ServerError, ServerResult, Variables,
};
use async_graphql_value::{ConstValue, Value};

/// Most complexity one field is charged: far above any MAX_QUERY_COMPLEXITY, and small enough
/// that async-graphql's own sum over a query's fields cannot overflow.
const MOST_ONE_FIELD_COSTS: usize = 1 << 32;

/// The complexity of a list field: `first` (20 when omitted) times what each item selects,
/// plus `own` for the field itself; bounded, so that a `first` near `i32::MAX` on nested lists
/// is refused as too complex rather than overflowing the arithmetic.
pub fn list_cost(first: Option<i32>, child_complexity: usize, own: usize) -> usize {
    let items = usize::try_from(first.unwrap_or(20).max(0)).unwrap_or(0);
    items
        .saturating_mul(child_complexity)
        .saturating_add(own)
        .min(MOST_ONE_FIELD_COSTS)
}

/// The configurable bounds.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_fragments: usize,
    pub max_string_chars: usize,
    pub max_input_depth: usize,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Variables are checked before the query is even parsed.
        for (name, value) in variables.iter() {
            self.const_value(value, 1, &format!("${name}"))?;
        }
        let document = next.run(ctx, query, variables).await?;
        self.check(&document)?;
        Ok(document)
    }
}

/// LIMIT_EXCEEDED, set here so that no later step reclassifies it.
fn exceeded(message: crate::i18n::Msg) -> ServerError {
    let mut error = ServerError::new(message.render(crate::i18n::Locale::En), None);
    error.source = Some(std::sync::Arc::new(message));
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "LIMIT_EXCEEDED");
    error.extensions = Some(extensions);
    error
}

impl QueryLimits {
    fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        if document.fragments.len() > self.max_fragments {
            return Err(exceeded(crate::msg!(
                "limit-fragments",
                max = self.max_fragments
            )));
        }
        let mut aliases = 0;
        for (_, operation) in document.operations.iter() {
            let roots = operation.node.selection_set.node.items.len();
            if roots > self.max_root_fields {
                return Err(exceeded(crate::msg!(
                    "limit-root-fields",
                    max = self.max_root_fields
                )));
            }
            self.selection_set(&operation.node.selection_set.node, &mut aliases)?;
        }
        for fragment in document.fragments.values() {
            self.selection_set(&fragment.node.selection_set.node, &mut aliases)?;
        }
        if aliases > self.max_aliases {
            return Err(exceeded(crate::msg!(
                "limit-aliases",
                max = self.max_aliases
            )));
        }
        Ok(())
    }

    fn selection_set(&self, set: &SelectionSet, aliases: &mut usize) -> ServerResult<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    if field.node.alias.is_some() {
                        *aliases += 1;
                    }
                    for (name, value) in &field.node.arguments {
                        self.value(&value.node, 1, name.node.as_str())?;
                    }
                    self.selection_set(&field.node.selection_set.node, aliases)?;
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node, aliases)?;
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn value(&self, value: &Value, depth: usize, at: &str) -> ServerResult<()> {
        self.depth(depth, at)?;
        match value {
            Value::String(s) => self.string(s, at),
            Value::List(items) => items.iter().try_for_each(|v| self.value(v, depth + 1, at)),
            Value::Object(fields) => fields
                .values()
                .try_for_each(|v| self.value(v, depth + 1, at)),
            _ => Ok(()),
        }
    }

    fn const_value(&self, value: &ConstValue, depth: usize, at: &str) -> ServerResult<()> {
        self.depth(depth, at)?;
        match value {
            ConstValue::String(s) => self.string(s, at),
            ConstValue::List(items) => items
                .iter()
                .try_for_each(|v| self.const_value(v, depth + 1, at)),
            ConstValue::Object(fields) => fields
                .values()
                .try_for_each(|v| self.const_value(v, depth + 1, at)),
            _ => Ok(()),
        }
    }

    fn depth(&self, depth: usize, at: &str) -> ServerResult<()> {
        if depth > self.max_input_depth {
            return Err(exceeded(crate::msg!(
                "limit-input-depth",
                at = at,
                max = self.max_input_depth
            )));
        }
        Ok(())
    }

    fn string(&self, s: &str, at: &str) -> ServerResult<()> {
        // Byte length bounds the character count from above, so most strings skip counting.
        if s.len() > self.max_string_chars && s.chars().count() > self.max_string_chars {
            return Err(exceeded(crate::msg!(
                "limit-string",
                at = at,
                max = self.max_string_chars
            )));
        }
        Ok(())
    }
}
