//! `cargo fuzz run policy`: see [`cofre_fuzz::policy`] for what it reaches and its input format.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cofre_fuzz::policy::run(data));
