//! Integration tests of cairn-primitives: pinned encodings, round trips, malformed input,
//! signatures across chains, and the test vectors of `docs/protocol.md`.

mod fixtures;
mod golden;
mod malformed;
mod protocol_doc;
mod roundtrip;
mod signing;
