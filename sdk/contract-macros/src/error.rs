//! `#[error]`: a contract's error enum, encodable as revert data, with its ABI line so
//! clients can decode the revert data of a failed call into the variant and its fields.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Fields, ItemEnum};

use crate::abi::{abi_type, compact, json_str, section};

/// The ABI type of an error field; a type outside the ABI (another error, an SDK type such
/// as `CallError`) appears under its Rust name, which clients cannot decode further.
fn field_type(ty: &syn::Type) -> String {
    abi_type(ty, "error field").unwrap_or_else(|_| compact(ty))
}

pub(crate) fn expand(item: TokenStream) -> syn::Result<TokenStream> {
    let e: ItemEnum = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "#[error] goes on an enum (one variant per way a method can fail)",
        )
    })?;
    if !e.generics.params.is_empty() {
        return Err(syn::Error::new(
            e.generics.span(),
            "a contract error cannot be generic",
        ));
    }
    let mut variants = Vec::new();
    for v in &e.variants {
        if v.discriminant.is_some() {
            return Err(syn::Error::new(
                v.span(),
                "contract error variants take no explicit discriminant (the encoding uses the variant's position)",
            ));
        }
        let fields = match &v.fields {
            Fields::Unit => Vec::new(),
            Fields::Named(n) => n
                .named
                .iter()
                .map(|f| {
                    let name = f
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    Ok((name, field_type(&f.ty)))
                })
                .collect::<syn::Result<_>>()?,
            Fields::Unnamed(u) => u
                .unnamed
                .iter()
                .enumerate()
                .map(|(i, f)| Ok((i.to_string(), field_type(&f.ty))))
                .collect::<syn::Result<_>>()?,
        };
        let fields: Vec<String> = fields
            .iter()
            .map(|(n, t)| format!("{{\"name\":{},\"type\":{}}}", json_str(n), json_str(t)))
            .collect();
        variants.push(format!(
            "{{\"name\":{},\"fields\":[{}]}}",
            json_str(&v.ident.to_string()),
            fields.join(",")
        ));
    }
    let name = e.ident.clone();
    let json = format!(
        "{{\"kind\":\"error\",\"name\":{},\"variants\":[{}]}}",
        json_str(&name.to_string()),
        variants.join(",")
    );
    let abi = section(&format_ident!("__CAIRN_ABI_ERROR_{}", name), &json);
    Ok(quote! {
        #[derive(::cairn_sdk::borsh::BorshSerialize, ::cairn_sdk::borsh::BorshDeserialize)]
        #[borsh(crate = "::cairn_sdk::borsh")]
        #e

        #abi
    })
}
