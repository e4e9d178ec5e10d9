// A target that is not in the directory does not compile.
#![allow(deprecated)] // silences the missing-build-script notice; this case is about the target
migrate::embed_migrations!("fixtures/valid");

fn main() {
    let _target = &migrations::V9_TYPO;
}
