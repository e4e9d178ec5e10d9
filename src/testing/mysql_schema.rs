//! The schema of a MySQL or MariaDB database (the connection's current one), from
//! `information_schema`. Primary keys and unique constraints show as indexes (with their
//! columns) and as constraints (by name); foreign keys and checks as constraints.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::mysql::MySqlRow;
use sqlx::pool::PoolConnection;
use sqlx::{MySql, MySqlPool, Row};

use super::snapshot::{collapse, short_digest, Exclude, Inspect};

/// Column `index` of a row whose columns are all converted to text.
fn text(row: &MySqlRow, index: usize) -> Result<String, sqlx::Error> {
    Ok(row.try_get::<Option<String>, _>(index)?.unwrap_or_default())
}

/// Column `index`, `None` for SQL NULL.
fn nullable(row: &MySqlRow, index: usize) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(index)
}

/// Runs `sql`, whose columns must all be `CONVERT(… USING utf8mb4)` (information_schema
/// columns are of several binary and text types across versions).
async fn fetch(
    conn: &mut PoolConnection<MySql>,
    sql: &'static str,
) -> Result<Vec<MySqlRow>, sqlx::Error> {
    sqlx::query(sql).fetch_all(&mut **conn).await
}

impl Inspect for MySqlPool {
    async fn schema_lines(&self, exclude: &Exclude) -> Result<BTreeSet<String>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        let mut lines = BTreeSet::new();
        let skips = |table: &str| exclude.skips(None, table);

        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(TABLE_NAME USING utf8mb4), CONVERT(TABLE_TYPE USING utf8mb4), \
               CONVERT(ENGINE USING utf8mb4) \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
               AND TABLE_TYPE <> 'VIEW'",
        )
        .await?;
        for row in rows {
            let table = text(&row, 0)?;
            if skips(&table) {
                continue;
            }
            let kind = text(&row, 1)?.to_lowercase().replace("base table", "table");
            lines.insert(format!("{kind} {table}: {}", text(&row, 2)?));
        }

        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(TABLE_NAME USING utf8mb4), CONVERT(VIEW_DEFINITION USING utf8mb4) \
             FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
        )
        .await?;
        for row in rows {
            lines.insert(format!(
                "view {}: {}",
                text(&row, 0)?,
                collapse(&text(&row, 1)?)
            ));
        }

        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(c.TABLE_NAME USING utf8mb4), CONVERT(c.COLUMN_NAME USING utf8mb4), \
               CONVERT(c.COLUMN_TYPE USING utf8mb4), CONVERT(c.IS_NULLABLE USING utf8mb4), \
               CONVERT(c.COLUMN_DEFAULT USING utf8mb4), CONVERT(c.EXTRA USING utf8mb4), \
               CONVERT(IF(c.COLLATION_NAME = t.TABLE_COLLATION, NULL, c.COLLATION_NAME) \
                 USING utf8mb4) \
             FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
               ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
             WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE <> 'VIEW'",
        )
        .await?;
        for row in rows {
            let table = text(&row, 0)?;
            if skips(&table) {
                continue;
            }
            let mut line = format!("column {table}.{}: {}", text(&row, 1)?, text(&row, 2)?);
            if text(&row, 3)? == "NO" {
                line.push_str(" NOT NULL");
            }
            if let Some(default) = nullable(&row, 4)? {
                line.push_str(&format!(" DEFAULT {default}"));
            }
            let extra = text(&row, 5)?;
            if !extra.is_empty() {
                line.push_str(&format!(" {extra}"));
            }
            // Only a collation other than the table's default is worth a mention.
            if let Some(collation) = nullable(&row, 6)? {
                line.push_str(&format!(" COLLATE {collation}"));
            }
            lines.insert(line);
        }

        // Index columns, one row each, in order.
        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(TABLE_NAME USING utf8mb4), CONVERT(INDEX_NAME USING utf8mb4), \
               CONVERT(NON_UNIQUE USING utf8mb4), CONVERT(COLUMN_NAME USING utf8mb4), \
               CONVERT(SUB_PART USING utf8mb4), CONVERT(INDEX_TYPE USING utf8mb4), \
               CONVERT(COLLATION USING utf8mb4) \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        )
        .await?;
        let mut indexes: BTreeMap<(String, String), (String, Vec<String>)> = BTreeMap::new();
        for row in rows {
            let table = text(&row, 0)?;
            if skips(&table) {
                continue;
            }
            let unique = if text(&row, 2)? == "0" { "UNIQUE " } else { "" };
            let kind = format!("{unique}{}", text(&row, 5)?);
            let mut column = nullable(&row, 3)?.unwrap_or_else(|| "(expression)".to_owned());
            if let Some(part) = nullable(&row, 4)? {
                column.push_str(&format!("({part})"));
            }
            if text(&row, 6)? == "D" {
                column.push_str(" DESC");
            }
            indexes
                .entry((table, text(&row, 1)?))
                .or_insert_with(|| (kind, Vec::new()))
                .1
                .push(column);
        }
        for ((table, name), (kind, columns)) in indexes {
            lines.insert(format!(
                "index {table}.{name}: {kind} ({})",
                columns.join(", ")
            ));
        }

        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(TABLE_NAME USING utf8mb4), CONVERT(CONSTRAINT_NAME USING utf8mb4), \
               CONVERT(CONSTRAINT_TYPE USING utf8mb4) \
             FROM information_schema.TABLE_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE() \
               AND CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE')",
        )
        .await?;
        for row in rows {
            let table = text(&row, 0)?;
            if !skips(&table) {
                lines.insert(format!(
                    "constraint {table}.{}: {}",
                    text(&row, 1)?,
                    text(&row, 2)?
                ));
            }
        }

        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(k.TABLE_NAME USING utf8mb4), CONVERT(k.CONSTRAINT_NAME USING utf8mb4), \
               CONVERT(k.COLUMN_NAME USING utf8mb4), \
               CONVERT(IF(k.REFERENCED_TABLE_SCHEMA = DATABASE(), k.REFERENCED_TABLE_NAME, \
                 CONCAT(k.REFERENCED_TABLE_SCHEMA, '.', k.REFERENCED_TABLE_NAME)) USING utf8mb4), \
               CONVERT(k.REFERENCED_COLUMN_NAME USING utf8mb4), \
               CONVERT(r.UPDATE_RULE USING utf8mb4), CONVERT(r.DELETE_RULE USING utf8mb4) \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
               ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
               AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
             WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        )
        .await?;
        type ForeignKey = (Vec<String>, String, Vec<String>, String);
        let mut foreign_keys: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
        for row in rows {
            let table = text(&row, 0)?;
            if skips(&table) {
                continue;
            }
            let rules = format!("ON UPDATE {} ON DELETE {}", text(&row, 5)?, text(&row, 6)?);
            let entry = foreign_keys
                .entry((table, text(&row, 1)?))
                .or_insert_with(|| (Vec::new(), String::new(), Vec::new(), rules));
            entry.0.push(text(&row, 2)?);
            entry.1 = text(&row, 3)?;
            entry.2.push(text(&row, 4)?);
        }
        for ((table, name), (columns, target, target_columns, rules)) in foreign_keys {
            lines.insert(format!(
                "constraint {table}.{name}: FOREIGN KEY ({}) REFERENCES {target} ({}) {rules}",
                columns.join(", "),
                target_columns.join(", ")
            ));
        }

        // MariaDB's CHECK_CONSTRAINTS names the table; MySQL's does not, so join there.
        let checks = match fetch(
            &mut conn,
            "SELECT CONVERT(TABLE_NAME USING utf8mb4), CONVERT(CONSTRAINT_NAME USING utf8mb4), \
               CONVERT(CHECK_CLAUSE USING utf8mb4) \
             FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
        )
        .await
        {
            Ok(rows) => rows,
            Err(_) => {
                fetch(
                    &mut conn,
                    "SELECT CONVERT(tc.TABLE_NAME USING utf8mb4), \
                       CONVERT(cc.CONSTRAINT_NAME USING utf8mb4), \
                       CONVERT(cc.CHECK_CLAUSE USING utf8mb4) \
                     FROM information_schema.CHECK_CONSTRAINTS cc \
                     JOIN information_schema.TABLE_CONSTRAINTS tc \
                       ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA \
                       AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME \
                       AND tc.CONSTRAINT_TYPE = 'CHECK' \
                     WHERE cc.CONSTRAINT_SCHEMA = DATABASE()",
                )
                .await?
            }
        };
        for row in checks {
            let table = text(&row, 0)?;
            if !skips(&table) {
                lines.insert(format!(
                    "constraint {table}.{}: CHECK ({})",
                    text(&row, 1)?,
                    collapse(&text(&row, 2)?)
                ));
            }
        }

        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(EVENT_OBJECT_TABLE USING utf8mb4), CONVERT(TRIGGER_NAME USING utf8mb4), \
               CONVERT(ACTION_TIMING USING utf8mb4), CONVERT(EVENT_MANIPULATION USING utf8mb4), \
               CONVERT(ACTION_STATEMENT USING utf8mb4) \
             FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
        )
        .await?;
        for row in rows {
            let table = text(&row, 0)?;
            if !skips(&table) {
                lines.insert(format!(
                    "trigger {table}.{}: {} {} {}",
                    text(&row, 1)?,
                    text(&row, 2)?,
                    text(&row, 3)?,
                    collapse(&text(&row, 4)?)
                ));
            }
        }

        let rows = fetch(
            &mut conn,
            "SELECT CONVERT(ROUTINE_NAME USING utf8mb4), CONVERT(ROUTINE_TYPE USING utf8mb4), \
               CONVERT(DTD_IDENTIFIER USING utf8mb4), CONVERT(ROUTINE_DEFINITION USING utf8mb4) \
             FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()",
        )
        .await?;
        for row in rows {
            let returns = nullable(&row, 2)?
                .map(|t| format!(" returns {t}"))
                .unwrap_or_default();
            lines.insert(format!(
                "{} {}{returns} [definition {}]",
                text(&row, 1)?.to_lowercase(),
                text(&row, 0)?,
                short_digest(&collapse(&text(&row, 3)?))
            ));
        }
        Ok(lines)
    }
}
