//! `cargo fuzz run store_records`: see [`cofre_fuzz::store_records`] for what it reaches and its input format.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cofre_fuzz::store_records::run(data));
