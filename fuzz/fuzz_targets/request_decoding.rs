//! `cargo fuzz run request_decoding`: see [`cofre_fuzz::request_decoding`] for what it reaches and its input format.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cofre_fuzz::request_decoding::run(data));
