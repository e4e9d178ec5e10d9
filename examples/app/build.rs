fn main() {
    // Rebuild when a migration is added, not only when one is edited.
    migrate::build::track("../../migrations");
}
