// An opt-out that names no rule, in a comment and in the macro call: both errors.
migrate::embed_migrations!(
    "fixtures/sql-unknown-rule",
    dialect = "postgres",
    allow = ["drop-column", "update-without-were"]
);

fn main() {}
