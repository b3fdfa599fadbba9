//! The SQLite and PostgreSQL migrations describe one schema: the same tables with the same
//! columns, and the same indexes (by name, and by table, columns and uniqueness, which also
//! covers unique constraints), whatever each dialect's types and syntax.

use std::collections::BTreeSet;

use omniloyal::server::db::Db;

/// (table, column) pairs and index names, as one database has them.
struct Shape {
    columns: BTreeSet<(String, String)>,
    indexes: BTreeSet<String>,
    /// Every index but primary keys, named or behind a UNIQUE constraint, as
    /// "table (col, col) unique?" (names differ between dialects for constraints).
    keys: BTreeSet<String>,
}

fn key(table: &str, columns: &str, unique: bool) -> String {
    format!("{table} ({columns}){}", if unique { " unique" } else { "" })
}

async fn sqlite_shape(db: &Db) -> Shape {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut columns = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for t in tables {
        let list: Vec<(String, i64, String)> = sqlx::query_as(&format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list('{t}')"
        ))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        for (index, unique, _) in list.into_iter().filter(|(_, _, origin)| origin != "pk") {
            let cols: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT COALESCE(name, '(expression)') FROM pragma_index_info('{index}') ORDER BY seqno"
            ))
            .fetch_all(&db.pool)
            .await
            .unwrap();
            keys.insert(key(&t, &cols.join(", "), unique != 0));
        }
        let names: Vec<String> = sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .fetch_all(&db.pool)
            .await
            .unwrap();
        columns.extend(names.into_iter().map(|c| (t.clone(), c)));
    }
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    Shape {
        columns,
        indexes: indexes.into_iter().collect(),
        keys,
    }
}

async fn postgres_shape(db: &Db) -> Shape {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    // Indexes created as such, not those behind a primary key or unique constraint (SQLite
    // makes "sqlite_autoindex" ones for those).
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
         AND indexname NOT IN (SELECT conname FROM pg_constraint) AND tablename NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let all: Vec<(String, bool, String)> = sqlx::query_as(
        "SELECT t.relname::text, ix.indisunique, \
         (SELECT string_agg(COALESCE(a.attname::text, '(expression)'), ', ' ORDER BY k.ord) \
          FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
          LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT ix.indisprimary AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    Shape {
        columns: rows.into_iter().collect(),
        indexes: indexes.into_iter().collect(),
        keys: all
            .iter()
            .map(|(t, unique, cols)| key(t, cols, *unique))
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_give_the_same_schema() {
    let Some(pg) = crate::support::postgres().await else {
        return;
    };
    let lite = crate::support::sqlite().await;
    let (a, b) = (sqlite_shape(&lite).await, postgres_shape(&pg).await);
    let only = |x: &BTreeSet<(String, String)>, y: &BTreeSet<(String, String)>| -> Vec<String> {
        x.difference(y).map(|(t, c)| format!("{t}.{c}")).collect()
    };
    assert!(
        a.columns.len() > 100,
        "the schema was read: {} columns",
        a.columns.len()
    );
    assert_eq!(
        (only(&a.columns, &b.columns), only(&b.columns, &a.columns)),
        (Vec::new(), Vec::new()),
        "columns only in SQLite, only in PostgreSQL"
    );
    let idx =
        |x: &BTreeSet<String>, y: &BTreeSet<String>| -> Vec<String> { x.difference(y).cloned().collect() };
    assert_eq!(
        (idx(&a.indexes, &b.indexes), idx(&b.indexes, &a.indexes)),
        (Vec::new(), Vec::new()),
        "indexes only in SQLite, only in PostgreSQL"
    );
    assert!(
        a.keys.len() > 20 && a.keys.iter().any(|k| k.ends_with("unique")),
        "unique constraints were read: {:?}",
        a.keys
    );
    assert_eq!(
        (idx(&a.keys, &b.keys), idx(&b.keys, &a.keys)),
        (Vec::new(), Vec::new()),
        "indexes and unique constraints (table, columns, uniqueness) only in SQLite, only in PostgreSQL"
    );
}
