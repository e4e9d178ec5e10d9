//! Fills `notes.words` with the number of words of `body`.

use sqlx::Row;

#[renamed::up]
async fn up(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let rows = sqlx::query("SELECT id, body FROM notes ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        let id: i64 = row.try_get(0)?;
        let body: String = row.try_get(1)?;
        let words = i64::try_from(body.split_whitespace().count()).unwrap_or(i64::MAX);
        sqlx::query("UPDATE notes SET words = ? WHERE id = ?")
            .bind(words)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[renamed::down]
async fn down(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notes SET words = NULL")
        .execute(conn)
        .await
        .map(drop)
}
