//! `#[interface]`: a typed handle for calling another contract.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, ItemTrait, Pat, ReturnType, TraitItem};

use crate::abi::abi_type;

pub(crate) fn expand(item: TokenStream) -> syn::Result<TokenStream> {
    let t: ItemTrait =
        syn::parse2(item).map_err(|e| syn::Error::new(e.span(), "#[interface] goes on a trait"))?;
    let vis = &t.vis;
    let handle = format_ident!("{}Ref", t.ident);
    let doc = format!(
        "A handle for calling a `{}` contract: each method calls the contract and returns \
         its decoded result, or the `CallError` (with the callee's revert message).",
        t.ident
    );
    let mut methods = Vec::new();
    for item in &t.items {
        let TraitItem::Fn(f) = item else {
            return Err(syn::Error::new(
                item.span(),
                "an #[interface] trait holds only methods",
            ));
        };
        let sig = &f.sig;
        let name = &sig.ident;
        let name_str = name.to_string();
        let mut names = Vec::new();
        let mut types = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(_) => {}
                FnArg::Typed(pt) => {
                    let Pat::Ident(id) = &*pt.pat else {
                        return Err(syn::Error::new(
                            pt.pat.span(),
                            "interface parameters must be plain names",
                        ));
                    };
                    abi_type(&pt.ty, "argument")?;
                    names.push(id.ident.clone());
                    types.push((*pt.ty).clone());
                }
            }
        }
        let ret = match &sig.output {
            ReturnType::Default => quote! { () },
            ReturnType::Type(_, ty) => {
                abi_type(ty, "return")?;
                quote! { #ty }
            }
        };
        let attrs = &f.attrs;
        methods.push(quote! {
            #(#attrs)*
            ///
            /// # Errors
            /// The callee's failure (`CallError`), e.g. its revert message.
            pub fn #name(&self, #(#names: #types),*) -> ::core::result::Result<#ret, ::cairn_sdk::CallError> {
                ::cairn_sdk::__private::call_method(&self.address, #name_str, &(#(#names,)*), self.options)
            }
        });
    }
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #vis struct #handle {
            address: ::cairn_sdk::Address,
            options: ::cairn_sdk::call::CallOptions,
        }

        impl #handle {
            /// A handle for the contract at `address` (no value, all gas left).
            #[must_use]
            pub fn new(address: ::cairn_sdk::Address) -> Self {
                Self { address, options: ::cairn_sdk::call::CallOptions::default() }
            }

            /// The contract's address.
            #[must_use]
            pub fn address(&self) -> ::cairn_sdk::Address {
                self.address
            }

            /// Attaches `value` (moved from this contract) to the calls made through this handle.
            #[must_use]
            pub fn with_value(mut self, value: ::cairn_sdk::Balance) -> Self {
                self.options.value = value;
                self
            }

            /// Gives each call at most `gas` (0: all that is left).
            #[must_use]
            pub fn with_gas(mut self, gas: u64) -> Self {
                self.options.gas = gas;
                self
            }

            #(#methods)*
        }
    })
}
