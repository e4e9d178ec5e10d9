use super::*;

#[test]
fn update_without_where_fires_on_every_database() {
    for dialect in [Postgres, MySql, Sqlite] {
        assert_eq!(
            rules_in(dialect, &NOTHING, "UPDATE users SET plan = 'free'"),
            [Rule::UpdateWithoutWhere],
            "{dialect:?}"
        );
    }
    let lint = only_lint(Postgres, "UPDATE users SET plan = 'free'");
    assert!(lint.message.contains("`users`"), "{}", lint.message);
    assert_eq!(
        postgres("WITH plans AS (SELECT 1) UPDATE users SET plan = 'free'"),
        [Rule::UpdateWithoutWhere]
    );
    // Without a `WHERE`, `FROM` is a cross join: every row still changes.
    assert_eq!(
        postgres("UPDATE users SET plan = plans.name FROM plans"),
        [Rule::UpdateWithoutWhere]
    );
}

#[test]
fn update_with_where_or_on_a_new_table_is_silent() {
    assert_eq!(
        postgres("UPDATE users SET plan = 'free' WHERE plan IS NULL"),
        []
    );
    assert_eq!(mysql("UPDATE users SET plan = 'free' LIMIT 1000"), []);
    assert_eq!(
        mysql("UPDATE users JOIN plans ON plans.id = users.plan_id SET users.price = plans.price"),
        []
    );
    let sql = "UPDATE users SET plan = 'free'";
    assert_eq!(rules_in(Postgres, &created(&["users"]), sql), []);
}

#[test]
fn delete_without_where_fires_on_every_database() {
    for dialect in [Postgres, MySql, Sqlite] {
        assert_eq!(
            rules_in(dialect, &NOTHING, "DELETE FROM sessions"),
            [Rule::DeleteWithoutWhere],
            "{dialect:?}"
        );
    }
    let lint = only_lint(Postgres, "DELETE FROM sessions");
    assert!(lint.message.contains("`sessions`"), "{}", lint.message);
    assert!(lint.fix.contains("TRUNCATE"), "{}", lint.fix);
}

#[test]
fn delete_with_where_limit_or_on_a_new_table_is_silent() {
    assert_eq!(
        postgres("DELETE FROM sessions WHERE expires_at < now()"),
        []
    );
    assert_eq!(mysql("DELETE FROM sessions LIMIT 1000"), []);
    assert_eq!(
        mysql("DELETE sessions FROM sessions JOIN users ON users.id = sessions.user_id"),
        []
    );
    let sql = "DELETE FROM sessions";
    assert_eq!(rules_in(Sqlite, &created(&["sessions"]), sql), []);
}
