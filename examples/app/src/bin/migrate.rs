migrate::embed_migrations!(
    "../../migrations",
    dialect = ["postgres", "mysql", "sqlite"]
);

fn main() -> std::process::ExitCode {
    migrate::cli::main(&migrations::MIGRATIONS)
}
