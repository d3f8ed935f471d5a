//! Stages the controlled-scheduling lane's copy of `src/` (see `lanes/rewrite`):
//! `tests/lane.rs` runs it under shuttle's scheduler. Nothing else uses the
//! copy, and a submission the rewrite cannot handle never fails this build.

fn main() {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    lane_rewrite::stage(std::path::Path::new(&manifest_dir), std::path::Path::new(&out_dir));
}
