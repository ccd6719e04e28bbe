//! Checking a request with every extension, executing it without them.
//!
//! async-graphql routes every field of an execution through the schema's extensions when it
//! has any: a look-up in the registry and one boxed future per extension, per field. Ours
//! (persisted queries, the parse cache, the shape limits, the visibility walk, error codes)
//! all act before execution, yet on a page of 50 cases with their contacts (some 7,000
//! fields) that per-field toll was a large part of the server's time. So an HTTP request
//! runs twice through async-graphql: the full schema checks it, every extension included,
//! and stops where execution would begin ([`Checked`] in its data asks for that and
//! receives the checked document); then a schema without extensions executes that document.
//! Both schemas are built from the same types, the policy's `visible` functions included,
//! so the second validates the same document the same way.

use std::sync::{Arc, Mutex};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery},
    parser::types::ExecutableDocument,
    IntrospectionMode, Request, Response, ServerResult, Variables,
};

/// Request data of the checking pass: stop before execution, and leave the document here.
#[derive(Default)]
pub struct Checked(Mutex<Option<ExecutableDocument>>);

impl Checked {
    /// The document the full schema checked, once it answered without errors.
    pub fn take(&self) -> Option<ExecutableDocument> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Registered just outside the parse cache, so it sees the document every check sees.
pub struct StopBeforeExecution;

impl ExtensionFactory for StopBeforeExecution {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StopBeforeExecution)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for StopBeforeExecution {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Some(checked) = ctx.data_opt::<Arc<Checked>>() {
            if let Ok(mut slot) = checked.0.lock() {
                *slot = Some(document.clone());
            }
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if ctx.data_opt::<Arc<Checked>>().is_some() {
            return Response::default();
        }
        next.run(ctx, operation_name).await
    }
}

/// What the lean schema's request keeps of the client's: variables, operation name and
/// introspection mode; the document is the checked one, and the caller adds the data.
pub struct Lean {
    variables: Variables,
    operation_name: Option<String>,
    introspection_mode: IntrospectionMode,
}

impl Lean {
    pub fn of(original: &Request) -> Self {
        Self {
            variables: original.variables.clone(),
            operation_name: original.operation_name.clone(),
            introspection_mode: original.introspection_mode,
        }
    }

    pub fn with(self, checked: ExecutableDocument) -> Request {
        let mut request = Request::new("").variables(self.variables);
        request.operation_name = self.operation_name;
        request.introspection_mode = self.introspection_mode;
        request.set_parsed_query(checked);
        request
    }
}
