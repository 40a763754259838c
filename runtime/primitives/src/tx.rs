//! Transactions: what a sender signs, what the chain executes, and their limits.
//!
//! ```text
//! Transaction { chain_id, nonce, gas_limit, gas_price,
//!               kind: Transfer | Deploy | Call | Upgrade | SetAdmin | Dev }
//!      │ signing message = "cairn/tx/v1" ‖ encode(tx)
//!      ▼
//! SignedTransaction { tx, public_key, signature } ── encode ── keccak256 ──► tx hash
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use borsh::io::{Read, Result as IoResult, Write};
use borsh::{BorshDeserialize, BorshSerialize};

use crate::codec::{bad_tag, check_len, read_tag};
use crate::limits::{
    MAX_ARGS_SIZE, MAX_CODE_SIZE, MAX_METHOD_NAME_LEN, MAX_STORAGE_KEY_SIZE,
    MAX_STORAGE_VALUE_SIZE, MAX_TX_SIZE,
};
use crate::{Address, Amount, Canonical, ChainId, DecodeError, Gas, Hash, Nonce};

/// Domain tag prefixed to the encoded transaction to form the signing message; it keeps a
/// transaction signature from being valid as any other kind of signed message.
pub const TX_SIGNING_DOMAIN: &[u8] = b"cairn/tx/v1";

/// Defines an enum of newtype variants with explicit one-byte borsh tags, so an unknown tag
/// decodes to [`DecodeError::InvalidTag`].
macro_rules! tagged_enum {
    ($name:ident, $($tag:literal => $variant:ident($inner:ty)),+ $(,)?) => {
        impl BorshSerialize for $name {
            fn serialize<W: Write>(&self, writer: &mut W) -> IoResult<()> {
                match self {
                    $(Self::$variant(inner) => {
                        writer.write_all(&[$tag])?;
                        inner.serialize(writer)
                    })+
                }
            }
        }

        impl BorshDeserialize for $name {
            fn deserialize_reader<R: Read>(reader: &mut R) -> IoResult<Self> {
                match read_tag(reader)? {
                    $($tag => Ok(Self::$variant(<$inner>::deserialize_reader(reader)?)),)+
                    tag => Err(bad_tag(stringify!($name), tag)),
                }
            }
        }
    };
}

/// An unsigned transaction.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Transaction {
    /// The chain this transaction is for; part of the signed message.
    pub chain_id: ChainId,
    /// The sender's next nonce.
    pub nonce: Nonce,
    /// Most gas the transaction may use; the sender must afford `gas_limit × gas_price + value`.
    pub gas_limit: Gas,
    /// Price per unit of gas, paid to the block proposer for the gas actually used.
    #[borsh(
        serialize_with = "crate::u256_borsh::serialize",
        deserialize_with = "crate::u256_borsh::deserialize"
    )]
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::u256_dec"))]
    pub gas_price: Amount,
    /// What the transaction does.
    pub kind: TxKind,
}

/// What a transaction does.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum TxKind {
    /// Move native tokens to an account or contract (tag 0).
    Transfer(Transfer),
    /// Deploy contract code, optionally running an init method (tag 1).
    Deploy(Deploy),
    /// Call a method of a deployed contract (tag 2).
    Call(Call),
    /// Replace an upgradable contract's code, running its migration (tag 3; admin only).
    Upgrade(Upgrade),
    /// Hand an upgradable contract to another admin, or give it up (tag 4; admin only).
    SetAdmin(SetAdmin),
    /// A devnet override (tag 5): valid only on a chain whose genesis names a dev
    /// authority, and only when that authority signs it.
    Dev(DevOp),
}

tagged_enum!(
    TxKind,
    0 => Transfer(Transfer),
    1 => Deploy(Deploy),
    2 => Call(Call),
    3 => Upgrade(Upgrade),
    4 => SetAdmin(SetAdmin),
    5 => Dev(DevOp),
);

/// A devnet override of the state, signed by the chain's dev authority. It travels in a
/// block like any transaction, so every validator applies it at the same point and the
/// chain stays re-executable; a chain without a dev authority refuses it at the pre-check.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "op", rename_all = "snake_case"))]
pub enum DevOp {
    /// Write or delete an account record (tag 0).
    SetAccount(DevSetAccount),
    /// Write or delete one contract storage slot (tag 1).
    SetStorage(DevSetStorage),
    /// Install validated code at an address, keeping its balance, nonce and storage (tag 2).
    SetCode(DevSetCode),
    /// Run a user transaction as `from`, without `from`'s key (tag 3).
    Impersonate(DevImpersonate),
    /// Several account and storage writes at once (tag 4; `dev_revert` restores a snapshot
    /// with these).
    Restore(DevRestore),
}

tagged_enum!(
    DevOp,
    0 => SetAccount(DevSetAccount),
    1 => SetStorage(DevSetStorage),
    2 => SetCode(DevSetCode),
    3 => Impersonate(DevImpersonate),
    4 => Restore(DevRestore),
);

/// An account record as a dev override writes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct DevAccountState {
    /// Next transaction nonce.
    pub nonce: Nonce,
    /// Native balance.
    #[borsh(
        serialize_with = "crate::u256_borsh::serialize",
        deserialize_with = "crate::u256_borsh::deserialize"
    )]
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::u256_dec"))]
    pub balance: Amount,
    /// Hash of the account's code (it must be code the chain stores), or `None`.
    pub code_hash: Option<Hash>,
    /// The contract's admin, or `None`.
    pub admin: Option<Address>,
}

/// [`DevOp::SetAccount`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct DevSetAccount {
    /// The account.
    pub address: Address,
    /// Its new record; `None` deletes it.
    pub account: Option<DevAccountState>,
}

/// [`DevOp::SetStorage`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct DevSetStorage {
    /// The contract.
    pub contract: Address,
    /// The storage key.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub key: Vec<u8>,
    /// The new value; `None` deletes the slot.
    pub value: Option<Vec<u8>>,
}

/// [`DevOp::SetCode`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct DevSetCode {
    /// Where the code goes (an existing contract, a plain account or an empty address).
    pub address: Address,
    /// The WebAssembly module, validated like a deploy's.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub code: Vec<u8>,
}

/// [`DevOp::Impersonate`]: `kind` runs exactly as if `from` had signed it with nonce
/// `from_nonce` (its nonce is bumped, a deploy's address derives from it, value comes
/// from its balance); the dev authority pays the fee.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct DevImpersonate {
    /// The account acted for.
    pub from: Address,
    /// `from`'s nonce when the transaction runs; a mismatch fails the transaction.
    pub from_nonce: Nonce,
    /// What it does (never another [`TxKind::Dev`]).
    pub kind: alloc::boxed::Box<TxKind>,
}

impl BorshDeserialize for DevImpersonate {
    fn deserialize_reader<R: Read>(reader: &mut R) -> IoResult<Self> {
        let from = Address::deserialize_reader(reader)?;
        let from_nonce = Nonce::deserialize_reader(reader)?;
        // Read the inner kind without recursing into another dev op, so no input can
        // nest decoding deeper than one level.
        let kind = match read_tag(reader)? {
            0 => TxKind::Transfer(Transfer::deserialize_reader(reader)?),
            1 => TxKind::Deploy(Deploy::deserialize_reader(reader)?),
            2 => TxKind::Call(Call::deserialize_reader(reader)?),
            3 => TxKind::Upgrade(Upgrade::deserialize_reader(reader)?),
            4 => TxKind::SetAdmin(SetAdmin::deserialize_reader(reader)?),
            tag => return Err(bad_tag("impersonated TxKind", tag)),
        };
        Ok(Self {
            from,
            from_nonce,
            kind: alloc::boxed::Box::new(kind),
        })
    }
}

/// [`DevOp::Restore`].
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct DevRestore {
    /// Account writes.
    pub accounts: Vec<DevSetAccount>,
    /// Storage writes.
    pub storage: Vec<DevSetStorage>,
}

/// A native-token transfer.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Transfer {
    /// Recipient.
    pub to: Address,
    /// Amount moved.
    #[borsh(
        serialize_with = "crate::u256_borsh::serialize",
        deserialize_with = "crate::u256_borsh::deserialize"
    )]
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::u256_dec"))]
    pub amount: Amount,
}

/// A contract deployment.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Deploy {
    /// The WebAssembly module.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub code: Vec<u8>,
    /// A method run once, atomically with the deploy (a constructor).
    pub init: Option<MethodCall>,
    /// With a salt the address is [`Address::for_create2`]; without, [`Address::for_create`].
    pub salt: Option<Hash>,
    /// Native tokens sent to the new contract.
    #[borsh(
        serialize_with = "crate::u256_borsh::serialize",
        deserialize_with = "crate::u256_borsh::deserialize"
    )]
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::u256_dec"))]
    pub value: Amount,
    /// The account allowed to upgrade the contract ([`Upgrade`]) and to hand that right
    /// on ([`SetAdmin`]). `None`: the code can never change.
    #[cfg_attr(feature = "serde", serde(default))]
    pub admin: Option<Address>,
}

/// An in-place code upgrade: only the contract's admin may send it. The new code is
/// validated and swapped in, then, if it exports [`MIGRATE_EXPORT`], that export runs with
/// `migrate_args` on the kept storage, atomically: if it fails, the old code stays.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Upgrade {
    /// The contract to upgrade.
    pub contract: Address,
    /// The new WebAssembly module.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub code: Vec<u8>,
    /// Canonically encoded arguments of the migration, at most [`MAX_ARGS_SIZE`] bytes.
    #[cfg_attr(
        feature = "serde",
        serde(default, with = "crate::serde_helpers::hex_bytes")
    )]
    pub migrate_args: Vec<u8>,
}

/// A change of an upgradable contract's admin; only the current admin may send it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct SetAdmin {
    /// The contract.
    pub contract: Address,
    /// The new admin; `None` makes the code immutable for good.
    pub admin: Option<Address>,
}

/// The export an upgrade runs on the new code, if present (the `cairn_` prefix keeps it
/// out of reach of calls: only an [`Upgrade`] can run it).
pub const MIGRATE_EXPORT: &str = "cairn_migrate";

/// A method name and its encoded arguments.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct MethodCall {
    /// The method: `[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_METHOD_NAME_LEN`] bytes.
    pub method: String,
    /// Canonically encoded arguments, at most [`MAX_ARGS_SIZE`] bytes.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub args: Vec<u8>,
}

/// A call to a deployed contract.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Call {
    /// The contract.
    pub to: Address,
    /// The method: `[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_METHOD_NAME_LEN`] bytes.
    pub method: String,
    /// Canonically encoded arguments, at most [`MAX_ARGS_SIZE`] bytes.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_bytes"))]
    pub args: Vec<u8>,
    /// Native tokens attached to the call.
    #[borsh(
        serialize_with = "crate::u256_borsh::serialize",
        deserialize_with = "crate::u256_borsh::deserialize"
    )]
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::u256_dec"))]
    pub value: Amount,
}

/// Checks a method name: 1 to [`MAX_METHOD_NAME_LEN`] bytes of `[A-Za-z_][A-Za-z0-9_]*`.
///
/// # Errors
/// [`DecodeError::FieldTooLarge`] or [`DecodeError::InvalidField`] naming `field`.
pub fn validate_method_name(field: &'static str, name: &str) -> Result<(), DecodeError> {
    check_len(field, name.len(), MAX_METHOD_NAME_LEN)?;
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(DecodeError::InvalidField {
            field,
            reason: alloc::format!("method name {name:?} is not an identifier"),
        });
    }
    Ok(())
}

impl Transaction {
    /// The exact bytes a sender signs: [`TX_SIGNING_DOMAIN`] followed by the encoding.
    #[must_use]
    pub fn signing_message(&self) -> Vec<u8> {
        let mut msg = Vec::with_capacity(TX_SIGNING_DOMAIN.len() + 128);
        msg.extend_from_slice(TX_SIGNING_DOMAIN);
        self.serialize(&mut msg)
            .expect("writing to a Vec cannot fail");
        msg
    }

    /// The value the transaction moves (transfer amount, deploy or call value).
    #[must_use]
    pub fn value(&self) -> Amount {
        match &self.kind {
            TxKind::Transfer(t) => t.amount,
            TxKind::Deploy(d) => d.value,
            TxKind::Call(c) => c.value,
            // An impersonated transaction's value comes from the impersonated account,
            // not from the dev authority that signs it.
            TxKind::Upgrade(_) | TxKind::SetAdmin(_) | TxKind::Dev(_) => Amount::zero(),
        }
    }

    /// The code the transaction installs (a deploy's or an upgrade's), which intrinsic
    /// gas charges per byte.
    #[must_use]
    pub fn code(&self) -> Option<&[u8]> {
        kind_code(&self.kind)
    }

    /// Checks the limits of every field.
    ///
    /// # Errors
    /// The first limit broken.
    pub fn validate(&self) -> Result<(), DecodeError> {
        validate_kind(&self.kind)
    }
}

/// The code `kind` installs (an impersonated kind's included).
fn kind_code(kind: &TxKind) -> Option<&[u8]> {
    match kind {
        TxKind::Deploy(d) => Some(&d.code),
        TxKind::Upgrade(u) => Some(&u.code),
        TxKind::Dev(DevOp::SetCode(c)) => Some(&c.code),
        TxKind::Dev(DevOp::Impersonate(i)) => kind_code(&i.kind),
        _ => None,
    }
}

fn validate_kind(kind: &TxKind) -> Result<(), DecodeError> {
    match kind {
        TxKind::Transfer(_) => Ok(()),
        TxKind::Deploy(d) => {
            check_len("deploy.code", d.code.len(), MAX_CODE_SIZE)?;
            if let Some(init) = &d.init {
                validate_method_name("deploy.init.method", &init.method)?;
                check_len("deploy.init.args", init.args.len(), MAX_ARGS_SIZE)?;
            }
            Ok(())
        }
        TxKind::Call(c) => {
            validate_method_name("call.method", &c.method)?;
            check_len("call.args", c.args.len(), MAX_ARGS_SIZE)
        }
        TxKind::Upgrade(u) => {
            check_len("upgrade.code", u.code.len(), MAX_CODE_SIZE)?;
            check_len("upgrade.migrate_args", u.migrate_args.len(), MAX_ARGS_SIZE)
        }
        TxKind::SetAdmin(_) => Ok(()),
        TxKind::Dev(op) => op.validate(),
    }
}

impl DevOp {
    /// Checks the limits of every field; an impersonated kind is never another dev op.
    ///
    /// # Errors
    /// The first limit broken.
    pub fn validate(&self) -> Result<(), DecodeError> {
        match self {
            DevOp::SetAccount(_) => Ok(()),
            DevOp::SetStorage(s) => validate_dev_storage(s),
            DevOp::SetCode(c) => check_len("dev.set_code.code", c.code.len(), MAX_CODE_SIZE),
            DevOp::Impersonate(i) => match &*i.kind {
                TxKind::Dev(_) => Err(DecodeError::InvalidField {
                    field: "dev.impersonate.kind",
                    reason: "a dev op cannot be impersonated".into(),
                }),
                kind => validate_kind(kind),
            },
            DevOp::Restore(r) => r.storage.iter().try_for_each(validate_dev_storage),
        }
    }
}

fn validate_dev_storage(s: &DevSetStorage) -> Result<(), DecodeError> {
    check_len("dev.set_storage.key", s.key.len(), MAX_STORAGE_KEY_SIZE)?;
    check_len(
        "dev.set_storage.value",
        s.value.as_ref().map_or(0, Vec::len),
        MAX_STORAGE_VALUE_SIZE,
    )
}

impl Canonical for Transaction {
    const NAME: &'static str = "Transaction";
    const MAX_SIZE: usize = MAX_TX_SIZE;

    fn validate(&self) -> Result<(), DecodeError> {
        Transaction::validate(self)
    }
}

/// A transaction with the sender's ed25519 public key and signature.
///
/// The sender is [`Address::from_public_key`] of `public_key`; the hash is keccak-256 of the
/// whole encoding (signature included).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct SignedTransaction {
    /// The signed transaction.
    pub tx: Transaction,
    /// The sender's ed25519 public key (32 bytes, compressed Edwards point).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_array"))]
    pub public_key: [u8; 32],
    /// ed25519 signature of [`Transaction::signing_message`] (64 bytes: R ‖ S).
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_helpers::hex_array"))]
    pub signature: [u8; 64],
}

impl SignedTransaction {
    /// The sender's address, derived from the public key.
    #[must_use]
    pub fn sender(&self) -> Address {
        Address::from_public_key(&self.public_key)
    }

    /// The account the transaction acts for: the impersonated account of a
    /// [`DevOp::Impersonate`], otherwise the sender.
    #[must_use]
    pub fn origin(&self) -> Address {
        match &self.tx.kind {
            TxKind::Dev(DevOp::Impersonate(i)) => i.from,
            _ => self.sender(),
        }
    }

    /// What the transaction does for its [`Self::origin`]: the impersonated kind of a
    /// [`DevOp::Impersonate`], otherwise the kind itself.
    #[must_use]
    pub fn effective_kind(&self) -> &TxKind {
        match &self.tx.kind {
            TxKind::Dev(DevOp::Impersonate(i)) => &i.kind,
            kind => kind,
        }
    }

    /// The origin's nonce the transaction runs with (the impersonated account's for a
    /// [`DevOp::Impersonate`]).
    #[must_use]
    pub fn origin_nonce(&self) -> Nonce {
        match &self.tx.kind {
            TxKind::Dev(DevOp::Impersonate(i)) => i.from_nonce,
            _ => self.tx.nonce,
        }
    }
}

impl Canonical for SignedTransaction {
    const NAME: &'static str = "SignedTransaction";
    const MAX_SIZE: usize = MAX_TX_SIZE;

    fn validate(&self) -> Result<(), DecodeError> {
        self.tx.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names() {
        for ok in [
            "a",
            "transfer",
            "_x",
            "balance_of2",
            &"m".repeat(MAX_METHOD_NAME_LEN),
        ] {
            assert_eq!(validate_method_name("m", ok), Ok(()), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "é"] {
            assert!(
                matches!(
                    validate_method_name("m", bad),
                    Err(DecodeError::InvalidField { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            validate_method_name("m", &"m".repeat(MAX_METHOD_NAME_LEN + 1)),
            Err(DecodeError::FieldTooLarge {
                len: 65,
                max: 64,
                ..
            })
        ));
    }
}
