use super::*;

#[test]
fn a_role_password_fires() {
    assert_eq!(
        postgres("CREATE ROLE reporting LOGIN PASSWORD 'hunter2'"),
        [Rule::PasswordLiteral]
    );
    assert_eq!(
        postgres("ALTER ROLE reporting WITH PASSWORD 'hunter2'"),
        [Rule::PasswordLiteral]
    );
    let lint = only_lint(Postgres, "ALTER USER reporting PASSWORD 'hunter2'");
    assert!(!lint.message.contains("hunter2"), "{}", lint.message);
    assert!(!lint.fix.contains("hunter2"), "{}", lint.fix);
}

#[test]
fn an_opaque_postgres_statement_is_read_from_its_text() {
    let sql = "CREATE USER reporting WITH LOGIN PASSWORD 'hunter2'";
    assert_opaque(Postgres, sql);
    assert_eq!(postgres(sql), [Rule::PasswordLiteral]);
    let sql = "CREATE ROLE reporting ENCRYPTED PASSWORD E'hunter\\'2'";
    assert_opaque(Postgres, sql);
    assert_eq!(postgres(sql), [Rule::PasswordLiteral]);
}

#[test]
fn no_password_a_hash_or_a_placeholder_is_silent() {
    assert_eq!(
        postgres(
            "CREATE ROLE a LOGIN PASSWORD NULL;
             ALTER ROLE a PASSWORD '';
             ALTER ROLE a PASSWORD 'md5a3556571e93b0d20722ba62be61e8c2d';
             ALTER ROLE a PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy';
             ALTER ROLE a PASSWORD '${REPORTING_PASSWORD}';
             ALTER ROLE a PASSWORD '{{ reporting_password }}';"
        ),
        []
    );
    let psql_variable = "CREATE USER reporting WITH PASSWORD :'password'";
    assert_opaque(Postgres, psql_variable);
    assert_eq!(postgres(psql_variable), []);
}

#[test]
fn password_columns_and_comments_are_silent() {
    assert_eq!(
        postgres(
            "CREATE TABLE users (id int, password text, password_hash text DEFAULT 'x');
             UPDATE users SET password = 'x' WHERE id = 1;
             -- ALTER ROLE a PASSWORD 'hunter2'
             SELECT 1;"
        ),
        []
    );
    let opaque = "CREATE TABLE users (password text DEFAULT 'x') /* PASSWORD 'x' */ WITH oops";
    assert_opaque(Postgres, opaque);
    assert_eq!(postgres(opaque), []);
}

#[test]
fn mysql_identified_by_fires() {
    for sql in [
        "CREATE USER 'reporting'@'%' IDENTIFIED BY 'hunter2'",
        "CREATE USER IF NOT EXISTS reporting IDENTIFIED WITH caching_sha2_password BY 'hunter2'",
        "ALTER USER reporting IDENTIFIED BY 'hunter2'",
        "SET PASSWORD FOR 'reporting'@'%' = 'hunter2'",
    ] {
        assert_opaque(MySql, sql);
        assert_eq!(mysql(sql), [Rule::PasswordLiteral], "{sql}");
    }
    assert_eq!(mysql("SET PASSWORD = 'hunter2'"), [Rule::PasswordLiteral]);
}

#[test]
fn mysql_hashes_random_passwords_and_comments_are_silent() {
    for sql in [
        "CREATE USER reporting IDENTIFIED BY PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567'",
        "CREATE USER reporting IDENTIFIED WITH mysql_native_password \
         AS '*0123456789ABCDEF0123456789ABCDEF01234567'",
        "CREATE USER reporting IDENTIFIED BY RANDOM PASSWORD",
        "CREATE USER reporting # IDENTIFIED BY 'hunter2'\n IDENTIFIED WITH auth_socket",
    ] {
        assert_eq!(mysql(sql), [], "{sql}");
    }
}

#[test]
fn sqlite_has_no_passwords_to_find() {
    assert_eq!(sqlite("CREATE TABLE users (password TEXT DEFAULT 'x')"), []);
}
