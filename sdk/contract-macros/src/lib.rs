//! The procedural macros of `cairn-sdk`. Use them through `cairn_sdk` (`#[cairn_sdk::contract]`,
//! or the prelude), never directly: the generated code names `::cairn_sdk`.
//!
//! ```text
//!   #[contract] struct   ─► borsh derives (the state stored under "STATE")
//!   #[contract] impl     ─► per #[init]/#[view]/#[call] method: a wasm export that checks
//!                           value, decodes args, loads state, calls, saves, returns;
//!                           plus the ABI line {"kind":"contract",..} in section cairn:abi
//!   #[event] struct      ─► borsh derives + impl Event + the ABI line {"kind":"event",..}
//!   #[interface] trait   ─► <Trait>Ref: a typed handle for cross-contract calls
//! ```
//!
//! Misuse is a compile error pointing at the offending tokens (see `tests/ui`).

mod abi;
mod contract;
mod event;
mod interface;

use proc_macro::TokenStream;

/// On the contract's struct: makes it the persisted state. On its impl block: exports the
/// methods marked `#[init]`, `#[view]`, `#[call]` (and `#[payable]`) and embeds the ABI.
#[proc_macro_attribute]
pub fn contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    let out = if attr.is_empty() {
        contract::expand(item.into())
    } else {
        Err(syn::Error::new(
            proc_macro2::TokenStream::from(attr)
                .into_iter()
                .next()
                .map_or_else(proc_macro2::Span::call_site, |t| t.span()),
            "#[contract] takes no arguments",
        ))
    };
    out.unwrap_or_else(syn::Error::into_compile_error).into()
}

/// On a struct with named fields: an event, emitted with `env::emit(&event)`. Mark up to
/// three fields `#[topic]` to make them searchable.
#[proc_macro_attribute]
pub fn event(attr: TokenStream, item: TokenStream) -> TokenStream {
    let out = if attr.is_empty() {
        event::expand(item.into())
    } else {
        Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[event] takes no arguments",
        ))
    };
    out.unwrap_or_else(syn::Error::into_compile_error).into()
}

/// On a trait describing another contract's methods: generates `<Trait>Ref`, a typed handle
/// whose methods call that contract and return `Result<T, CallError>`.
#[proc_macro_attribute]
pub fn interface(attr: TokenStream, item: TokenStream) -> TokenStream {
    let out = if attr.is_empty() {
        interface::expand(item.into())
    } else {
        Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[interface] takes no arguments",
        ))
    };
    out.unwrap_or_else(syn::Error::into_compile_error).into()
}
