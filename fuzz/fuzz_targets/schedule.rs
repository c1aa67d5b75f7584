//! `cargo fuzz run schedule`: see [`cofre_fuzz::schedule`] for what it reaches and its input format.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cofre_fuzz::schedule::run(data));
