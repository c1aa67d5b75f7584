//! The conformance suite against [`MemoryStore`].

use cofre_store::{conformance, MemoryStore};

cofre_store::conformance_tests!(Box::new(MemoryStore::new()));

/// All cases in sequence on one shared store, as a second check that cases do not
/// interfere with each other.
#[tokio::test]
async fn run_all_on_one_store() {
    conformance::run_all(&MemoryStore::new()).await;
}

#[test]
fn debug_does_not_print_contents() {
    assert_eq!(format!("{:?}", MemoryStore::new()), "MemoryStore { .. }");
}
