//! The procedural macros of `cairn-sdk`. Use them through `cairn_sdk` (`#[cairn_sdk::contract]`,
//! or the prelude), never directly: the generated code names `::cairn_sdk`.
//!
//! ```text
//!   #[contract] struct   ─► borsh derives (the state stored under "STATE")
//!   #[contract] impl     ─► per #[init]/#[view]/#[call] method: a wasm export that checks
//!                           value, decodes args, loads state, calls, saves, returns;
//!                           cairn_migrate (the #[migrate] method, or a default that
//!                           refuses downgrades); the ABI line {"kind":"contract",..}
//!                           in section cairn:abi
//!   #[event] struct      ─► borsh derives + impl Event + the ABI line {"kind":"event",..}
//!   #[error] enum        ─► borsh derives + the ABI line {"kind":"error",..}
//!   #[interface] trait   ─► <Trait>Ref: a typed handle for cross-contract calls
//! ```
//!
//! Misuse is a compile error pointing at the offending tokens (see `tests/ui`).

mod abi;
mod contract;
mod error;
mod event;
mod interface;

use proc_macro::TokenStream;

/// Runs `expand` on `item` unless the attribute `name` was given arguments; errors become
/// `compile_error!`s pointing at the offending tokens.
fn attribute(
    name: &str,
    attr: TokenStream,
    item: TokenStream,
    expand: fn(proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    let attr = proc_macro2::TokenStream::from(attr);
    let out = match attr.into_iter().next() {
        None => expand(item.into()),
        Some(first) => Err(syn::Error::new(
            first.span(),
            format!("#[{name}] takes no arguments"),
        )),
    };
    out.unwrap_or_else(syn::Error::into_compile_error).into()
}

/// On the contract's struct: makes it the persisted state. On its impl block: exports the
/// methods marked `#[init]`, `#[view]`, `#[call]` (and `#[payable]`), the upgrade's
/// migration (`#[migrate]`, or a default one), and embeds the ABI.
///
/// On the impl block, `#[contract(version = N)]` sets the code version (default 1) that an
/// upgrade's `#[migrate]` method sees as the previous version.
#[proc_macro_attribute]
pub fn contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    contract::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// On an enum: a contract error. Adds the encoding derives (a method's `Err` reverts with
/// the value's encoding as data) and an ABI line describing the variants, so clients decode
/// the revert data. Implement `Display` for the revert message.
#[proc_macro_attribute]
pub fn error(attr: TokenStream, item: TokenStream) -> TokenStream {
    attribute("error", attr, item, error::expand)
}

/// On a struct with named fields: an event, emitted with `env::emit(&event)`. Mark up to
/// three fields `#[topic]` to make them searchable.
#[proc_macro_attribute]
pub fn event(attr: TokenStream, item: TokenStream) -> TokenStream {
    attribute("event", attr, item, event::expand)
}

/// On a trait describing another contract's methods: generates `<Trait>Ref`, a typed handle
/// whose methods call that contract and return `Result<T, CallError>`.
#[proc_macro_attribute]
pub fn interface(attr: TokenStream, item: TokenStream) -> TokenStream {
    attribute("interface", attr, item, interface::expand)
}
