//! ABI type names and JSON text, shared by the three macros.

use quote::ToTokens;
use syn::{Expr, ExprLit, GenericArgument, Lit, PathArguments, Type};

/// The types a method argument, a return value or an event field may have.
const SUPPORTED: &str = "bool, u8..u128, i8..i128, Balance, String, Address, Hash, Vec<T>, \
                         Option<T>, tuples and [T; N] of those";

/// The ABI name of `ty` (`what` says where it appears, for the error).
pub(crate) fn abi_type(ty: &Type, what: &str) -> syn::Result<String> {
    match ty {
        Type::Paren(p) => abi_type(&p.elem, what),
        Type::Group(g) => abi_type(&g.elem, what),
        Type::Tuple(t) if t.elems.is_empty() => Ok("unit".into()),
        Type::Tuple(t) => {
            let parts = t
                .elems
                .iter()
                .map(|e| abi_type(e, what))
                .collect::<syn::Result<Vec<_>>>()?;
            Ok(format!("tuple<{}>", parts.join(",")))
        }
        Type::Array(a) => {
            let n = match &a.len {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(i), ..
                }) => i.base10_parse::<usize>()?,
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "array lengths in a contract interface must be integer literals",
                    ));
                }
            };
            Ok(format!("array<{},{n}>", abi_type(&a.elem, what)?))
        }
        Type::Reference(r) => Err(syn::Error::new_spanned(
            r,
            format!(
                "unsupported {what} type `{}`: contract interfaces use owned values (`String` \
                 instead of `&str`, `Vec<T>` instead of `&[T]`)",
                compact(ty)
            ),
        )),
        Type::Path(p) if p.qself.is_none() => {
            let Some(seg) = p.path.segments.last() else {
                return Err(unsupported(ty, what));
            };
            let name = seg.ident.to_string();
            let generics: Vec<&Type> = match &seg.arguments {
                PathArguments::None => Vec::new(),
                PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|g| match g {
                        GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                PathArguments::Parenthesized(_) => return Err(unsupported(ty, what)),
            };
            match (name.as_str(), generics.as_slice()) {
                (
                    "bool" | "u8" | "u16" | "u32" | "u64" | "u128" | "i8" | "i16" | "i32" | "i64"
                    | "i128",
                    [],
                ) => Ok(name),
                ("Balance", []) => Ok("u128".into()),
                ("String", []) => Ok("string".into()),
                ("Address", []) => Ok("address".into()),
                ("Hash", []) => Ok("hash".into()),
                ("Vec", [t]) if is_u8(t) => Ok("bytes".into()),
                ("Vec", [t]) => Ok(format!("vec<{}>", abi_type(t, what)?)),
                ("Option", [t]) => Ok(format!("option<{}>", abi_type(t, what)?)),
                _ => Err(unsupported(ty, what)),
            }
        }
        _ => Err(unsupported(ty, what)),
    }
}

fn is_u8(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("u8"))
}

fn unsupported(ty: &Type, what: &str) -> syn::Error {
    syn::Error::new_spanned(
        ty,
        format!(
            "unsupported {what} type `{}`: contract interfaces support {SUPPORTED}",
            compact(ty)
        ),
    )
}

/// `ty` as written, without the token spacing.
pub(crate) fn compact(ty: &impl ToTokens) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace(" :: ", "::")
        .replace("& ", "&")
}

/// `s` as a JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// keccak-256 of `data`, computed at compile time (event signature hashes).
pub(crate) fn keccak256(data: &[u8]) -> [u8; 32] {
    use tiny_keccak::Hasher;
    let mut h = tiny_keccak::Keccak::v256();
    h.update(data);
    let mut out = [0u8; 32];
    h.finalize(&mut out);
    out
}

/// The item that embeds one ABI line (JSON and a newline) in the `cairn:abi` custom
/// section; the linker concatenates the lines of a contract and its events.
pub(crate) fn section(ident: &syn::Ident, json: &str) -> proc_macro2::TokenStream {
    let ident = syn::Ident::new(&ident.to_string().to_uppercase(), ident.span());
    let mut bytes = json.as_bytes().to_vec();
    bytes.push(b'\n');
    let len = bytes.len();
    let lit = syn::LitByteStr::new(&bytes, proc_macro2::Span::call_site());
    quote::quote! {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "cairn:abi")]
        #[used]
        #[doc(hidden)]
        static #ident: [u8; #len] = *#lit;
    }
}
