// The arguments after the path: a dialect, rule names and a lint level the macro knows.
mod dialect {
    migrate::embed_migrations!("fixtures/valid", dialect = "oracle");
}

mod level {
    migrate::embed_migrations!("fixtures/valid", dialect = "sqlite", lints = "error");
}

mod argument {
    migrate::embed_migrations!("fixtures/valid", dialects = "sqlite");
}

fn main() {}
