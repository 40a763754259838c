//! JSON ↔ canonical encoding, driven by a contract's ABI (`docs/protocol.md` §8): what lets
//! a client call any contract with JSON arguments and read JSON back.
//!
//! ```text
//!   "vec<tuple<address,u128>>"  ──parse──►  AbiType::Vec(Tuple[Address, U128])
//!   json!([["0x…", "5"]])       ──encode──► u32 count ‖ 20 bytes ‖ 16 bytes LE
//!   bytes                       ──decode──► json!([["0x…", "5"]])
//! ```
//!
//! JSON forms: integers up to 64 bits are numbers (strings accepted), 128-bit integers are
//! decimal strings (numbers accepted), `bytes`/`address`/`hash` are `0x` hex, `option` is
//! `null` or the value, tuples and arrays are JSON arrays, `unit` is `null`.

use cairn_primitives::{keccak256, parse_fixed_hex, parse_hex, to_hex};
use serde_json::{Map, Value, json};

/// Most nesting of an ABI type (bounds recursion on hostile ABIs and data).
const MAX_TYPE_DEPTH: usize = 16;
/// Most elements a decoded `vec`/`bytes` may claim (bounds allocation on hostile data).
const MAX_DECODED_LEN: usize = 1 << 20;

/// Arguments, results or an ABI that do not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    /// An ABI type name this client does not know.
    #[error("unknown ABI type `{0}`")]
    UnknownType(String),
    /// A JSON value that is not of the expected type.
    #[error("{path}: expected {expected}, got {got}")]
    Mismatch {
        /// Where (argument name, then indices).
        path: String,
        /// The ABI type.
        expected: String,
        /// What was given.
        got: String,
    },
    /// Arguments missing or extra.
    #[error("{0}")]
    Arguments(String),
    /// Bytes that do not decode as the type.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was decoded.
        what: String,
        /// Why it failed.
        reason: String,
    },
}

/// An ABI type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum AbiType {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    I8,
    I16,
    I32,
    I64,
    I128,
    String,
    Address,
    Hash,
    Bytes,
    Unit,
    Vec(Box<AbiType>),
    Option(Box<AbiType>),
    Tuple(Vec<AbiType>),
    Array(Box<AbiType>, usize),
}

impl AbiType {
    /// Parses an ABI type name (`u128`, `vec<address>`, `tuple<u8,array<u8,4>>`).
    ///
    /// # Errors
    /// A name outside the grammar.
    pub fn parse(s: &str) -> Result<Self, AbiError> {
        Self::parse_at(s.trim(), 0)
    }

    fn parse_at(s: &str, depth: usize) -> Result<Self, AbiError> {
        let unknown = || AbiError::UnknownType(s.to_owned());
        if depth > MAX_TYPE_DEPTH {
            return Err(unknown());
        }
        Ok(match s {
            "bool" => Self::Bool,
            "u8" => Self::U8,
            "u16" => Self::U16,
            "u32" => Self::U32,
            "u64" => Self::U64,
            "u128" => Self::U128,
            "i8" => Self::I8,
            "i16" => Self::I16,
            "i32" => Self::I32,
            "i64" => Self::I64,
            "i128" => Self::I128,
            "string" => Self::String,
            "address" => Self::Address,
            "hash" => Self::Hash,
            "bytes" => Self::Bytes,
            "unit" => Self::Unit,
            _ => {
                let (head, inner) = s
                    .split_once('<')
                    .and_then(|(h, rest)| rest.strip_suffix('>').map(|i| (h, i)))
                    .ok_or_else(unknown)?;
                let parts = split_top(inner).ok_or_else(unknown)?;
                let one = |parts: &[&str]| -> Result<Box<Self>, AbiError> {
                    match parts {
                        [t] => Ok(Box::new(Self::parse_at(t, depth + 1)?)),
                        _ => Err(unknown()),
                    }
                };
                match head {
                    "vec" => Self::Vec(one(&parts)?),
                    "option" => Self::Option(one(&parts)?),
                    "tuple" => Self::Tuple(
                        parts
                            .iter()
                            .map(|p| Self::parse_at(p, depth + 1))
                            .collect::<Result<_, _>>()?,
                    ),
                    "array" => match parts.as_slice() {
                        [t, n] => Self::Array(
                            Box::new(Self::parse_at(t, depth + 1)?),
                            n.trim().parse().map_err(|_| unknown())?,
                        ),
                        _ => return Err(unknown()),
                    },
                    _ => return Err(unknown()),
                }
            }
        })
    }
}

impl core::fmt::Display for AbiType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let simple = match self {
            Self::Bool => "bool",
            Self::U8 => "u8",
            Self::U16 => "u16",
            Self::U32 => "u32",
            Self::U64 => "u64",
            Self::U128 => "u128",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::I128 => "i128",
            Self::String => "string",
            Self::Address => "address",
            Self::Hash => "hash",
            Self::Bytes => "bytes",
            Self::Unit => "unit",
            Self::Vec(t) => return write!(f, "vec<{t}>"),
            Self::Option(t) => return write!(f, "option<{t}>"),
            Self::Array(t, n) => return write!(f, "array<{t},{n}>"),
            Self::Tuple(ts) => {
                f.write_str("tuple<")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{t}")?;
                }
                return f.write_str(">");
            }
        };
        f.write_str(simple)
    }
}

/// Splits `a,b<c,d>,e` at top-level commas.
fn split_top(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    out.push(s[start..].trim());
    (depth == 0).then_some(out)
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}…", &s[..s.floor_char_boundary(40)])
    } else {
        s
    }
}

/// Appends the canonical encoding of `value` as `ty` to `out`; `path` names the value in
/// errors.
///
/// # Errors
/// A value that does not fit the type.
pub fn encode_value(
    ty: &AbiType,
    value: &Value,
    path: &str,
    out: &mut Vec<u8>,
) -> Result<(), AbiError> {
    let mismatch = || AbiError::Mismatch {
        path: path.to_owned(),
        expected: ty.to_string(),
        got: describe(value),
    };
    macro_rules! int {
        ($t:ty) => {{
            let n: $t = match value {
                Value::Number(n) => n.to_string().parse().map_err(|_| mismatch())?,
                Value::String(s) => s.trim().parse().map_err(|_| mismatch())?,
                _ => return Err(mismatch()),
            };
            out.extend_from_slice(&n.to_le_bytes());
        }};
    }
    match ty {
        AbiType::Bool => out.push(u8::from(value.as_bool().ok_or_else(mismatch)?)),
        AbiType::U8 => int!(u8),
        AbiType::U16 => int!(u16),
        AbiType::U32 => int!(u32),
        AbiType::U64 => int!(u64),
        AbiType::U128 => int!(u128),
        AbiType::I8 => int!(i8),
        AbiType::I16 => int!(i16),
        AbiType::I32 => int!(i32),
        AbiType::I64 => int!(i64),
        AbiType::I128 => int!(i128),
        AbiType::String => {
            let s = value.as_str().ok_or_else(mismatch)?;
            push_len(out, s.len(), path)?;
            out.extend_from_slice(s.as_bytes());
        }
        AbiType::Address => {
            let s = value.as_str().ok_or_else(mismatch)?;
            out.extend_from_slice(&parse_fixed_hex::<20>(s).map_err(|_| mismatch())?);
        }
        AbiType::Hash => {
            let s = value.as_str().ok_or_else(mismatch)?;
            out.extend_from_slice(&parse_fixed_hex::<32>(s).map_err(|_| mismatch())?);
        }
        AbiType::Bytes => {
            let b = parse_hex(value.as_str().ok_or_else(mismatch)?).map_err(|_| mismatch())?;
            push_len(out, b.len(), path)?;
            out.extend_from_slice(&b);
        }
        AbiType::Unit => {
            if !value.is_null() {
                return Err(mismatch());
            }
        }
        AbiType::Option(t) => {
            if value.is_null() {
                out.push(0);
            } else {
                out.push(1);
                encode_value(t, value, path, out)?;
            }
        }
        AbiType::Vec(t) => {
            let items = value.as_array().ok_or_else(mismatch)?;
            push_len(out, items.len(), path)?;
            for (i, v) in items.iter().enumerate() {
                encode_value(t, v, &format!("{path}[{i}]"), out)?;
            }
        }
        AbiType::Array(t, n) => {
            let items = value.as_array().ok_or_else(mismatch)?;
            if items.len() != *n {
                return Err(mismatch());
            }
            for (i, v) in items.iter().enumerate() {
                encode_value(t, v, &format!("{path}[{i}]"), out)?;
            }
        }
        AbiType::Tuple(ts) => {
            let items = value.as_array().ok_or_else(mismatch)?;
            if items.len() != ts.len() {
                return Err(mismatch());
            }
            for (i, (t, v)) in ts.iter().zip(items).enumerate() {
                encode_value(t, v, &format!("{path}.{i}"), out)?;
            }
        }
    }
    Ok(())
}

fn push_len(out: &mut Vec<u8>, len: usize, path: &str) -> Result<(), AbiError> {
    let n = u32::try_from(len).map_err(|_| AbiError::Arguments(format!("{path}: too long")))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

/// Decodes one value of type `ty` from the front of `input`, advancing it.
///
/// # Errors
/// Bytes that do not decode as the type.
pub fn decode_value(ty: &AbiType, input: &mut &[u8]) -> Result<Value, AbiError> {
    let err = |reason: &str| AbiError::Decode {
        what: ty.to_string(),
        reason: reason.to_owned(),
    };
    fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if input.len() < n {
            return None;
        }
        let (head, rest) = input.split_at(n);
        *input = rest;
        Some(head)
    }
    macro_rules! int {
        ($t:ty, $json:expr) => {{
            let b = take(input, core::mem::size_of::<$t>()).ok_or_else(|| err("truncated"))?;
            let n = <$t>::from_le_bytes(b.try_into().expect("sized"));
            $json(n)
        }};
    }
    let len = |input: &mut &[u8]| -> Result<usize, AbiError> {
        let b = take(input, 4).ok_or_else(|| err("truncated length"))?;
        let n = u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize;
        if n > MAX_DECODED_LEN || n > input.len().max(1) * 64 {
            return Err(err("length larger than the data"));
        }
        Ok(n)
    };
    Ok(match ty {
        AbiType::Bool => match take(input, 1).ok_or_else(|| err("truncated"))? {
            [0] => json!(false),
            [1] => json!(true),
            _ => return Err(err("not 0 or 1")),
        },
        AbiType::U8 => int!(u8, |n| json!(n)),
        AbiType::U16 => int!(u16, |n| json!(n)),
        AbiType::U32 => int!(u32, |n| json!(n)),
        AbiType::U64 => int!(u64, |n| json!(n)),
        AbiType::U128 => int!(u128, |n: u128| json!(n.to_string())),
        AbiType::I8 => int!(i8, |n| json!(n)),
        AbiType::I16 => int!(i16, |n| json!(n)),
        AbiType::I32 => int!(i32, |n| json!(n)),
        AbiType::I64 => int!(i64, |n| json!(n)),
        AbiType::I128 => int!(i128, |n: i128| json!(n.to_string())),
        AbiType::String => {
            let n = len(input)?;
            let b = take(input, n).ok_or_else(|| err("truncated"))?;
            json!(std::str::from_utf8(b).map_err(|_| err("not UTF-8"))?)
        }
        AbiType::Address => json!(to_hex(take(input, 20).ok_or_else(|| err("truncated"))?)),
        AbiType::Hash => json!(to_hex(take(input, 32).ok_or_else(|| err("truncated"))?)),
        AbiType::Bytes => {
            let n = len(input)?;
            json!(to_hex(take(input, n).ok_or_else(|| err("truncated"))?))
        }
        AbiType::Unit => Value::Null,
        AbiType::Option(t) => match take(input, 1).ok_or_else(|| err("truncated"))? {
            [0] => Value::Null,
            [1] => decode_value(t, input)?,
            _ => return Err(err("bad option tag")),
        },
        AbiType::Vec(t) => {
            let n = len(input)?;
            let mut items = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                items.push(decode_value(t, input)?);
            }
            Value::Array(items)
        }
        AbiType::Array(t, n) => {
            let mut items = Vec::with_capacity((*n).min(1024));
            for _ in 0..*n {
                items.push(decode_value(t, input)?);
            }
            Value::Array(items)
        }
        AbiType::Tuple(ts) => Value::Array(
            ts.iter()
                .map(|t| decode_value(t, input))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// A named, typed parameter or field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: AbiType,
}

/// One method of the ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    /// Its name.
    pub name: String,
    /// `init`, `view`, `call` or `migrate`.
    pub kind: String,
    /// Whether it accepts value.
    pub payable: bool,
    /// Its parameters.
    pub args: Vec<Param>,
    /// Its return type.
    pub returns: AbiType,
    /// The name of its error type, if it returns `Result`.
    pub error: Option<String>,
}

/// One event of the ABI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventAbi {
    /// Its name.
    pub name: String,
    /// `Name(type,…)`; its keccak is the first topic.
    pub signature: String,
    /// keccak256 of the signature.
    pub signature_hash: [u8; 32],
    /// Its fields, in declaration order (the data encodes all of them).
    pub fields: Vec<Param>,
}

/// A variant of an error enum: its name and fields.
pub type Variant = (String, Vec<Param>);

/// A contract's ABI as `contract_getAbi` serves it, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abi {
    /// The contract's name.
    pub name: String,
    /// The code version.
    pub version: Option<u64>,
    /// Its methods.
    pub methods: Vec<Method>,
    /// Its events.
    pub events: Vec<EventAbi>,
    /// Its error enums: name and variants, in declaration order.
    pub errors: Vec<(String, Vec<Variant>)>,
    /// The document itself.
    pub json: Value,
}

fn field<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a Value, AbiError> {
    v.get(key)
        .ok_or_else(|| AbiError::Arguments(format!("ABI {what} lacks `{key}`")))
}

fn str_of(v: &Value, key: &str, what: &str) -> Result<String, AbiError> {
    field(v, key, what)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| AbiError::Arguments(format!("ABI {what}: `{key}` is not a string")))
}

fn params(v: Option<&Value>, what: &str) -> Result<Vec<Param>, AbiError> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    Ok(Param {
                        name: str_of(p, "name", what)?,
                        ty: AbiType::parse(&str_of(p, "type", what)?)?,
                    })
                })
                .collect()
        })
        .unwrap_or_else(|| Ok(Vec::new()))
}

impl Abi {
    /// Parses the merged ABI document.
    ///
    /// # Errors
    /// A document that does not follow `docs/protocol.md` §8.
    pub fn from_json(json: Value) -> Result<Self, AbiError> {
        let mut methods = Vec::new();
        for m in json
            .get("methods")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = str_of(m, "name", "method")?;
            methods.push(Method {
                kind: str_of(m, "kind", "method")?,
                payable: m.get("payable").and_then(Value::as_bool).unwrap_or(false),
                args: params(m.get("args"), "method")?,
                returns: AbiType::parse(
                    m.get("returns").and_then(Value::as_str).unwrap_or("unit"),
                )?,
                error: m.get("error").and_then(Value::as_str).map(str::to_owned),
                name,
            });
        }
        let mut events = Vec::new();
        for e in json
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let signature = str_of(e, "signature", "event")?;
            events.push(EventAbi {
                name: str_of(e, "name", "event")?,
                signature_hash: keccak256(signature.as_bytes()),
                signature,
                fields: params(e.get("fields"), "event")?,
            });
        }
        let mut errors = Vec::new();
        for e in json
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut variants = Vec::new();
            for v in e
                .get("variants")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                variants.push((
                    str_of(v, "name", "error")?,
                    params(v.get("fields"), "error")?,
                ));
            }
            errors.push((str_of(e, "name", "error")?, variants));
        }
        Ok(Self {
            name: json
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            version: json.get("version").and_then(Value::as_u64),
            methods,
            events,
            errors,
            json,
        })
    }

    /// The method `name`.
    ///
    /// # Errors
    /// No such method (the message lists the ones there are).
    pub fn method(&self, name: &str) -> Result<&Method, AbiError> {
        self.methods.iter().find(|m| m.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.methods.iter().map(|m| m.name.as_str()).collect();
            AbiError::Arguments(format!(
                "{} has no method `{name}` (it has: {})",
                if self.name.is_empty() {
                    "the contract"
                } else {
                    &self.name
                },
                known.join(", ")
            ))
        })
    }

    /// The event `name`.
    #[must_use]
    pub fn event(&self, name: &str) -> Option<&EventAbi> {
        self.events.iter().find(|e| e.name == name)
    }

    /// Decodes revert `data` as the error type `error` (`{"Variant": {fields…}}`).
    #[must_use]
    pub fn decode_error(&self, error: &str, data: &[u8]) -> Option<Value> {
        let (_, variants) = self.errors.iter().find(|(n, _)| n == error)?;
        let (&tag, mut rest) = data.split_first()?;
        let (name, fields) = variants.get(usize::from(tag))?;
        let mut obj = Map::new();
        for f in fields {
            obj.insert(f.name.clone(), decode_value(&f.ty, &mut rest).ok()?);
        }
        rest.is_empty()
            .then(|| json!({ name.clone(): Value::Object(obj) }))
    }
}

/// Encodes a method's arguments: `args` is an object keyed by parameter name, an array in
/// parameter order, or `null` for none.
///
/// # Errors
/// Missing, extra or mistyped arguments.
pub fn encode_args(method: &Method, args: &Value) -> Result<Vec<u8>, AbiError> {
    let mut out = Vec::new();
    let given: Vec<(&Param, &Value)> = match args {
        Value::Null => {
            if let Some(p) = method.args.first() {
                return Err(AbiError::Arguments(format!(
                    "`{}` takes arguments ({}); missing `{}`",
                    method.name,
                    signature(method),
                    p.name
                )));
            }
            Vec::new()
        }
        Value::Object(map) => {
            if let Some(extra) = map
                .keys()
                .find(|k| !method.args.iter().any(|p| &p.name == *k))
            {
                return Err(AbiError::Arguments(format!(
                    "`{}` has no parameter `{extra}` ({})",
                    method.name,
                    signature(method)
                )));
            }
            method
                .args
                .iter()
                .map(|p| {
                    map.get(&p.name).map(|v| (p, v)).ok_or_else(|| {
                        AbiError::Arguments(format!(
                            "missing argument `{}` of `{}` ({})",
                            p.name,
                            method.name,
                            signature(method)
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        }
        Value::Array(items) => {
            if items.len() != method.args.len() {
                return Err(AbiError::Arguments(format!(
                    "`{}` takes {} arguments ({}), got {}",
                    method.name,
                    method.args.len(),
                    signature(method),
                    items.len()
                )));
            }
            method.args.iter().zip(items).collect()
        }
        other => {
            return Err(AbiError::Arguments(format!(
                "arguments are a JSON object or array, not {}",
                describe(other)
            )));
        }
    };
    for (p, v) in given {
        encode_value(&p.ty, v, &p.name, &mut out)?;
    }
    Ok(out)
}

fn signature(m: &Method) -> String {
    let ps: Vec<String> = m
        .args
        .iter()
        .map(|p| format!("{}: {}", p.name, p.ty))
        .collect();
    format!("{}({})", m.name, ps.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_and_print_back() {
        for s in [
            "u128",
            "vec<address>",
            "tuple<u8,array<u8,4>>",
            "option<vec<tuple<string,bytes>>>",
        ] {
            assert_eq!(AbiType::parse(s).unwrap().to_string(), s);
        }
        for bad in ["u256", "vec<", "tuple<u8", "array<u8>", "vec<u8,u8>"] {
            assert!(AbiType::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_round_trip_through_the_encoding() {
        let ty = AbiType::parse(
            "tuple<bool,u64,u128,i32,string,address,bytes,option<u8>,vec<u16>,array<u8,2>,unit>",
        )
        .unwrap();
        let v = json!([
            true,
            7,
            "340282366920938463463374607431768211455",
            -5,
            "hé",
            format!("0x{}", "ab".repeat(20)),
            "0x0102",
            null,
            [1, 2],
            [3, 4],
            null
        ]);
        let mut out = Vec::new();
        encode_value(&ty, &v, "x", &mut out).unwrap();
        let mut input = &out[..];
        assert_eq!(decode_value(&ty, &mut input).unwrap(), v);
        assert!(input.is_empty());
    }

    #[test]
    fn encoding_matches_borsh() {
        let ty = AbiType::parse("tuple<u32,string,vec<u128>>").unwrap();
        let mut out = Vec::new();
        encode_value(&ty, &json!([5, "ab", ["1", 2]]), "x", &mut out).unwrap();
        let mut expected = Vec::new();
        expected.extend_from_slice(&5u32.to_le_bytes());
        expected.extend_from_slice(&2u32.to_le_bytes());
        expected.extend_from_slice(b"ab");
        expected.extend_from_slice(&2u32.to_le_bytes());
        expected.extend_from_slice(&1u128.to_le_bytes());
        expected.extend_from_slice(&2u128.to_le_bytes());
        assert_eq!(out, expected);
    }

    #[test]
    fn mistyped_values_name_the_argument() {
        let err = encode_value(&AbiType::U8, &json!(300), "amount", &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "amount: expected u8, got 300");
        let err =
            encode_value(&AbiType::Address, &json!("0x12"), "to", &mut Vec::new()).unwrap_err();
        assert!(err.to_string().starts_with("to: expected address"), "{err}");
    }

    #[test]
    fn hostile_lengths_are_refused_without_allocating() {
        let data = [0xff, 0xff, 0xff, 0x7f];
        assert!(decode_value(&AbiType::Bytes, &mut &data[..]).is_err());
        assert!(decode_value(&AbiType::parse("vec<u8>").unwrap(), &mut &data[..]).is_err());
    }
}
