//! The facade under another name. Users write `migrate = { package = "checked-migrations", … }`,
//! but any local name must work: this crate calls it `renamed` and has no `migrate` at all, so
//! the code that `embed_migrations!`, `#[up]` and `#[down]` generate must reach the facade
//! without naming it.

renamed::embed_migrations!("migrations", dialect = "sqlite");

#[cfg(test)]
mod tests {
    use super::migrations;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    #[tokio::test]
    async fn embeds_runs_and_reverts_under_another_name() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("renamed.db"))
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .expect("open SQLite");

        let report = migrations::run(&pool).await.expect("migrate");
        let applied: Vec<i64> = report.applied().iter().map(|a| a.version).collect();
        assert_eq!(applied, [1, 2]);
        let words: Vec<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, words FROM notes ORDER BY id")
                .fetch_all(&pool)
                .await
                .expect("notes");
        assert_eq!(
            words,
            [(1, Some(3)), (2, Some(1))],
            "the Rust migration ran"
        );

        let target: &'static renamed::Migration = &migrations::V1_CREATE_NOTES;
        let reverted = migrations::migrator()
            .revert_to(&pool, target)
            .await
            .expect("revert through the down function");
        let reverted: Vec<i64> = reverted.reverted().iter().map(|a| a.version).collect();
        assert_eq!(reverted, [2]);
        let filled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notes WHERE words IS NOT NULL")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(filled, 0, "the down function ran");
        pool.close().await;
    }
}
