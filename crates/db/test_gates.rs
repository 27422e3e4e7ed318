//! Build script of the crates whose tests need a service that may be absent: it turns the test
//! environment into compile-time switches, so a test whose service is not configured is compiled
//! `#[ignore]`d with the reason and `cargo test` reports it as ignored, never as passed.
//!
//! | variable | cfg | tests |
//! |---|---|---|
//! | `DANCU_TEST_DATABASE_URL` (a PostgreSQL URL) | `dancu_pg` | the PostgreSQL half of `db::dual_tests!` and other PostgreSQL tests |
//! | `DANCU_BROWSER_TESTS=1` | `dancu_browser` | the headless-Chromium tests |
//! | `DANCU_TEST_NATS_URL` (`host:port`) | `dancu_nats` | publishing to NATS JetStream |
//!
//! Changing one of them recompiles these crates. Shared through `package.build` in each crate's
//! `Cargo.toml` so it is written once.

#[allow(clippy::disallowed_methods, reason = "a build script reads the test environment")]
fn main() {
    for (var, cfg) in [
        ("DANCU_TEST_DATABASE_URL", "dancu_pg"),
        ("DANCU_BROWSER_TESTS", "dancu_browser"),
        ("DANCU_TEST_NATS_URL", "dancu_nats"),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        if std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0") {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
