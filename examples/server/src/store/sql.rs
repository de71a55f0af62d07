//! One query text for both backends. The schemas are the same apart from
//! PostgreSQL's `monitor_id`, and timestamps are ISO-8601 text in both, so a
//! read or a small write is written once: with `?1`, `?2` ... parameters
//! (PostgreSQL gets `$1`, `$2` ...), `CAST(... AS BIGINT)` where PostgreSQL
//! would otherwise answer a `numeric`, and two markers for `monitor_id`:
//!
//! - `{monitor_id}` in a select list: the row's monitor on PostgreSQL,
//!   `NULL` on SQLite (whose rows are all this monitor's);
//! - `{monitor_is}` in a condition: on PostgreSQL, the rows of the monitor
//!   given to [`Query::monitor`] (every monitor's when it is `None`); on
//!   SQLite, every row.
//!
//! Rows come back as owned cells ([`Row`]) that one mapping reads for both.
//! The bulk writers (store's and alerts') keep statements of their own.

use rusqlite::types::ValueRef;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(Some(value.to_owned()))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(Some(value))
    }
}

impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Value {
        Value::Text(value.map(str::to_owned))
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Value {
        Value::Text(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(Some(value))
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::Real(Some(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(Some(value))
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(v) => v.to_sql(),
            Value::Int(v) => v.to_sql(),
            Value::Real(v) => v.to_sql(),
            Value::Bool(v) => v.to_sql(),
        }
    }
}

impl Value {
    fn postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        match self {
            Value::Text(v) => v,
            Value::Int(v) => v,
            Value::Real(v) => v,
            Value::Bool(v) => v,
        }
    }
}

/// A query (or statement) with its parameters, rendered for either backend.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    params: Vec<Value>,
    monitor: Option<String>,
}

impl Query {
    pub fn new(text: impl Into<String>) -> Query {
        Query { text: text.into(), params: Vec::new(), monitor: None }
    }

    /// The next parameter (`?1`, then `?2`, ...).
    pub fn bind(mut self, value: impl Into<Value>) -> Query {
        self.params.push(value.into());
        self
    }

    /// Whose rows `{monitor_is}` selects on PostgreSQL (`None`: every monitor's).
    pub fn monitor(mut self, monitor: Option<&str>) -> Query {
        self.monitor = monitor.map(str::to_owned);
        self
    }

    /// The text and parameters for `dialect`.
    pub fn render(&self, dialect: Dialect) -> (String, Vec<Value>) {
        let mut params = self.params.clone();
        let text = match dialect {
            Dialect::Sqlite => self.text.replace("{monitor_id}", "NULL").replace("{monitor_is}", "TRUE"),
            Dialect::Postgres => {
                let n = params.len() + 1;
                if self.text.contains("{monitor_is}") {
                    params.push(Value::Text(self.monitor.clone()));
                }
                let text = self.text.replace("{monitor_id}", "monitor_id").replace(
                    "{monitor_is}",
                    &format!("(CAST(?{n} AS TEXT) IS NULL OR monitor_id = CAST(?{n} AS TEXT))"),
                );
                dollars(&text)
            }
        };
        (text, params)
    }
}

/// `?N` becomes `$N` (no query here has a `?` in a string literal).
fn dollars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// One value of a row, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// A row, read the same from either backend. Accessors are lenient: a NULL
/// reads as the type's default (or `None`), an integer reads as a real.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> &Cell {
        self.0.get(i).unwrap_or(&Cell::Null)
    }

    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.cell(i) {
            Cell::Text(text) => Some(text.clone()),
            Cell::Int(n) => Some(n.to_string()),
            Cell::Real(x) => Some(x.to_string()),
            Cell::Null => None,
        }
    }

    pub fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }

    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self.cell(i) {
            Cell::Int(n) => Some(*n),
            Cell::Real(x) => Some(*x as i64),
            _ => None,
        }
    }

    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or_default()
    }

    pub fn opt_real(&self, i: usize) -> Option<f64> {
        match self.cell(i) {
            Cell::Int(n) => Some(*n as f64),
            Cell::Real(x) => Some(*x),
            _ => None,
        }
    }

    pub fn real(&self, i: usize) -> f64 {
        self.opt_real(i).unwrap_or_default()
    }

    pub fn flag(&self, i: usize) -> bool {
        self.opt_int(i).is_some_and(|n| n != 0)
    }
}

fn sqlite_row(row: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<Row> {
    let mut cells = Vec::with_capacity(columns);
    for i in 0..columns {
        cells.push(match row.get_ref(i)? {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(n) => Cell::Int(n),
            ValueRef::Real(x) => Cell::Real(x),
            ValueRef::Text(text) | ValueRef::Blob(text) => Cell::Text(String::from_utf8_lossy(text).into_owned()),
        });
    }
    Ok(Row(cells))
}

/// Runs `query` on SQLite: its rows (none for a statement without RETURNING).
pub fn sqlite(conn: &rusqlite::Connection, query: &Query) -> rusqlite::Result<Vec<Row>> {
    let (text, params) = query.render(Dialect::Sqlite);
    let mut statement = conn.prepare_cached(&text)?;
    let columns = statement.column_count();
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(sqlite_row(row, columns)?);
    }
    Ok(out)
}

fn postgres_row(row: &tokio_postgres::Row) -> Result<Row, tokio_postgres::Error> {
    use tokio_postgres::types::Type;
    let mut cells = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let cell = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map_or(Cell::Null, Cell::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?.map_or(Cell::Null, |n| Cell::Int(n.into()))
        } else if *ty == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)?.map_or(Cell::Null, |n| Cell::Int(n.into()))
        } else if *ty == Type::OID {
            row.try_get::<_, Option<u32>>(i)?.map_or(Cell::Null, |n| Cell::Int(n.into()))
        } else if *ty == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(i)?.map_or(Cell::Null, Cell::Real)
        } else if *ty == Type::FLOAT4 {
            row.try_get::<_, Option<f32>>(i)?.map_or(Cell::Null, |x| Cell::Real(x.into()))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?.map_or(Cell::Null, |b| Cell::Int(b.into()))
        } else {
            // Text, or a type a query forgot to cast: then the error names the column.
            row.try_get::<_, Option<String>>(i)?.map_or(Cell::Null, Cell::Text)
        };
        cells.push(cell);
    }
    Ok(Row(cells))
}

/// Runs `query` on PostgreSQL: its rows.
pub async fn postgres(
    client: &impl tokio_postgres::GenericClient,
    query: &Query,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let (text, params) = query.render(Dialect::Postgres);
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params.iter().map(|v| v.postgres()).collect();
    let rows = client.query(&text, &params).await?;
    rows.iter().map(postgres_row).collect()
}

/// `n` comma-separated placeholders from `?first` on, for an IN list or VALUES.
pub fn placeholders(first: usize, n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        if i > 0 {
            text.push_str(", ");
        }
        let _ = write!(text, "?{}", first + i);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_text_renders_for_both_backends() {
        let query = Query::new("SELECT {monitor_id}, id FROM t WHERE id < ?1 AND {monitor_is} AND c = ?2")
            .bind(5)
            .bind("x")
            .monitor(Some("east"));
        let (sqlite, params) = query.render(Dialect::Sqlite);
        assert_eq!(sqlite, "SELECT NULL, id FROM t WHERE id < ?1 AND TRUE AND c = ?2");
        assert_eq!(params.len(), 2);
        let (pg, params) = query.render(Dialect::Postgres);
        assert_eq!(
            pg,
            "SELECT monitor_id, id FROM t WHERE id < $1 AND (CAST($3 AS TEXT) IS NULL OR monitor_id = CAST($3 AS TEXT)) AND c = $2"
        );
        assert_eq!(params[2], Value::from("east"));
        assert_eq!(placeholders(3, 2), "?3, ?4");
    }

    #[test]
    fn sqlite_rows_are_owned_cells() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let rows = sqlite(&conn, &Query::new("SELECT ?1, ?2, NULL, 1.5, {monitor_id}").bind("a").bind(true)).unwrap();
        assert_eq!(rows[0].text(0), "a");
        assert!(rows[0].flag(1));
        assert_eq!(rows[0].opt_text(2), None);
        assert_eq!(rows[0].real(3), 1.5);
        assert_eq!(rows[0].opt_text(4), None);
    }
}
