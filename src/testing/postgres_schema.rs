//! The schema of a PostgreSQL database, from `pg_catalog`: every schema but the system
//! ones, and no object that belongs to an extension.

use std::collections::BTreeSet;

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

use super::snapshot::{collapse, short_digest, Exclude, Inspect};

/// Namespaces of the user (alias `n`).
const USER_SCHEMA: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

/// Whether the object `oid` of catalog `catalog` belongs to an extension.
fn extension_member(catalog: &str, oid: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

/// `schema.name`, or just `name` in `public`.
fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

/// Column `index` of a row whose columns are all text.
fn text(row: &PgRow, index: usize) -> Result<String, sqlx::Error> {
    Ok(row.try_get::<Option<String>, _>(index)?.unwrap_or_default())
}

impl Inspect for PgPool {
    async fn schema_lines(&self, exclude: &Exclude) -> Result<BTreeSet<String>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        let mut lines = BTreeSet::new();
        let skips = |schema: &str, table: &str| exclude.skips(Some(schema), table);

        let sql = format!(
            "SELECT n.nspname::text FROM pg_namespace n WHERE {USER_SCHEMA} AND NOT {}",
            extension_member("pg_namespace", "n.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let schema = text(&row, 0)?;
            // The history table's schema is created by the migrator, before any migration.
            if exclude.schema.as_deref() != Some(schema.as_str()) {
                lines.insert(format!("schema {schema}"));
            }
        }

        let sql = "SELECT e.extname::text, n.nspname::text FROM pg_extension e \
                   JOIN pg_namespace n ON n.oid = e.extnamespace";
        for row in sqlx::raw_sql(sql).fetch_all(&mut *conn).await? {
            lines.insert(format!(
                "extension {} in {}",
                text(&row, 0)?,
                text(&row, 1)?
            ));
        }

        let sql = format!(
            "SELECT n.nspname::text, c.relname::text, c.relkind::text, c.relpersistence::text, \
               CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END, \
               CASE WHEN c.relkind = 'S' THEN ( \
                 SELECT format('%s start %s increment %s min %s max %s cache %s%s', \
                   format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, \
                   s.seqmax, s.seqcache, CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END) \
                 FROM pg_sequence s WHERE s.seqrelid = c.oid) END, \
               (SELECT format(' owned by %s.%s', tc.relname, a.attname) FROM pg_depend d \
                 JOIN pg_class tc ON tc.oid = d.refobjid \
                 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
                 WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
                   AND d.refobjsubid > 0 LIMIT 1) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {USER_SCHEMA} AND NOT {}",
            extension_member("pg_class", "c.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let (schema, name) = (text(&row, 0)?, text(&row, 1)?);
            if skips(&schema, &name) {
                continue;
            }
            let q = qualified(&schema, &name);
            let unlogged = if text(&row, 3)? == "u" {
                " unlogged"
            } else {
                ""
            };
            let line = match text(&row, 2)?.as_str() {
                "r" => format!("table {q}{unlogged}"),
                "p" => format!("table {q} partitioned{unlogged}"),
                "f" => format!("foreign table {q}"),
                "v" => format!("view {q}: {}", collapse(&text(&row, 4)?)),
                "m" => format!("materialized view {q}: {}", collapse(&text(&row, 4)?)),
                _ => format!("sequence {q}: {}{}", text(&row, 5)?, text(&row, 6)?),
            };
            lines.insert(line);
        }

        let sql = format!(
            "SELECT n.nspname::text, c.relname::text, a.attname::text, \
               format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
               pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated::text, \
               CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
             LEFT JOIN pg_collation co ON co.oid = a.attcollation \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') \
               AND {USER_SCHEMA} AND NOT {}",
            extension_member("pg_class", "c.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let (schema, table) = (text(&row, 0)?, text(&row, 1)?);
            if skips(&schema, &table) {
                continue;
            }
            let mut line = format!(
                "column {}.{}: {}",
                qualified(&schema, &table),
                text(&row, 2)?,
                text(&row, 3)?
            );
            if text(&row, 4)? == "true" {
                line.push_str(" NOT NULL");
            }
            let default = text(&row, 5)?;
            match text(&row, 7)?.as_str() {
                "s" => line.push_str(&format!(" GENERATED ALWAYS AS ({default}) STORED")),
                _ if !default.is_empty() => line.push_str(&format!(" DEFAULT {default}")),
                _ => {}
            }
            match text(&row, 6)?.as_str() {
                "a" => line.push_str(" GENERATED ALWAYS AS IDENTITY"),
                "d" => line.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
                _ => {}
            }
            let collation = text(&row, 8)?;
            if !collation.is_empty() {
                line.push_str(&format!(" COLLATE {collation}"));
            }
            lines.insert(line);
        }

        let sql = format!(
            "SELECT n.nspname::text, c.relname::text, i.relname::text, \
               pg_get_indexdef(x.indexrelid), x.indisvalid::text \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class c ON c.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {USER_SCHEMA} AND NOT {}",
            extension_member("pg_class", "c.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let (schema, table) = (text(&row, 0)?, text(&row, 1)?);
            if skips(&schema, &table) {
                continue;
            }
            let invalid = if text(&row, 4)? == "false" {
                " (INVALID)"
            } else {
                ""
            };
            lines.insert(format!(
                "index {}: {}{invalid}",
                qualified(&schema, &text(&row, 2)?),
                text(&row, 3)?
            ));
        }

        // Constraints of tables (NOT NULL, catalogued since PostgreSQL 18, is a column
        // property above) and of domains.
        let sql = format!(
            "SELECT n.nspname::text, c.relname::text, t.typname::text, \
               con.conname::text, pg_get_constraintdef(con.oid, true) \
             FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace \
             LEFT JOIN pg_class c ON c.oid = con.conrelid \
             LEFT JOIN pg_type t ON t.oid = con.contypid \
             WHERE con.contype <> 'n' AND (c.oid IS NOT NULL OR t.oid IS NOT NULL) \
               AND {USER_SCHEMA} AND NOT {}",
            extension_member("pg_constraint", "con.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let (schema, table, domain) = (text(&row, 0)?, text(&row, 1)?, text(&row, 2)?);
            if skips(&schema, &table) {
                continue;
            }
            let owner = if table.is_empty() {
                format!("domain {}", qualified(&schema, &domain))
            } else {
                qualified(&schema, &table)
            };
            lines.insert(format!(
                "constraint {owner}.{}: {}",
                text(&row, 3)?,
                text(&row, 4)?
            ));
        }

        let sql = format!(
            "SELECT n.nspname::text, c.relname::text, t.tgname::text, \
               pg_get_triggerdef(t.oid, true), t.tgenabled::text \
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE NOT t.tgisinternal AND {USER_SCHEMA} AND NOT {}",
            extension_member("pg_class", "c.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let (schema, table) = (text(&row, 0)?, text(&row, 1)?);
            if skips(&schema, &table) {
                continue;
            }
            let disabled = if text(&row, 4)? == "D" {
                " (DISABLED)"
            } else {
                ""
            };
            lines.insert(format!(
                "trigger {}.{}: {}{disabled}",
                qualified(&schema, &table),
                text(&row, 2)?,
                text(&row, 3)?
            ));
        }

        // Functions: signature, and a digest of the whole definition (body, language,
        // volatility, settings) rather than the body itself.
        let sql = format!(
            "SELECT n.nspname::text, p.proname::text, \
               pg_get_function_identity_arguments(p.oid), p.prokind::text, \
               pg_get_function_result(p.oid), \
               CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE {USER_SCHEMA} AND NOT {}",
            extension_member("pg_proc", "p.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let (schema, function) = (text(&row, 0)?, text(&row, 1)?);
            let name = qualified(&schema, &function);
            let arguments = text(&row, 2)?;
            let definition = text(&row, 5)?;
            lines.insert(match text(&row, 3)?.as_str() {
                "a" => format!("aggregate {name}({arguments})"),
                "p" => format!(
                    "procedure {name}({arguments}) [definition {}]",
                    short_digest(&collapse(&definition))
                ),
                _ => format!(
                    "function {name}({arguments}) returns {} [definition {}]",
                    text(&row, 4)?,
                    short_digest(&collapse(&definition))
                ),
            });
        }

        // Types: enums with their labels, domains, composite and range types; not the
        // row types of tables, array types or multiranges.
        let sql = format!(
            "SELECT n.nspname::text, t.typname::text, t.typtype::text, \
               CASE t.typtype \
                 WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' \
                   ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) \
                 WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod) \
                   || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END \
                   || COALESCE(' DEFAULT ' || t.typdefault, '') \
                 WHEN 'c' THEN (SELECT string_agg(quote_ident(a.attname) || ' ' \
                   || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) \
                   FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 \
                     AND NOT a.attisdropped) \
                 WHEN 'r' THEN (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r \
                   WHERE r.rngtypid = t.oid) \
               END \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE {USER_SCHEMA} AND t.typtype IN ('b', 'c', 'd', 'e', 'r') \
               AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') \
               AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray = t.oid) \
               AND NOT {}",
            extension_member("pg_type", "t.oid")
        );
        for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let name = qualified(&text(&row, 0)?, &text(&row, 1)?);
            let detail = text(&row, 3)?;
            lines.insert(match text(&row, 2)?.as_str() {
                "e" => format!("type {name}: enum ({detail})"),
                "d" => format!("domain {name}: {detail}"),
                "c" => format!("type {name}: composite ({detail})"),
                "r" => format!("type {name}: range of {detail}"),
                _ => format!("type {name}: base type"),
            });
        }
        Ok(lines)
    }
}
