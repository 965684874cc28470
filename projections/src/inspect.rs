//! Looking inside any read model's table by column values, as JSON rows: for scenario files and
//! operators who check what a read model holds, without knowing its row type.

use sqlx::PgPool;

/// Whether `name` is a plain SQL identifier (letters, digits, `_`; not starting with a digit).
fn plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The rows of `table` whose columns equal the given values (compared as trimmed text), each as
/// a JSON object of all its columns.
pub async fn rows(
    pool: &PgPool,
    table: &str,
    filter: &[(&str, String)],
) -> Result<Vec<serde_json::Value>, sqlx::Error> {
    if !plain(table) || filter.iter().any(|(c, _)| !plain(c)) {
        return Err(sqlx::Error::Protocol(format!(
            "{table}: table and column names must be plain identifiers"
        )));
    }
    let mut sql = format!("SELECT to_jsonb(t) FROM {table} t");
    for (i, (column, _)) in filter.iter().enumerate() {
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        sql.push_str(&format!("trim(t.{column}::text) = ${}", i + 1));
    }
    let mut query = sqlx::query_scalar::<_, serde_json::Value>(&sql);
    for (_, value) in filter {
        query = query.bind(value.as_str());
    }
    query.fetch_all(pool).await
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn only_plain_identifiers_are_accepted() {
        assert!(plain("booking_view"));
        assert!(!plain("booking_view; drop table events"));
        assert!(!plain("1abc"));
        assert!(!plain(""));
    }
}
