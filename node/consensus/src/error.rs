//! The crate's one error type.

/// What can go wrong when configuring or running consensus.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is invalid (the message names it and its value).
    #[error("invalid consensus config: {0}")]
    Config(String),
    /// A validator key is not a valid ed25519 key.
    #[error("invalid validator key 0x{0}")]
    Key(String),
    /// The application reported a fatal error; consensus stopped.
    #[error(transparent)]
    Fatal(#[from] crate::Fatal),
    /// The consensus thread could not be started or ended abnormally.
    #[error("consensus runtime failed: {0}")]
    Runtime(String),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
