//! Accounts, code and contract storage: flat reads, overlays with checkpoints, versioned commits.
//!
//! (Being built: see the state and VM issues.)
