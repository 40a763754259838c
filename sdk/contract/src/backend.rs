//! The one place the SDK talks to its environment: the `cairn` host imports on wasm32, the
//! in-process mock natively. Both expose the same functions.

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod mock;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use mock::*;
