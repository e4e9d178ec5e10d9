//! What the model cannot know is never reported.

use super::{errors, errors_of, pg};
use crate::analysis::{Dialect, File};

#[test]
fn an_opaque_statement_makes_what_it_names_unknown() {
    // sqlparser rejects `ALTER INDEX IF EXISTS`; the model cannot tell what it did.
    let found = pg(&[
        "CREATE TABLE t (a int);",
        "ALTER INDEX IF EXISTS idx RENAME TO t2;\nALTER TABLE t2 ADD COLUMN b int;\nDROP TABLE t3;",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].3.contains("`t3`"));
}

#[test]
fn dynamic_sql_and_rust_migrations_open_the_world() {
    let dynamic = "DO $$ BEGIN EXECUTE 'CREATE TABLE ' || 'x' || ' (a int)'; END $$;";
    assert!(pg(&[dynamic, "ALTER TABLE x ADD COLUMN b int;"]).is_empty());
    let files = [
        File::sql(1, "0001_t.sql", "CREATE TABLE t (a int);", true),
        File::rust(2, "0002_backfill.rs"),
        File::sql(
            3,
            "0003_u.sql",
            "UPDATE t SET b = 1;\nCREATE TABLE t (a int);\nDROP TABLE nope;",
            true,
        ),
    ];
    assert!(errors_of(&files, Dialect::Postgres).is_empty());
}

#[test]
fn calling_a_function_runs_its_body() {
    let found = pg(&[
        "CREATE FUNCTION make() RETURNS void LANGUAGE sql AS $$ CREATE TABLE made (a int) $$;",
        "SELECT make();\nALTER TABLE made ADD COLUMN b int;",
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn schemas_the_migrations_do_not_create_are_unknown() {
    assert!(pg(&[
        "ALTER TABLE auth.users ADD COLUMN x int;",
        "CREATE INDEX ON auth.users (y);"
    ])
    .is_empty());
    let found = pg(&[
        "CREATE SCHEMA app;\nCREATE TABLE app.t (a int);",
        "ALTER TABLE app.u ADD COLUMN b int;",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn extensions_bring_their_own_objects() {
    assert!(pg(&[
        "CREATE EXTENSION postgis;",
        "ALTER TABLE spatial_ref_sys ADD COLUMN x int;"
    ])
    .is_empty());
    assert!(pg(&[
        "CREATE EXTENSION IF NOT EXISTS ltree;",
        "DROP FUNCTION lca(ltree[]);"
    ])
    .is_empty());
}

#[test]
fn names_the_database_chooses_are_unknown() {
    // `CREATE INDEX ON t (a, b)` is named `t_a_b_idx`; a serial column's sequence `t_id_seq`.
    assert!(pg(&[
        "CREATE TABLE t (id serial PRIMARY KEY, a int, b int);\nCREATE INDEX ON t (a, b);",
        "DROP INDEX t_a_b_idx;\nDROP SEQUENCE t_id_seq CASCADE;\nALTER INDEX t_pkey RENAME TO t_primary;",
    ])
    .is_empty());
    // Catalog tables exist without migrations.
    assert!(pg(&[
        "UPDATE pg_catalog.pg_class SET relname = relname WHERE false;",
        "DELETE FROM pg_largeobject;"
    ])
    .is_empty());
    assert!(errors(Dialect::Sqlite, &["DELETE FROM sqlite_sequence;"]).is_empty());
}

#[test]
fn dropping_a_column_drops_its_indexes() {
    assert!(pg(&[
        "CREATE TABLE t (a int, b int);\nCREATE INDEX t_b ON t (b);",
        "ALTER TABLE t DROP COLUMN b;",
        "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_b ON t (b);",
    ])
    .is_empty());
}

#[test]
fn a_changed_search_path_makes_unqualified_names_unknown() {
    assert!(pg(&[
        "SET search_path TO other;",
        "ALTER TABLE t ADD COLUMN a int;"
    ])
    .is_empty());
}

#[test]
fn tables_of_unknown_shape_have_unknown_columns() {
    assert!(pg(&[
        "CREATE TABLE s (a int);\nCREATE TABLE t AS SELECT * FROM s;\nCREATE TABLE u (LIKE s);",
        "ALTER TABLE t DROP COLUMN a;\nALTER TABLE u DROP COLUMN a;",
    ])
    .is_empty());
}

#[test]
fn cascading_drops_make_views_unknown() {
    assert!(pg(&[
        "CREATE TABLE t (a int);\nCREATE VIEW v AS SELECT a FROM t;",
        "DROP TABLE t CASCADE;\nCREATE VIEW v AS SELECT 1;",
    ])
    .is_empty());
}

#[test]
fn an_opaque_definition_changes_nothing_until_it_is_called() {
    // sqlparser rejects `COST 100`; defining the function touches no table.
    let define = "CREATE OR REPLACE FUNCTION bump() RETURNS trigger AS $$ BEGIN ALTER TABLE t ADD COLUMN b int; RETURN NEW; END $$ LANGUAGE plpgsql COST 100;";
    let found = pg(&[
        "CREATE TABLE t (a int);",
        define,
        "COMMENT ON FUNCTION bump() IS 'x' ;\nALTER TABLE t DROP COLUMN b;",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    // Calling it runs its body: `b` may exist now.
    assert!(pg(&[
        "CREATE TABLE t (a int);",
        define,
        "SELECT bump();\nALTER TABLE t DROP COLUMN b;"
    ])
    .is_empty());
}
