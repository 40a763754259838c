//! `#[event]`: an event struct, its topics and its ABI line.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Fields, ItemStruct};

use crate::abi::{abi_type, json_str, keccak256, section};

/// Most `#[topic]` fields: the protocol allows 4 topics and the signature takes one.
const MAX_TOPIC_FIELDS: usize = 3;

pub(crate) fn expand(item: TokenStream) -> syn::Result<TokenStream> {
    let mut s: ItemStruct = syn::parse2(item)
        .map_err(|e| syn::Error::new(e.span(), "#[event] goes on a struct with named fields"))?;
    if !s.generics.params.is_empty() {
        return Err(syn::Error::new(
            s.generics.span(),
            "an event cannot be generic",
        ));
    }
    let Fields::Named(fields) = &mut s.fields else {
        return Err(syn::Error::new(
            s.span(),
            "an event needs named fields (they name the ABI's fields)",
        ));
    };
    let mut types = Vec::new();
    let mut json_fields = Vec::new();
    let mut topics = Vec::new();
    for f in &mut fields.named {
        let before = f.attrs.len();
        f.attrs.retain(|a| !a.path().is_ident("topic"));
        let is_topic = f.attrs.len() != before;
        let ident = f.ident.clone().expect("named field");
        let ty = abi_type(&f.ty, "event field")?;
        if is_topic {
            if topics.len() == MAX_TOPIC_FIELDS {
                return Err(syn::Error::new(
                    ident.span(),
                    format!("an event has at most {MAX_TOPIC_FIELDS} #[topic] fields"),
                ));
            }
            topics.push(ident.clone());
        }
        json_fields.push(format!(
            "{{\"name\":{},\"type\":{},\"topic\":{is_topic}}}",
            json_str(&ident.to_string()),
            json_str(&ty)
        ));
        types.push(ty);
    }
    let name = s.ident.clone();
    let name_str = name.to_string();
    let signature = format!("{name_str}({})", types.join(","));
    let hash = keccak256(signature.as_bytes());
    let json = format!(
        "{{\"kind\":\"event\",\"name\":{},\"signature\":{},\"fields\":[{}]}}",
        json_str(&name_str),
        json_str(&signature),
        json_fields.join(",")
    );
    let abi = section(&format_ident!("__CAIRN_ABI_EVENT_{}", name), &json);
    Ok(quote! {
        #[derive(::cairn_sdk::borsh::BorshSerialize, ::cairn_sdk::borsh::BorshDeserialize)]
        #[borsh(crate = "::cairn_sdk::borsh")]
        #s

        impl ::cairn_sdk::Event for #name {
            const NAME: &'static str = #name_str;
            const SIGNATURE: &'static str = #signature;
            const SIGNATURE_HASH: ::cairn_sdk::Hash = ::cairn_sdk::Hash([#(#hash),*]);

            fn topics(&self) -> ::cairn_sdk::__private::Vec<::cairn_sdk::Hash> {
                ::cairn_sdk::__private::vec![
                    Self::SIGNATURE_HASH,
                    #(::cairn_sdk::__private::topic_of(&self.#topics)),*
                ]
            }
        }

        #abi
    })
}
