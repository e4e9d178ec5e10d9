//! The rules: their names, where they apply, and what each one is about.

use super::Dialect;

/// A lint rule. Its name (`index-without-concurrently`) is what `-- migrate:allow` and the
/// macro's `allow = [...]` take.
///
/// Each variant's documentation says what goes wrong on a live database, the safe pattern,
/// and when allowing the statement is fine. Rules about locks and rewrites fire only on a
/// table that existed before the migration; on a table the same migration created they are
/// silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `CREATE INDEX` without `CONCURRENTLY` on an existing table (PostgreSQL).
    ///
    /// A plain `CREATE INDEX` holds a `SHARE` lock on the table for the whole build: reads go
    /// on, every `INSERT`, `UPDATE` and `DELETE` waits, for minutes on a large table.
    ///
    /// ```sql
    /// -- migrate:no-transaction
    /// CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id);
    /// ```
    ///
    /// A concurrent build cannot run in a transaction, hence its own file. If it fails it
    /// leaves an invalid index behind: drop it and run again. A partitioned table cannot be
    /// indexed concurrently: index each partition concurrently, then create the index
    /// `ON ONLY` the parent and `ATTACH` the partitions' indexes. Allow the plain form for a
    /// table known to be small, or one nobody writes during the deploy.
    IndexWithoutConcurrently,
    /// `DROP INDEX` without `CONCURRENTLY` (PostgreSQL).
    ///
    /// A plain `DROP INDEX` takes an `ACCESS EXCLUSIVE` lock on the index's table: quick once
    /// granted, but it waits for every running query on the table, and every query queues
    /// behind it meanwhile.
    ///
    /// ```sql
    /// -- migrate:no-transaction
    /// DROP INDEX CONCURRENTLY orders_customer;
    /// ```
    ///
    /// Allow it for an index of a table created in the same migration when the analysis
    /// cannot tell (it knows the table of an index only from the schema model).
    DropIndexWithoutConcurrently,
    /// `ADD FOREIGN KEY` or `ADD COLUMN … REFERENCES` on an existing table without
    /// `NOT VALID` (PostgreSQL).
    ///
    /// Adding the constraint checks every row while holding a `SHARE ROW EXCLUSIVE` lock on
    /// both tables: writes to either table wait for the whole scan.
    ///
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
    ///     FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    /// -- later, in the same or a following migration: a lighter lock, writes go on
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
    /// ```
    ///
    /// Allow it for a small table.
    ForeignKeyWithoutNotValid,
    /// `ADD CHECK` or `ADD COLUMN … CHECK` on an existing table without `NOT VALID`
    /// (PostgreSQL).
    ///
    /// Adding the constraint scans the table under an `ACCESS EXCLUSIVE` lock: neither reads
    /// nor writes get through until every row is checked.
    ///
    /// ```sql
    /// ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;
    /// ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;
    /// ```
    ///
    /// Allow it for a small table.
    CheckWithoutNotValid,
    /// `ADD UNIQUE` / `ADD PRIMARY KEY` on an existing table without `USING INDEX`
    /// (PostgreSQL).
    ///
    /// The constraint builds its index while holding an `ACCESS EXCLUSIVE` lock: the table
    /// is unreadable for the whole build.
    ///
    /// ```sql
    /// -- migrate:no-transaction
    /// CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);
    /// -- then, in a following migration:
    /// ALTER TABLE users ADD CONSTRAINT users_email UNIQUE USING INDEX users_email;
    /// ```
    ///
    /// A primary key also needs its columns `NOT NULL` (see [`Rule::SetNotNull`]). Allow it
    /// for a small table.
    UniqueWithoutIndex,
    /// `ALTER COLUMN … SET NOT NULL` on an existing table (PostgreSQL).
    ///
    /// PostgreSQL scans the whole table under an `ACCESS EXCLUSIVE` lock to prove there is no
    /// `NULL`, unless a validated `CHECK (column IS NOT NULL)` already proves it
    /// (PostgreSQL 12 and later).
    ///
    /// ```sql
    /// ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
    /// ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
    /// ALTER TABLE users ALTER COLUMN email SET NOT NULL;  -- no scan: the check proves it
    /// ALTER TABLE users DROP CONSTRAINT users_email_not_null;
    /// ```
    ///
    /// The rule is silent when such a check was validated earlier, in this migration or an
    /// earlier one. Allow it for a small table.
    SetNotNull,
    /// `ALTER COLUMN … TYPE` (PostgreSQL) or `MODIFY` / `CHANGE COLUMN` (MySQL) on an
    /// existing table.
    ///
    /// Most type changes rewrite the table and its indexes: under an `ACCESS EXCLUSIVE` lock
    /// in PostgreSQL, as a copy that blocks writes in MySQL. The previous release also still
    /// reads and writes the old type during a rolling deploy.
    ///
    /// ```sql
    /// ALTER TABLE orders ADD COLUMN amount_cents bigint;
    /// -- backfill in batches, write both columns, switch reads, then drop the old column
    /// ```
    ///
    /// Allow it when the change needs no rewrite: in PostgreSQL `varchar(n)` to a longer
    /// `varchar` or to `text`, a `numeric` with more precision; in MySQL a longer `VARCHAR`
    /// whose length in bytes stays on the same side of 256, or a `MODIFY` that restates the
    /// same type.
    ColumnTypeChange,
    /// `ADD COLUMN … NOT NULL` without a default on an existing table (PostgreSQL, SQLite).
    ///
    /// The existing rows would get `NULL`: the statement fails as soon as the table has a
    /// row, which a test database often does not have and production does. (MySQL fills in
    /// the type's implicit default instead, so the rule does not apply there.)
    ///
    /// ```sql
    /// ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';
    /// ```
    ///
    /// Or add the column nullable, backfill it, and set `NOT NULL` afterwards.
    RequiredColumnWithoutDefault,
    /// `ADD COLUMN` on an existing table with a default computed per row (PostgreSQL).
    ///
    /// Since PostgreSQL 11 a constant default (also `now()`, `CURRENT_TIMESTAMP`: they are
    /// evaluated once) costs nothing. A volatile one (`random()`, `gen_random_uuid()`,
    /// `clock_timestamp()`, `nextval()`, a `serial` type, an identity or a stored generated
    /// column) must be computed for every row: the table is rewritten under an
    /// `ACCESS EXCLUSIVE` lock.
    ///
    /// ```sql
    /// ALTER TABLE users ADD COLUMN token uuid;
    /// ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();  -- new rows only
    /// -- backfill the existing rows in batches
    /// ```
    ///
    /// Allow it for a small table.
    VolatileDefault,
    /// `DROP TABLE` of an existing table.
    ///
    /// During a rolling deploy the previous release still runs, and still queries the table.
    ///
    /// ```sql
    /// -- release N stops using the table; a migration of release N+1 drops it
    /// DROP TABLE legacy_sessions;
    /// ```
    ///
    /// Allow it once no running release uses the table.
    DropTable,
    /// `DROP COLUMN` of an existing table.
    ///
    /// During a rolling deploy the previous release still selects and inserts the column.
    ///
    /// ```sql
    /// -- release N stops reading and writing the column (ORMs: mark it ignored);
    /// -- a migration of release N+1 drops it
    /// ALTER TABLE users DROP COLUMN legacy_flag;
    /// ```
    ///
    /// Allow it once no running release uses the column.
    DropColumn,
    /// `RENAME` of an existing table (`ALTER TABLE … RENAME TO`, MySQL `RENAME TABLE`).
    ///
    /// The previous release still uses the old name during a rolling deploy.
    ///
    /// ```sql
    /// ALTER TABLE customers RENAME TO clients;
    /// CREATE VIEW customers AS SELECT * FROM clients;  -- until no release uses the old name
    /// ```
    ///
    /// Allow it once no running release uses the old name.
    RenameTable,
    /// `RENAME COLUMN` (or MySQL `CHANGE COLUMN` to another name) of an existing table.
    ///
    /// The previous release still uses the old name during a rolling deploy.
    ///
    /// ```sql
    /// ALTER TABLE users ADD COLUMN full_name text;
    /// -- write both columns, backfill, switch reads, then drop the old column
    /// ```
    ///
    /// Allow it once no running release uses the old name.
    RenameColumn,
    /// A `SECURITY DEFINER` function without `SET search_path` (PostgreSQL).
    ///
    /// The function runs with its owner's rights but looks names up in the caller's
    /// `search_path`: a caller who can create objects in a schema on that path can put a
    /// function or operator there that the body then calls with the owner's rights.
    ///
    /// ```sql
    /// CREATE FUNCTION app.touch(id bigint) RETURNS void
    ///     LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    ///     AS $$ UPDATE app.items SET touched_at = now() WHERE items.id = touch.id $$;
    /// ```
    ///
    /// Allow it when every name in the body is schema-qualified and nobody untrusted can
    /// call the function.
    SecurityDefinerSearchPath,
    /// A password written in the migration (`PASSWORD '…'`, `IDENTIFIED BY '…'`).
    ///
    /// The migration is in version control and in every build of the application: the
    /// password is as secret as the source code.
    ///
    /// ```sql
    /// CREATE ROLE reporting LOGIN;  -- set the password outside the migrations
    /// ```
    ///
    /// Not reported: `PASSWORD NULL`, an empty password, a hash (`md5…`, `SCRAM-SHA-256$…`,
    /// MySQL `*…`), a template placeholder (`${…}`, `{{…}}`). Allow it for a password of a
    /// development-only database.
    PasswordLiteral,
    /// `UPDATE` of an existing table without `WHERE`.
    ///
    /// Every row is changed, and locked until the migration commits; on a large table that
    /// is one long transaction. Often it is a forgotten `WHERE`.
    ///
    /// ```sql
    /// UPDATE users SET plan = 'free' WHERE plan IS NULL AND id BETWEEN 1 AND 10000;
    /// ```
    ///
    /// Allow it for a deliberate backfill of a small table.
    UpdateWithoutWhere,
    /// `DELETE` from an existing table without `WHERE` (a `LIMIT` counts as a bound).
    ///
    /// Every row is deleted; often it is a forgotten `WHERE`.
    ///
    /// ```sql
    /// DELETE FROM sessions WHERE expires_at < now();
    /// ```
    ///
    /// Allow it when emptying the table is the intent (`TRUNCATE` says so more clearly).
    DeleteWithoutWhere,
    /// Locking DDL on an existing table without a lock timeout set before it in the file
    /// (PostgreSQL `lock_timeout`, MySQL `lock_wait_timeout`).
    ///
    /// `ALTER TABLE`, a plain `CREATE INDEX` or `DROP INDEX`, `DROP TABLE`, `TRUNCATE` (and
    /// in PostgreSQL a foreign key to an existing table) wait for the locks held by running
    /// transactions; every query on the table queues behind the waiting statement. One long
    /// report query turns an instant `ALTER TABLE` into an outage. A lock timeout makes the
    /// migration fail instead, and it can be run again.
    ///
    /// ```sql
    /// SET lock_timeout = '5s';            -- PostgreSQL (SET LOCAL inside a transaction)
    /// SET SESSION lock_wait_timeout = 5;  -- MySQL
    /// ALTER TABLE orders ADD COLUMN note text;
    /// ```
    ///
    /// Reported once per file, at the first such statement. `ALTER TABLE … VALIDATE
    /// CONSTRAINT` alone does not count: its lock lets reads and writes through. Not for
    /// SQLite, which locks the whole database for every write anyway.
    MissingLockTimeout,
}

impl Rule {
    /// Every rule.
    pub const ALL: &'static [Rule] = &[
        Rule::IndexWithoutConcurrently,
        Rule::DropIndexWithoutConcurrently,
        Rule::ForeignKeyWithoutNotValid,
        Rule::CheckWithoutNotValid,
        Rule::UniqueWithoutIndex,
        Rule::SetNotNull,
        Rule::ColumnTypeChange,
        Rule::RequiredColumnWithoutDefault,
        Rule::VolatileDefault,
        Rule::DropTable,
        Rule::DropColumn,
        Rule::RenameTable,
        Rule::RenameColumn,
        Rule::SecurityDefinerSearchPath,
        Rule::PasswordLiteral,
        Rule::UpdateWithoutWhere,
        Rule::DeleteWithoutWhere,
        Rule::MissingLockTimeout,
    ];

    /// The rule's name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::IndexWithoutConcurrently => "index-without-concurrently",
            Rule::DropIndexWithoutConcurrently => "drop-index-without-concurrently",
            Rule::ForeignKeyWithoutNotValid => "foreign-key-without-not-valid",
            Rule::CheckWithoutNotValid => "check-without-not-valid",
            Rule::UniqueWithoutIndex => "unique-without-index",
            Rule::SetNotNull => "set-not-null",
            Rule::ColumnTypeChange => "column-type-change",
            Rule::RequiredColumnWithoutDefault => "required-column-without-default",
            Rule::VolatileDefault => "volatile-default",
            Rule::DropTable => "drop-table",
            Rule::DropColumn => "drop-column",
            Rule::RenameTable => "rename-table",
            Rule::RenameColumn => "rename-column",
            Rule::SecurityDefinerSearchPath => "security-definer-search-path",
            Rule::PasswordLiteral => "password-literal",
            Rule::UpdateWithoutWhere => "update-without-where",
            Rule::DeleteWithoutWhere => "delete-without-where",
            Rule::MissingLockTimeout => "missing-lock-timeout",
        }
    }

    /// The rule named `name`.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.name() == name)
    }

    /// What the rule reports, in a few words.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::IndexWithoutConcurrently => "CREATE INDEX without CONCURRENTLY",
            Rule::DropIndexWithoutConcurrently => "DROP INDEX without CONCURRENTLY",
            Rule::ForeignKeyWithoutNotValid => "foreign key without NOT VALID",
            Rule::CheckWithoutNotValid => "CHECK constraint without NOT VALID",
            Rule::UniqueWithoutIndex => "UNIQUE or PRIMARY KEY without USING INDEX",
            Rule::SetNotNull => "SET NOT NULL that scans the table",
            Rule::ColumnTypeChange => "column type change",
            Rule::RequiredColumnWithoutDefault => "ADD COLUMN NOT NULL without a default",
            Rule::VolatileDefault => "ADD COLUMN with a default computed per row",
            Rule::DropTable => "DROP TABLE",
            Rule::DropColumn => "DROP COLUMN",
            Rule::RenameTable => "table rename",
            Rule::RenameColumn => "column rename",
            Rule::SecurityDefinerSearchPath => "SECURITY DEFINER without SET search_path",
            Rule::PasswordLiteral => "password in the migration",
            Rule::UpdateWithoutWhere => "UPDATE without WHERE",
            Rule::DeleteWithoutWhere => "DELETE without WHERE",
            Rule::MissingLockTimeout => "locking DDL without a lock timeout",
        }
    }

    /// Whether the rule is checked for `dialect`: `CONCURRENTLY`, `NOT VALID` and the
    /// PostgreSQL lock levels exist only there; the rolling-deploy and data rules apply
    /// everywhere; SQLite, which locks the whole database for every write, gets no lock rule.
    pub fn applies_to(self, dialect: Dialect) -> bool {
        let (postgres, mysql, sqlite) = match self {
            Rule::IndexWithoutConcurrently
            | Rule::DropIndexWithoutConcurrently
            | Rule::ForeignKeyWithoutNotValid
            | Rule::CheckWithoutNotValid
            | Rule::UniqueWithoutIndex
            | Rule::SetNotNull
            | Rule::VolatileDefault
            | Rule::SecurityDefinerSearchPath => (true, false, false),
            Rule::ColumnTypeChange | Rule::MissingLockTimeout => (true, true, false),
            Rule::RequiredColumnWithoutDefault => (true, false, true),
            Rule::DropTable
            | Rule::DropColumn
            | Rule::RenameTable
            | Rule::RenameColumn
            | Rule::PasswordLiteral
            | Rule::UpdateWithoutWhere
            | Rule::DeleteWithoutWhere => (true, true, true),
        };
        match dialect {
            Dialect::Postgres => postgres,
            Dialect::MySql => mysql,
            Dialect::Sqlite => sqlite,
        }
    }
}
