use super::*;

#[test]
fn a_required_column_without_default_fires() {
    let sql = "ALTER TABLE users ADD COLUMN plan text NOT NULL";
    assert_eq!(postgres(sql), [Rule::RequiredColumnWithoutDefault]);
    assert_eq!(sqlite(sql), [Rule::RequiredColumnWithoutDefault]);
    assert_eq!(
        postgres("ALTER TABLE users ADD plan text NOT NULL DEFAULT NULL"),
        [Rule::RequiredColumnWithoutDefault]
    );
    let lint = only_lint(Postgres, sql);
    assert!(lint.message.contains("`plan`") && lint.message.contains("`users`"));
    assert!(lint.fix.contains("DEFAULT"), "{}", lint.fix);
}

#[test]
fn a_required_column_with_a_value_for_old_rows_is_silent() {
    assert_eq!(
        postgres(
            "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
             ALTER TABLE users ADD COLUMN note text;
             ALTER TABLE users ADD COLUMN created timestamptz NOT NULL DEFAULT now();"
        ),
        []
    );
}

#[test]
fn a_required_column_on_a_new_table_is_silent() {
    let sql = "ALTER TABLE users ADD COLUMN plan text NOT NULL";
    assert_eq!(rules_in(Postgres, &created(&["users"]), sql), []);
}

#[test]
fn mysql_fills_a_required_column_with_the_implicit_default() {
    assert_eq!(mysql("ALTER TABLE users ADD COLUMN plan INT NOT NULL"), []);
}

#[test]
fn a_volatile_default_fires() {
    for sql in [
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",
        "ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT public.uuid_generate_v4()",
        "ALTER TABLE users ADD COLUMN score int DEFAULT (random() * 100)::int",
        "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT clock_timestamp()",
        "ALTER TABLE users ADD COLUMN n bigint DEFAULT nextval('users_n')",
        "ALTER TABLE users ADD COLUMN n bigserial",
        "ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY",
        "ALTER TABLE users ADD COLUMN total int GENERATED ALWAYS AS (a + b) STORED",
    ] {
        assert_eq!(postgres(sql), [Rule::VolatileDefault], "{sql}");
    }
    let lint = only_lint(
        Postgres,
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",
    );
    assert!(
        lint.message.contains("`gen_random_uuid()`"),
        "{}",
        lint.message
    );
    assert!(lint.message.contains("`token`") && lint.message.contains("`users`"));
    assert!(lint.fix.contains("SET DEFAULT"), "{}", lint.fix);
}

#[test]
fn a_default_evaluated_once_is_silent() {
    assert_eq!(
        postgres(
            "ALTER TABLE users ADD COLUMN a timestamptz DEFAULT now();
             ALTER TABLE users ADD COLUMN b timestamptz DEFAULT CURRENT_TIMESTAMP;
             ALTER TABLE users ADD COLUMN c text DEFAULT 'x';
             ALTER TABLE users ADD COLUMN d int DEFAULT my_function();
             ALTER TABLE users ALTER COLUMN e SET DEFAULT gen_random_uuid();"
        ),
        []
    );
}

#[test]
fn a_volatile_default_on_a_new_table_is_silent() {
    let sql = "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()";
    assert_eq!(rules_in(Postgres, &created(&["users"]), sql), []);
}

#[test]
fn volatile_default_is_postgres_only() {
    assert_eq!(
        mysql("ALTER TABLE users ADD COLUMN seen DOUBLE DEFAULT (rand())"),
        []
    );
}
