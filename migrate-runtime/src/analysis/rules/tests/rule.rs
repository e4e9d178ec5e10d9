use std::collections::HashSet;

use super::*;

#[test]
fn names_are_unique_and_read_back() {
    assert!(Rule::ALL.len() >= 15);
    let names: HashSet<&str> = Rule::ALL.iter().map(|rule| rule.name()).collect();
    assert_eq!(names.len(), Rule::ALL.len());
    for &rule in Rule::ALL {
        assert_eq!(Rule::from_name(rule.name()), Some(rule));
        assert!(!rule.summary().is_empty());
        assert!(
            rule.applies_to(Postgres),
            "{rule:?}: every rule is for PostgreSQL first"
        );
    }
    assert_eq!(Rule::from_name("no-such-rule"), None);
}

#[test]
fn dialects_get_the_rules_that_exist_there() {
    let for_dialect = |dialect| -> Vec<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .filter(|rule| rule.applies_to(dialect))
            .collect()
    };
    assert_eq!(for_dialect(Postgres).len(), Rule::ALL.len());
    assert_eq!(
        for_dialect(MySql),
        [
            Rule::ColumnTypeChange,
            Rule::DropTable,
            Rule::DropColumn,
            Rule::RenameTable,
            Rule::RenameColumn,
            Rule::PasswordLiteral,
            Rule::UpdateWithoutWhere,
            Rule::DeleteWithoutWhere,
            Rule::MissingLockTimeout,
        ]
    );
    assert_eq!(
        for_dialect(Sqlite),
        [
            Rule::RequiredColumnWithoutDefault,
            Rule::DropTable,
            Rule::DropColumn,
            Rule::RenameTable,
            Rule::RenameColumn,
            Rule::PasswordLiteral,
            Rule::UpdateWithoutWhere,
            Rule::DeleteWithoutWhere,
        ]
    );
}
