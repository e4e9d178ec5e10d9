migrate::embed_migrations!("../../migrations");

fn main() -> std::process::ExitCode {
    migrate::cli::main(&migrations::MIGRATIONS)
}
