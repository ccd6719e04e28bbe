//! Nested lists without N+1: the first N rows of each of many parents in one statement
//! (`ROW_NUMBER() OVER (PARTITION BY parent ...)`, on SQLite and PostgreSQL alike).

use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    Order, StatementBuilder,
};

/// The first `per_parent` rows of each parent id, ordered by `order` within a parent.
pub async fn first_per_parent<E>(
    db: &impl ConnectionTrait,
    parent: E::Column,
    parent_ids: &[i64],
    order: &[(E::Column, Order)],
    per_parent: u64,
    filter: Condition,
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    let order_sql: Vec<String> = order
        .iter()
        .map(|(column, direction)| {
            let direction = match direction {
                Order::Desc => "DESC",
                _ => "ASC",
            };
            format!("\"{}\" {direction}", column.as_str())
        })
        .collect();
    let window = format!(
        "ROW_NUMBER() OVER (PARTITION BY \"{}\" ORDER BY {})",
        parent.as_str(),
        order_sql.join(", ")
    );
    let inner = Query::select()
        .column(Asterisk)
        .expr_as(Expr::cust(window), Alias::new("row_in_parent"))
        .from(E::default())
        .cond_where(
            Condition::all()
                .add(parent.is_in(parent_ids.iter().copied()))
                .add(filter),
        )
        .to_owned();
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("row_in_parent")).lte(per_parent))
        .to_owned();
    let statement = StatementBuilder::build(&outer, &db.get_database_backend());
    E::Model::find_by_statement(statement).all(db).await
}
