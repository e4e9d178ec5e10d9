// The macro takes exactly one string literal: no argument, an identifier, or two paths are rejected.
mod none {
    migrate::embed_migrations!();
}

mod identifier {
    migrate::embed_migrations!(migrations);
}

mod two_paths {
    migrate::embed_migrations!("a", "b");
}

fn main() {}
