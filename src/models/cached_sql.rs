//! Hand-written SQL that the connection keeps prepared, like Diesel's own queries.
//!
//! Diesel never caches a statement that contains `diesel::dsl::sql` or comes from
//! `diesel::sql_query`, because their text could be built at run time: Postgres then
//! parses and plans it on every request, which for the joins of the layout query and
//! the Members page cost more than running them (about 0.2 ms to parse and 0.4 ms to
//! plan the layout query, against 0.1 ms to execute it). The text here is `'static`,
//! so one prepared statement per text is enough: the statement cache keys it by its
//! text (with the bind types), and Postgres switches it to a generic plan after a few
//! executions when that plan is no worse.

use std::marker::PhantomData;

use diesel::RunQueryDsl;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
    is_aggregate,
};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};

/// A SQL expression of type `ST` for Diesel queries, like `diesel::dsl::sql`, that
/// leaves the query cacheable.
#[derive(Debug, Clone, Copy)]
pub struct Literal<ST> {
    sql: &'static str,
    _type: PhantomData<ST>,
}

pub fn literal<ST: TypedExpressionType>(sql: &'static str) -> Literal<ST> {
    Literal {
        sql,
        _type: PhantomData,
    }
}

impl<ST: TypedExpressionType> Expression for Literal<ST> {
    type SqlType = ST;
}

impl<ST> QueryFragment<Pg> for Literal<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.sql);
        Ok(())
    }
}

/// Not a static id: the cache key is then the query's text, which includes this one.
impl<ST> QueryId for Literal<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS, ST: TypedExpressionType> SelectableExpression<QS> for Literal<ST> {}

impl<QS, ST: TypedExpressionType> AppearsOnTable<QS> for Literal<ST> {}

impl<ST, GB> ValidGrouping<GB> for Literal<ST> {
    type IsAggregate = is_aggregate::Never;
}

/// A whole statement, like `diesel::sql_query`, that the connection keeps prepared.
/// Bind its parameters (`$1`, `$2`, ... in the text) in order with [`Statement::bind`]
/// and load `QueryableByName` rows.
#[derive(Debug, Clone, Copy)]
pub struct Statement<B = ()> {
    sql: &'static str,
    binds: B,
}

pub fn query(sql: &'static str) -> Statement {
    Statement { sql, binds: () }
}

/// One bound parameter of SQL type `ST`.
#[derive(Debug, Clone, Copy)]
pub struct Bound<ST, V> {
    value: V,
    _type: PhantomData<ST>,
}

impl<B: Binds> Statement<B> {
    pub fn bind<ST, V>(self, value: V) -> Statement<(B, Bound<ST, V>)> {
        let bound = Bound {
            value,
            _type: PhantomData,
        };
        Statement {
            sql: self.sql,
            binds: (self.binds, bound),
        }
    }
}

/// The parameters bound so far, last one outermost.
pub trait Binds {
    const LEN: usize;
    /// Writes the placeholder of parameter `n` (0-based) and binds its value.
    fn push<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

impl Binds for () {
    const LEN: usize = 0;
    fn push<'b>(&'b self, n: usize, _: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        Err(diesel::result::Error::QueryBuilderError(
            format!("no value bound for parameter ${}", n + 1).into(),
        ))
    }
}

impl<B, ST, V> Binds for (B, Bound<ST, V>)
where
    B: Binds,
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    const LEN: usize = B::LEN + 1;
    fn push<'b>(&'b self, n: usize, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if n == B::LEN {
            out.push_bind_param::<ST, V>(&self.1.value)
        } else {
            self.0.push(n, out)
        }
    }
}

/// The text with each `$n` written as a bind placeholder of its own (a parameter used
/// twice is bound twice), so that Diesel numbers them and sends the values.
impl<B: Binds> QueryFragment<Pg> for Statement<B> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = self.sql;
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            out.push_sql(&rest[..at]);
            match rest[at + 1..at + 1 + digits].parse::<usize>() {
                Ok(n) if n >= 1 => self.binds.push(n - 1, &mut out)?,
                _ => out.push_sql("$"),
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl<B> QueryId for Statement<B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<B> Query for Statement<B> {
    type SqlType = Untyped;
}

impl<B, Conn> RunQueryDsl<Conn> for Statement<B> {}

#[cfg(test)]
mod tests {
    use diesel::sql_types::{BigInt, Text};

    use super::*;

    #[test]
    fn each_parameter_in_the_text_becomes_a_bound_placeholder() {
        let statement = query("SELECT $1 || '$' || $2 WHERE x = $1 LIMIT $2")
            .bind::<Text, _>("a")
            .bind::<BigInt, _>(7_i64);
        let shown = diesel::debug_query::<Pg, _>(&statement).to_string();
        assert_eq!(
            shown,
            "SELECT $1 || '$' || $2 WHERE x = $3 LIMIT $4 -- binds: [\"a\", 7, \"a\", 7]"
        );
    }

    #[test]
    fn a_parameter_without_a_value_is_an_error() {
        let statement = query("SELECT $2").bind::<Text, _>("a");
        let result = diesel::query_builder::QueryFragment::<Pg>::to_sql(
            &statement,
            &mut <Pg as diesel::backend::Backend>::QueryBuilder::default(),
            &Pg,
        );
        assert!(result.is_err());
    }
}
