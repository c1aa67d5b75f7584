//! `cargo fuzz run sigv4`: see [`cofre_fuzz::sigv4`] for what it reaches and its input format.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cofre_fuzz::sigv4::run(data));
