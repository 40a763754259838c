//! `#[contract]`: the state struct and the exported methods.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, Item, ItemImpl, ItemStruct, Pat, ReturnType, Type};

use crate::abi::{abi_type, compact, json_str, section};

/// Attributes `#[contract]` reads on methods (and removes).
const METHOD_ATTRS: &[&str] = &["init", "view", "call", "payable", "migrate"];

/// The code version when `#[contract(version = N)]` does not say.
const DEFAULT_VERSION: u32 = 1;

/// Most parameters a method may take (borsh encodes tuples up to this size).
const MAX_ARGS: usize = 12;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    match syn::parse2::<Item>(item)? {
        Item::Struct(s) => {
            if let Some(first) = attr.into_iter().next() {
                return Err(syn::Error::new(
                    first.span(),
                    "#[contract] on the struct takes no arguments (the version goes on the impl block)",
                ));
            }
            Ok(state(&s))
        }
        Item::Impl(i) => methods(i, version(attr)?),
        other => Err(syn::Error::new(
            other.span(),
            "#[contract] goes on the contract's struct and on its impl block",
        )),
    }
}

/// `version = N` (a `u32` literal), or the default.
fn version(attr: TokenStream) -> syn::Result<u32> {
    if attr.is_empty() {
        return Ok(DEFAULT_VERSION);
    }
    let meta: syn::MetaNameValue = syn::parse2(attr).map_err(|e| {
        syn::Error::new(
            e.span(),
            "#[contract] on the impl block takes `version = N` only",
        )
    })?;
    if !meta.path.is_ident("version") {
        return Err(syn::Error::new(
            meta.path.span(),
            "#[contract] on the impl block takes `version = N` only",
        ));
    }
    match &meta.value {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<u32>(),
        other => Err(syn::Error::new(
            other.span(),
            "the contract version is an integer literal (a u32)",
        )),
    }
}

fn state(s: &ItemStruct) -> TokenStream {
    quote! {
        #[derive(::cairn_sdk::borsh::BorshSerialize, ::cairn_sdk::borsh::BorshDeserialize)]
        #[borsh(crate = "::cairn_sdk::borsh")]
        #s
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Init,
    View,
    Call,
    Migrate,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Receiver {
    None,
    Ref,
    RefMut,
}

enum Returns {
    Value(Option<Box<Type>>),
    Result(Box<Type>, Box<Type>),
}

struct Method {
    name: syn::Ident,
    kind: Kind,
    payable: bool,
    receiver: Receiver,
    args: Vec<(syn::Ident, Type)>,
    returns: Returns,
}

fn methods(mut imp: ItemImpl, version: u32) -> syn::Result<TokenStream> {
    if imp.trait_.is_some() {
        return Err(syn::Error::new(
            imp.span(),
            "#[contract] goes on the contract's inherent impl block, not a trait impl",
        ));
    }
    if !imp.generics.params.is_empty() {
        return Err(syn::Error::new(
            imp.generics.span(),
            "a contract cannot be generic",
        ));
    }
    let self_ty = (*imp.self_ty).clone();
    let contract_name = match &self_ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => {
            return Err(syn::Error::new(
                self_ty.span(),
                "#[contract] needs a named struct",
            ));
        }
    };
    let mut found = Vec::new();
    for item in &mut imp.items {
        if let ImplItem::Fn(f) = item
            && let Some(m) = method(f, &contract_name)?
        {
            found.push(m);
        }
    }
    if found.is_empty() {
        return Err(syn::Error::new(
            imp.self_ty.span(),
            "a contract needs at least one method marked #[init], #[view] or #[call]",
        ));
    }
    let mut migrations = found.iter().filter(|m| m.kind == Kind::Migrate);
    if let (Some(_), Some(second)) = (migrations.next(), migrations.next()) {
        return Err(syn::Error::new(
            second.name.span(),
            "a contract has at most one #[migrate] method",
        ));
    }
    // Contract methods take owned arguments by design (they are decoded from the input).
    imp.attrs
        .push(syn::parse_quote!(#[allow(clippy::needless_pass_by_value)]));
    let exports = found.iter().map(|m| export(m, &self_ty, version));
    let default_migrate = if found.iter().any(|m| m.kind == Kind::Migrate) {
        quote! {}
    } else {
        default_migrate(version)
    };
    let json = abi_json(&contract_name, version, &found)?;
    let abi = section(&format_ident!("__CAIRN_ABI_{}", contract_name), &json);
    Ok(quote! {
        #imp
        #(#exports)*
        #default_migrate
        #abi
    })
}

/// Reads and strips the method attributes; `None` for a method that is not exported.
fn method(f: &mut ImplItemFn, contract: &str) -> syn::Result<Option<Method>> {
    let mut kinds = Vec::new();
    let mut payable = false;
    let mut kept = Vec::new();
    for attr in f.attrs.drain(..) {
        let name = attr.path().get_ident().map(ToString::to_string);
        match name.as_deref() {
            Some(n) if METHOD_ATTRS.contains(&n) => {
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    return Err(syn::Error::new(
                        attr.span(),
                        format!("#[{n}] takes no arguments"),
                    ));
                }
                match n {
                    "init" => kinds.push((Kind::Init, attr.span())),
                    "migrate" => kinds.push((Kind::Migrate, attr.span())),
                    "view" => kinds.push((Kind::View, attr.span())),
                    "call" => kinds.push((Kind::Call, attr.span())),
                    _ => payable = true,
                }
            }
            _ => kept.push(attr),
        }
    }
    f.attrs = kept;
    let kind = match kinds.as_slice() {
        [] if payable => Kind::Call,
        [] => return Ok(None),
        [(k, _)] => *k,
        [_, (_, span), ..] => {
            return Err(syn::Error::new(
                *span,
                "a method is exactly one of #[init], #[view], #[call] or #[migrate]",
            ));
        }
    };
    let sig = &f.sig;
    let name = sig.ident.clone();
    if name.to_string().starts_with("cairn_") {
        return Err(syn::Error::new(
            name.span(),
            "method names starting with `cairn_` are reserved for the platform",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "contract methods cannot be generic: their arguments come from a transaction",
        ));
    }
    if sig.asyncness.is_some() {
        return Err(syn::Error::new(
            sig.asyncness.span(),
            "contract methods cannot be async",
        ));
    }
    if kind == Kind::View && payable {
        return Err(syn::Error::new(
            name.span(),
            "a #[view] cannot be #[payable]: views do not accept value",
        ));
    }
    let mut receiver = Receiver::None;
    let mut args = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                if r.reference.is_none() {
                    return Err(syn::Error::new_spanned(
                        r,
                        "contract methods take `&self` or `&mut self`, not `self`",
                    ));
                }
                receiver = if r.mutability.is_some() {
                    Receiver::RefMut
                } else {
                    Receiver::Ref
                };
                if kind == Kind::View && receiver == Receiver::RefMut {
                    return Err(syn::Error::new_spanned(
                        r,
                        "a #[view] method cannot take `&mut self`: views are read-only; \
                         take `&self`, or mark the method #[call] to change state",
                    ));
                }
            }
            FnArg::Typed(t) => {
                let Pat::Ident(id) = &*t.pat else {
                    return Err(syn::Error::new(
                        t.pat.span(),
                        "contract method parameters must be plain names (no patterns)",
                    ));
                };
                abi_type(&t.ty, "argument")?;
                args.push((id.ident.clone(), (*t.ty).clone()));
            }
        }
    }
    if args.len() > MAX_ARGS {
        return Err(syn::Error::new(
            sig.inputs.span(),
            format!(
                "a contract method takes at most {MAX_ARGS} parameters; group them in a struct-like tuple or Vec"
            ),
        ));
    }
    if kind == Kind::Migrate {
        let first_is_u32 = args
            .first()
            .is_some_and(|(_, t)| matches!(t, Type::Path(p) if p.path.is_ident("u32")));
        if receiver != Receiver::None || !first_is_u32 || payable {
            return Err(syn::Error::new_spanned(
                &sig.inputs,
                "a #[migrate] method takes no `self` and is not payable: its first parameter \
                 is the previous code version (`u32`), then its own arguments; it returns \
                 the new state (`Self` or `Result<Self, E>`)",
            ));
        }
        args.remove(0);
    }
    match (kind, receiver) {
        (Kind::Init | Kind::Migrate, Receiver::None)
        | (Kind::View | Kind::Call, Receiver::Ref | Receiver::RefMut) => {}
        (Kind::Init | Kind::Migrate, _) => {
            return Err(syn::Error::new_spanned(
                &sig.inputs,
                "an #[init] constructor takes no `self`: it returns the new state (`Self`)",
            ));
        }
        (_, Receiver::None) => {
            return Err(syn::Error::new(
                name.span(),
                "#[view] and #[call] methods take `&self` or `&mut self`",
            ));
        }
    }
    let returns = match &sig.output {
        ReturnType::Default => Returns::Value(None),
        ReturnType::Type(_, ty) => match result_parts(ty) {
            Some((ok, err)) => Returns::Result(Box::new(ok), Box::new(err)),
            None => Returns::Value(Some(ty.clone())),
        },
    };
    if matches!(kind, Kind::Init | Kind::Migrate) {
        let ok = match &returns {
            Returns::Value(Some(t)) | Returns::Result(t, _) => Some(t),
            Returns::Value(None) => None,
        };
        if !ok.is_some_and(|t| is_self(t, contract)) {
            return Err(syn::Error::new(
                sig.output.span(),
                if kind == Kind::Init {
                    "an #[init] constructor returns `Self` or `Result<Self, E>`"
                } else {
                    "a #[migrate] method returns the new state: `Self` or `Result<Self, E>`"
                },
            ));
        }
    } else {
        match &returns {
            Returns::Value(Some(t)) | Returns::Result(t, _) => {
                abi_type(t, "return")?;
            }
            Returns::Value(None) => {}
        }
    }
    Ok(Some(Method {
        name,
        kind,
        payable,
        receiver,
        args,
        returns,
    }))
}

/// `Result<T, E>` → `(T, E)`.
fn result_parts(ty: &Type) -> Option<(Type, Type)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
        return None;
    };
    let mut types = a.args.iter().filter_map(|g| match g {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    Some((types.next()?, types.next()?))
}

fn is_self(ty: &Type, contract: &str) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("Self") || p.path.is_ident(contract))
}

fn export(m: &Method, self_ty: &Type, version: u32) -> TokenStream {
    let name = &m.name;
    let name_str = name.to_string();
    let export_name = if m.kind == Kind::Migrate {
        "cairn_migrate".to_owned()
    } else {
        name_str.clone()
    };
    let export_fn = format_ident!("__cairn_export_{}", name);
    let names: Vec<_> = m.args.iter().map(|(n, _)| n).collect();
    let types: Vec<_> = m.args.iter().map(|(_, t)| t).collect();
    let value_check = if m.payable || m.kind == Kind::Migrate {
        quote! {}
    } else {
        quote! { ::cairn_sdk::__private::check_not_payable(#name_str); }
    };
    let decode = if names.is_empty() {
        quote! {}
    } else {
        quote! {
            let (#(#names,)*): (#(#types,)*) = ::cairn_sdk::__private::input(#name_str);
        }
    };
    let wrap = |call: TokenStream| match m.returns {
        Returns::Result(..) => quote! { ::cairn_sdk::__private::unwrap_result(#call) },
        Returns::Value(_) => call,
    };
    let body = match (m.kind, m.receiver) {
        (Kind::Init, _) => {
            let call = wrap(quote! { <#self_ty>::#name(#(#names),*) });
            quote! {
                ::cairn_sdk::__private::init_guard();
                #decode
                let __state: #self_ty = #call;
                ::cairn_sdk::__private::save_state(&__state);
                ::cairn_sdk::__private::set_version(#version);
            }
        }
        (Kind::Migrate, _) => {
            let call = wrap(quote! { <#self_ty>::#name(__from, #(#names),*) });
            quote! {
                let __from = ::cairn_sdk::__private::stored_version();
                #decode
                let __state: #self_ty = #call;
                ::cairn_sdk::__private::save_state(&__state);
                ::cairn_sdk::__private::set_version(#version);
            }
        }
        (_, Receiver::RefMut) => {
            let call = wrap(quote! { __state.#name(#(#names),*) });
            quote! {
                #decode
                let mut __state: #self_ty = ::cairn_sdk::__private::load_state();
                let __ret = #call;
                ::cairn_sdk::__private::save_state(&__state);
                ::cairn_sdk::__private::return_value(&__ret);
            }
        }
        _ => {
            let call = wrap(quote! { __state.#name(#(#names),*) });
            quote! {
                #decode
                let __state: #self_ty = ::cairn_sdk::__private::load_state();
                let __ret = #call;
                ::cairn_sdk::__private::return_value(&__ret);
            }
        }
    };
    // Checked on every target (the export itself is wasm-only), so a bad error type is a
    // compile error in native unit tests too.
    let error_check = match &m.returns {
        Returns::Result(_, e) => quote! {
            const _: fn() = || ::cairn_sdk::__private::assert_contract_error::<#e>();
        },
        Returns::Value(_) => quote! {},
    };
    quote! {
        #error_check
        #[cfg(target_arch = "wasm32")]
        #[unsafe(export_name = #export_name)]
        #[doc(hidden)]
        pub extern "C" fn #export_fn() {
            #value_check
            #body
        }
    }
}

/// The migration of a contract without `#[migrate]`: keeps the state as it is (the layout
/// must not have changed), refuses a downgrade, and records the new version.
fn default_migrate(version: u32) -> TokenStream {
    quote! {
        #[cfg(target_arch = "wasm32")]
        #[unsafe(export_name = "cairn_migrate")]
        #[doc(hidden)]
        pub extern "C" fn __cairn_default_migrate() {
            ::cairn_sdk::__private::default_migrate(#version);
        }
    }
}

fn abi_json(contract: &str, version: u32, methods: &[Method]) -> syn::Result<String> {
    let mut out = format!(
        "{{\"kind\":\"contract\",\"abi_version\":1,\"name\":{},\"version\":{version},\"methods\":[",
        json_str(contract)
    );
    for (i, m) in methods.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let kind = match m.kind {
            Kind::Init => "init",
            Kind::View => "view",
            Kind::Call => "call",
            Kind::Migrate => "migrate",
        };
        out.push_str(&format!(
            "{{\"name\":{},\"kind\":\"{kind}\",\"payable\":{},\"mutates\":{},\"args\":[",
            json_str(&m.name.to_string()),
            m.payable,
            m.kind != Kind::View && m.receiver != Receiver::Ref
        ));
        for (j, (n, t)) in m.args.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{\"name\":{},\"type\":{}}}",
                json_str(&n.to_string()),
                json_str(&abi_type(t, "argument")?)
            ));
        }
        let (returns, error) = match (&m.returns, m.kind) {
            (_, Kind::Init | Kind::Migrate) | (Returns::Value(None), _) => {
                ("unit".to_owned(), None)
            }
            (Returns::Value(Some(t)), _) => (abi_type(t, "return")?, None),
            (Returns::Result(t, e), _) => (abi_type(t, "return")?, Some(compact(e))),
        };
        let error = match (&m.returns, error) {
            (Returns::Result(_, e), None) => Some(compact(e)),
            (_, e) => e,
        };
        out.push_str(&format!(
            "],\"returns\":{},\"error\":{}}}",
            json_str(&returns),
            error.map_or_else(|| "null".to_owned(), |e| json_str(&e))
        ));
    }
    out.push_str("]}");
    Ok(out)
}
