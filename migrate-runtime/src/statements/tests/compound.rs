//! Parentheses and compound statements: where a `;` does not end a statement.

use super::sqls;
use crate::statements::{split, Dialect};

#[test]
fn postgres_semicolons_inside_parentheses_do_not_split() {
    let input = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1";
    assert_eq!(
        sqls(input, Dialect::Postgres),
        [
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
            "SELECT 1"
        ]
    );
    // A stray closing parenthesis does not confuse the count.
    assert_eq!(
        sqls("SELECT 1); SELECT (2)", Dialect::Postgres),
        ["SELECT 1)", "SELECT (2)"]
    );
}

#[test]
fn postgres_begin_atomic_bodies() {
    let input = "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql\n\
                 BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT (CASE WHEN true THEN 2 END);\nEND;\n\
                 CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n\
                 BEGIN;\nSELECT 1;\nEND;";
    let got = sqls(input, Dialect::Postgres);
    assert_eq!(got.len(), 5, "{got:#?}");
    assert!(got[0].starts_with("CREATE OR REPLACE FUNCTION") && got[0].ends_with("\nEND"));
    assert_eq!(
        got[1],
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END"
    );
    assert_eq!(&got[2..], ["BEGIN", "SELECT 1", "END"]);
    // BEGIN in other statements means nothing.
    assert_eq!(
        sqls("CREATE TABLE t (begin int); SELECT 1", Dialect::Postgres).len(),
        2
    );
}

// --- MySQL compound statements ---------------------------------------------------------

#[test]
fn mysql_procedure_with_nested_blocks() {
    let body = "CREATE DEFINER=`root`@`localhost` PROCEDURE p(IN n INT)\n\
                BEGIN\n\
                DECLARE i INT DEFAULT 0;\n\
                DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET @err = 1; END;\n\
                DROP TABLE IF EXISTS tmp;\n\
                IF n > 0 THEN SET i = IF(n > 1, 2, 1); ELSEIF n < 0 THEN SET i = -1; ELSE SET i = 0; END IF;\n\
                l1: LOOP SET i = i + 1; IF i > 3 THEN LEAVE l1; END IF; END LOOP l1;\n\
                WHILE i < 10 DO SET i = i + 1; END WHILE;\n\
                REPEAT SET i = i - 1; UNTIL i <= 0 END REPEAT;\n\
                CASE n WHEN 1 THEN SELECT 'one;'; ELSE BEGIN SELECT REPEAT('x', 2); END; END CASE;\n\
                SET i = CASE WHEN n > 5 THEN IF(n > 6, 7, 6) ELSE 0 END;\n\
                SELECT CASE n WHEN 1 THEN 'a' ELSE CASE WHEN n > 2 THEN 'b' END END INTO @x;\n\
                END";
    let input = format!("{body};\nCALL p(3);\nDROP PROCEDURE p");
    assert_eq!(
        sqls(&input, Dialect::MySql),
        [body, "CALL p(3)", "DROP PROCEDURE p"]
    );
}

#[test]
fn mysql_functions_triggers_and_events() {
    let function = "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n  SET y = x * 2;\n  RETURN y;\nEND";
    let simple_function =
        "CREATE OR REPLACE FUNCTION g(x INT) RETURNS INT RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END";
    let bare_if_procedure =
        "CREATE PROCEDURE q(x INT) IF x > 0 THEN SELECT 1; ELSE SELECT 2; END IF";
    let trigger = "CREATE TRIGGER t1 BEFORE INSERT ON a FOR EACH ROW BEGIN\n  IF NEW.x < 0 THEN SET NEW.x = 0; END IF;\nEND";
    let simple_trigger = "CREATE TRIGGER t2 BEFORE UPDATE ON a FOR EACH ROW SET NEW.y = NEW.y + 1";
    let if_trigger = "CREATE TRIGGER t3 AFTER DELETE ON a FOR EACH ROW IF OLD.x > 0 THEN DELETE FROM b WHERE id = OLD.x; END IF";
    let follows_trigger = "CREATE TRIGGER t4 BEFORE INSERT ON a FOR EACH ROW FOLLOWS t1 IF NEW.x > 9 THEN SET NEW.x = 9; END IF";
    let event = "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM a WHERE x < 0; DELETE FROM b; END";
    let simple_event = "CREATE EVENT e2 ON SCHEDULE EVERY 1 HOUR DO DELETE FROM a";
    let all = [
        function,
        simple_function,
        bare_if_procedure,
        trigger,
        simple_trigger,
        if_trigger,
        follows_trigger,
        event,
        simple_event,
        "SELECT 1",
    ];
    let input = all.join(";\n");
    assert_eq!(sqls(&input, Dialect::MySql), all);
}

#[test]
fn mysql_compound_statements_outside_routines() {
    let block =
        "BEGIN NOT ATOMIC\n  DECLARE x INT;\n  SET x = 1;\n  IF x THEN SELECT 1; END IF;\nEND";
    let if_stmt = "IF @a THEN SELECT 1; SELECT 2; END IF";
    let while_stmt = "WHILE 0 DO SELECT 1; END WHILE";
    let repeat_stmt = "REPEAT SELECT 'r'; UNTIL 1 END REPEAT";
    let case_stmt = "CASE WHEN 1 THEN SELECT 'c1'; SELECT 'c2'; END CASE";
    let all = [
        block,
        if_stmt,
        while_stmt,
        repeat_stmt,
        case_stmt,
        "BEGIN",
        "SELECT 3",
        "COMMIT",
    ];
    assert_eq!(sqls(&all.join(";\n"), Dialect::MySql), all);
    // Keywords that only look like block openers in ordinary statements change nothing.
    assert_eq!(
        sqls("CREATE TABLE t (begin INT, `end` INT); SELECT CASE WHEN 1 THEN 2 END; SELECT IF(1, 2, 3); SELECT 4", Dialect::MySql).len(),
        4
    );
}

#[test]
fn mysql_delimiter_directive() {
    let input = "DELIMITER //\n\
                 CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT ';//';\nEND//\n\
                 CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1; //\n\
                 delimiter $$\n\
                 CREATE FUNCTION f() RETURNS INT RETURN 1$$\n\
                 SELECT 'a$$b' $$\n\
                 DELIMITER ;\n\
                 SELECT 2; SELECT 3";
    assert_eq!(
        sqls(input, Dialect::MySql),
        [
            "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT ';//';\nEND",
            "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1;",
            "CREATE FUNCTION f() RETURNS INT RETURN 1",
            "SELECT 'a$$b'",
            "SELECT 2",
            "SELECT 3",
        ]
    );
    // A directive's line is not a statement, and its position is skipped.
    let s = split("DELIMITER ;;\nSELECT 1;;\n", Dialect::MySql);
    assert_eq!((s[0].sql, s[0].line, s[0].column), ("SELECT 1", 2, 1));
    // DELIMITER means nothing in the other dialects, or without an argument.
    assert_eq!(
        sqls("DELIMITER //\nSELECT 1//", Dialect::Postgres),
        ["DELIMITER //\nSELECT 1//"]
    );
    assert_eq!(
        sqls("DELIMITER\n; SELECT 1", Dialect::MySql),
        ["DELIMITER", "SELECT 1"]
    );
}

// --- SQLite triggers -------------------------------------------------------------------

#[test]
fn sqlite_trigger_bodies() {
    let trigger = "CREATE TRIGGER IF NOT EXISTS t AFTER UPDATE ON a\nFOR EACH ROW WHEN NEW.x IS NOT NULL\nBEGIN\n  UPDATE b SET y = CASE WHEN NEW.x > 0 THEN 1 ELSE 0 END;\n  INSERT INTO log VALUES ('end;');\nEND";
    let temp = "create temp trigger t2 before delete on a begin select raise(abort, 'no;'); end";
    let input = format!("{trigger};\n{temp};\nBEGIN;\nEND;\nSELECT 1");
    assert_eq!(
        sqls(&input, Dialect::Sqlite),
        [trigger, temp, "BEGIN", "END", "SELECT 1"]
    );
    // A CASE expression ending the last statement of a body does not end the trigger.
    let case_end = "CREATE TRIGGER t3 AFTER INSERT ON a BEGIN SELECT CASE WHEN 1 THEN 2 END; END";
    assert_eq!(
        sqls(&format!("{case_end}; SELECT 2"), Dialect::Sqlite),
        [case_end, "SELECT 2"]
    );
}
