//! The SQLite and PostgreSQL migrations describe one schema: the same tables with the same
//! columns, and the same indexes, whatever each dialect's types and syntax.

use std::collections::BTreeSet;

use omniloyal::server::db::Db;

/// (table, column) pairs and index names, as one database has them.
struct Shape {
    columns: BTreeSet<(String, String)>,
    indexes: BTreeSet<String>,
}

async fn sqlite_shape(db: &Db) -> Shape {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut columns = BTreeSet::new();
    for t in tables {
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
    Shape {
        columns: rows.into_iter().collect(),
        indexes: indexes.into_iter().collect(),
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
}
