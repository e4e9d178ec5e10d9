fn main() {
    renamed::build::track("migrations");
}
