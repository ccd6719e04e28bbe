//! A ledger as the principal's own list query, and its rows as cells.

use std::{collections::HashMap, sync::LazyLock};

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use serde_json::Value;

use super::ledgers::{Column, Ledger, Shape};
use crate::{access::policy, auth::Principal};

/// `Type.field` → the named type of the field, for every object type of the full schema.
static FIELD_TYPES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let mut types = HashMap::new();
    let Ok(document) = async_graphql::parser::parse_schema(crate::graphql::sdl()) else {
        return types;
    };
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        if let TypeKind::Object(object) = &ty.node.kind {
            for field in &object.fields {
                types.insert(
                    format!("{}.{}", ty.node.name.node, field.node.name.node),
                    named(&field.node.ty.node),
                );
            }
        }
    }
    types
});

fn named(ty: &Type) -> String {
    match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => named(inner),
    }
}

pub fn field_types() -> &'static HashMap<String, String> {
    &FIELD_TYPES
}

/// Whether the principal reads this list at all: its query exists in its schema.
pub fn readable(ledger: &Ledger, principal: &Principal) -> bool {
    policy::may_see(
        principal.agency,
        principal.role,
        &format!("Query.{}", ledger.field),
    )
}

/// The columns the principal sees: those whose every field, on the way down, exists in its
/// schema. The rest are not in its sheet, as they are not in its schema.
pub fn visible_columns(ledger: &Ledger, principal: &Principal) -> Vec<&'static Column> {
    let types = field_types();
    ledger
        .columns
        .iter()
        .filter(|column| {
            let mut ty = ledger.node.to_owned();
            for segment in column.path.split('.') {
                let coordinate = format!("{ty}.{segment}");
                if !policy::may_see(principal.agency, principal.role, &coordinate) {
                    return false;
                }
                match types.get(&coordinate) {
                    Some(next) => ty.clone_from(next),
                    None => return false,
                }
            }
            true
        })
        .collect()
}

/// The list query of a ledger, selecting the given columns: what the principal would send
/// itself to read the list in GraphQL.
pub fn document(ledger: &Ledger, columns: &[&Column]) -> String {
    let mut tree = Node::default();
    for column in columns {
        tree.insert(column.path.split('.'));
    }
    let selection = tree.render();
    let args = ledger.args.iter().filter(|arg| !arg.day_range);
    let mut variables: Vec<String> = args
        .clone()
        .map(|arg| format!("${}: {}", arg.name, arg.ty))
        .collect();
    let mut arguments: Vec<String> = args.map(|arg| format!("{0}: ${0}", arg.name)).collect();
    match ledger.shape {
        Shape::Connection => {
            variables.extend(["$first: Int".to_owned(), "$after: String".to_owned()]);
            arguments.extend(["first: $first".to_owned(), "after: $after".to_owned()]);
            format!(
                "query Export({}) {{ {}({}) {{ edges {{ node {selection} }} pageInfo {{ hasNextPage endCursor }} }} }}",
                variables.join(", "),
                ledger.field,
                arguments.join(", "),
            )
        }
        Shape::Days => {
            variables.push("$date: NaiveDate".to_owned());
            arguments.push("date: $date".to_owned());
            format!(
                "query Export({}) {{ {}({}) {selection} }}",
                variables.join(", "),
                ledger.field,
                arguments.join(", "),
            )
        }
        Shape::Single => format!(
            "query Export({}) {{ {}({}) {selection} }}",
            variables.join(", "),
            ledger.field,
            arguments.join(", "),
        ),
    }
}

/// A selection set built from dotted paths, fields in the order first named.
#[derive(Default)]
struct Node {
    children: Vec<(String, Node)>,
}

impl Node {
    fn insert<'a>(&mut self, mut path: impl Iterator<Item = &'a str>) {
        let Some(head) = path.next() else {
            return;
        };
        let index = match self.children.iter().position(|(name, _)| name == head) {
            Some(index) => index,
            None => {
                self.children.push((head.to_owned(), Node::default()));
                self.children.len() - 1
            }
        };
        self.children[index].1.insert(path);
    }

    fn render(&self) -> String {
        let fields: Vec<String> = self
            .children
            .iter()
            .map(|(name, child)| {
                if child.children.is_empty() {
                    name.clone()
                } else {
                    format!("{name} {}", child.render())
                }
            })
            .collect();
        format!("{{ {} }}", fields.join(" "))
    }
}

/// One cell of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(serde_json::Number),
}

/// The cells of one row of the list's answer, column by column: text as the list gives
/// it (masks included), numbers as numbers, true/false as 是/否, a list of values joined
/// with 、, a missing value empty.
pub fn cells(node: &Value, columns: &[&Column]) -> Vec<Cell> {
    columns
        .iter()
        .map(|column| {
            let value = column
                .path
                .split('.')
                .try_fold(node, |value, segment| value.get(segment));
            value.map_or(Cell::Empty, cell)
        })
        .collect()
}

fn cell(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::Empty,
        Value::Bool(true) => Cell::Text("是".to_owned()),
        Value::Bool(false) => Cell::Text("否".to_owned()),
        Value::Number(n) => Cell::Number(n.clone()),
        Value::String(s) => Cell::Text(s.clone()),
        Value::Array(items) => Cell::Text(
            items
                .iter()
                .map(|item| match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("、"),
        ),
        Value::Object(_) => Cell::Text(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::ledgers::find;

    #[test]
    fn a_ledger_is_its_list_query_with_nested_fields_grouped() {
        let Some(ledger) = find("follow-ups") else {
            panic!("no follow-ups ledger");
        };
        let columns: Vec<&Column> = ledger.columns.iter().take(3).collect();
        assert_eq!(
            document(ledger, &columns),
            "query Export($date: NaiveDate, $orgUnit: String, $first: Int, $after: String) { \
             followUpsDue(date: $date, orgUnit: $orgUnit, first: $first, after: $after) { \
             edges { node { person { id name sex } } } pageInfo { hasNextPage endCursor } } }"
        );
    }

    #[test]
    fn cells_follow_the_paths_and_spell_out_booleans_and_lists() {
        let node = serde_json::json!({
            "person": { "name": "张三", "residence": null },
            "active": true,
            "vulnerabilities": ["ELDERLY_ALONE", "DISABLED"],
            "temperature": 37.5
        });
        let columns = [
            Column {
                header: "a",
                path: "person.name",
            },
            Column {
                header: "b",
                path: "person.residence.name",
            },
            Column {
                header: "c",
                path: "active",
            },
            Column {
                header: "d",
                path: "vulnerabilities",
            },
            Column {
                header: "e",
                path: "temperature",
            },
        ];
        let refs: Vec<&Column> = columns.iter().collect();
        let row = cells(&node, &refs);
        assert_eq!(row[0], Cell::Text("张三".into()));
        assert_eq!(row[1], Cell::Empty);
        assert_eq!(row[2], Cell::Text("是".into()));
        assert_eq!(row[3], Cell::Text("ELDERLY_ALONE、DISABLED".into()));
        assert!(matches!(&row[4], Cell::Number(n) if n.to_string() == "37.5"));
    }
}
