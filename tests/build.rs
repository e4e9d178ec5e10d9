fn main() {
    migrate::build::track("fixtures");
    migrate::build::track("../migrations");
    migrate::build::track("../../shared/corpus");
}
