use super::*;

#[test]
fn security_definer_without_search_path_fires() {
    let sql = "CREATE FUNCTION app.touch() RETURNS int LANGUAGE sql SECURITY DEFINER \
               AS $$ SELECT 1 $$";
    assert_eq!(postgres(sql), [Rule::SecurityDefinerSearchPath]);
    let lint = only_lint(Postgres, sql);
    assert!(lint.message.contains("`app.touch`"), "{}", lint.message);
    assert!(lint.fix.contains("SET search_path"), "{}", lint.fix);
}

#[test]
fn security_definer_with_search_path_or_invoker_is_silent() {
    assert_eq!(
        postgres(
            "CREATE FUNCTION a() RETURNS int LANGUAGE sql SECURITY DEFINER \
                 SET search_path = pg_catalog, pg_temp AS $$ SELECT 1 $$;
             CREATE OR REPLACE FUNCTION b() RETURNS int SET SEARCH_PATH FROM CURRENT \
                 SECURITY DEFINER AS 'SELECT 1' LANGUAGE sql;
             CREATE FUNCTION c() RETURNS int LANGUAGE sql SECURITY INVOKER AS $$ SELECT 1 $$;
             CREATE FUNCTION d() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"
        ),
        []
    );
}

#[test]
fn an_opaque_security_definer_procedure_is_read_from_its_text() {
    let sql = "CREATE OR REPLACE PROCEDURE app.purge() LANGUAGE sql SECURITY DEFINER \
               AS $$ DELETE FROM app.sessions WHERE expired $$";
    assert_opaque(Postgres, sql);
    assert_eq!(postgres(sql), [Rule::SecurityDefinerSearchPath]);
    assert!(only_lint(Postgres, sql).message.contains("procedure"));
}

#[test]
fn an_opaque_routine_mentioning_search_path_or_definer_in_a_comment_is_silent() {
    let with_path = "CREATE PROCEDURE p() LANGUAGE sql SECURITY DEFINER \
                     SET search_path = pg_catalog AS $$ SELECT 1 $$";
    assert_opaque(Postgres, with_path);
    assert_eq!(postgres(with_path), []);
    let in_comment = "CREATE PROCEDURE p() LANGUAGE sql -- not SECURITY DEFINER\n\
                      AS $$ SELECT 'SECURITY DEFINER' $$";
    assert_opaque(Postgres, in_comment);
    assert_eq!(postgres(in_comment), []);
}

#[test]
fn mysql_has_no_search_path() {
    let sql = "CREATE DEFINER = admin PROCEDURE p() SQL SECURITY DEFINER SELECT 1";
    assert_eq!(mysql(sql), []);
}
