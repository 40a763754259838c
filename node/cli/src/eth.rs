//! Just enough Ethereum for `cairn bench --peers` to drive Hardhat and Ganache with the same
//! load generator that drives Cairn: secp256k1 keys and addresses, legacy EIP-155
//! transactions (RLP-encoded and signed), and ERC-20 calldata. Nothing here reaches Cairn's
//! own state or blocks.

use cairn_primitives::keccak256;
use k256::ecdsa::{SigningKey, VerifyingKey};

/// An Ethereum account the bench controls.
pub(crate) struct EthKey {
    key: SigningKey,
    /// Its 20-byte address: the last 20 bytes of keccak-256 of the uncompressed public key.
    pub(crate) address: [u8; 20],
}

impl EthKey {
    /// The bench's peer account `i`: its secret is keccak-256 of a fixed label and `i`, so
    /// every run (and the accounts file the peers start with) has the same accounts.
    pub(crate) fn bench(i: u32) -> Self {
        let mut seed = b"cairn bench peer account".to_vec();
        seed.extend_from_slice(&i.to_be_bytes());
        let mut secret = keccak256(&seed);
        loop {
            // A hash is a valid scalar except with probability ~2^-128; hash again if not.
            if let Ok(key) = SigningKey::from_slice(&secret) {
                return Self::from_key(key);
            }
            secret = keccak256(&secret);
        }
    }

    fn from_key(key: SigningKey) -> Self {
        let address = address_of(key.verifying_key());
        Self { key, address }
    }

    /// The secret key as `0x` + 64 hex digits (what Hardhat's and Ganache's account lists take).
    pub(crate) fn secret_hex(&self) -> String {
        cairn_primitives::to_hex(&self.key.to_bytes())
    }

    /// The address as `0x` + 40 hex digits.
    pub(crate) fn address_hex(&self) -> String {
        cairn_primitives::to_hex(&self.address)
    }

    /// `tx` signed for `chain_id` (EIP-155): the raw bytes `eth_sendRawTransaction` takes.
    pub(crate) fn sign(&self, tx: &LegacyTx, chain_id: u64) -> Vec<u8> {
        let mut unsigned = tx.fields();
        unsigned.push(rlp_uint(u128::from(chain_id)));
        unsigned.push(rlp_uint(0));
        unsigned.push(rlp_uint(0));
        let digest = keccak256(&rlp_list(&unsigned));
        let (signature, recovery) = self
            .key
            .sign_prehash_recoverable(&digest)
            .expect("a 32-byte digest always signs");
        // k256 signs with a low s (EIP-2), which every Ethereum node requires.
        let (r, s) = signature.split_bytes();
        let mut signed = tx.fields();
        signed.push(rlp_uint(
            u128::from(recovery.to_byte()) + 35 + 2 * u128::from(chain_id),
        ));
        signed.push(rlp_bytes(strip_zeros(&r)));
        signed.push(rlp_bytes(strip_zeros(&s)));
        rlp_list(&signed)
    }
}

/// The address of a public key: the last 20 bytes of keccak-256 of its uncompressed point.
fn address_of(key: &VerifyingKey) -> [u8; 20] {
    let point = key.to_encoded_point(false);
    let digest = keccak256(&point.as_bytes()[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[12..]);
    address
}

/// A pre-EIP-2718 ("legacy") transaction: the one kind both Hardhat and Ganache take.
pub(crate) struct LegacyTx {
    /// The sender's nonce.
    pub(crate) nonce: u64,
    /// Wei per gas; with London's base fee the whole price is paid.
    pub(crate) gas_price: u128,
    /// Gas limit.
    pub(crate) gas: u64,
    /// The callee, or `None` to create a contract.
    pub(crate) to: Option<[u8; 20]>,
    /// Wei sent.
    pub(crate) value: u128,
    /// Calldata (or init code when creating).
    pub(crate) data: Vec<u8>,
}

impl LegacyTx {
    fn fields(&self) -> Vec<Vec<u8>> {
        vec![
            rlp_uint(u128::from(self.nonce)),
            rlp_uint(self.gas_price),
            rlp_uint(u128::from(self.gas)),
            rlp_bytes(self.to.as_ref().map_or(&[][..], |a| &a[..])),
            rlp_uint(self.value),
            rlp_bytes(&self.data),
        ]
    }
}

/// The address a contract created by `sender` at `nonce` gets (CREATE).
pub(crate) fn create_address(sender: [u8; 20], nonce: u64) -> [u8; 20] {
    let digest = keccak256(&rlp_list(&[
        rlp_bytes(&sender),
        rlp_uint(u128::from(nonce)),
    ]));
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[12..]);
    address
}

/// Calldata of ERC-20 `transfer(to, amount)`.
pub(crate) fn erc20_transfer(to: [u8; 20], amount: u128) -> Vec<u8> {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(&word_address(to));
    data.extend_from_slice(&word_uint(amount));
    data
}

/// Calldata of ERC-20 `balanceOf(owner)`.
pub(crate) fn erc20_balance_of(owner: [u8; 20]) -> Vec<u8> {
    let mut data = vec![0x70, 0xa0, 0x82, 0x31];
    data.extend_from_slice(&word_address(owner));
    data
}

fn word_address(a: [u8; 20]) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(&a);
    w
}

fn word_uint(v: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

/// Parses a JSON-RPC quantity (`0x` + hex digits) that fits a u128.
pub(crate) fn quantity(s: &str) -> anyhow::Result<u128> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| anyhow::anyhow!("{s:?} is not a 0x quantity"))?;
    if digits.is_empty() {
        return Ok(0);
    }
    Ok(u128::from_str_radix(digits, 16)?)
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn rlp_uint(v: u128) -> Vec<u8> {
    rlp_bytes(strip_zeros(&v.to_be_bytes()))
}

fn rlp_length(len: usize, short: u8) -> Vec<u8> {
    if len <= 55 {
        vec![short + u8::try_from(len).expect("at most 55")]
    } else {
        let be = len.to_be_bytes();
        let digits = strip_zeros(&be);
        let mut out = vec![short + 55 + u8::try_from(digits.len()).expect("at most 8 bytes")];
        out.extend_from_slice(digits);
        out
    }
}

fn rlp_bytes(bytes: &[u8]) -> Vec<u8> {
    if let [b] = bytes
        && *b < 0x80
    {
        return vec![*b];
    }
    let mut out = rlp_length(bytes.len(), 0x80);
    out.extend_from_slice(bytes);
    out
}

fn rlp_list(items: &[Vec<u8>]) -> Vec<u8> {
    let len = items.iter().map(Vec::len).sum();
    let mut out = rlp_length(len, 0xc0);
    for item in items {
        out.extend_from_slice(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::{RecoveryId, Signature};

    fn unhex(s: &str) -> Vec<u8> {
        hex_decode(s.trim_start_matches("0x"))
    }

    fn hex_decode(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn rlp_encodes_the_examples_of_the_yellow_paper() {
        assert_eq!(rlp_bytes(b"dog"), [0x83, b'd', b'o', b'g']);
        assert_eq!(rlp_uint(0), [0x80]);
        assert_eq!(rlp_uint(15), [0x0f]);
        assert_eq!(rlp_uint(1024), [0x82, 0x04, 0x00]);
        assert_eq!(rlp_list(&[]), [0xc0]);
        assert_eq!(
            rlp_list(&[rlp_bytes(b"cat"), rlp_bytes(b"dog")]),
            [0xc8, 0x83, b'c', b'a', b't', 0x83, b'd', b'o', b'g']
        );
        let long = b"Lorem ipsum dolor sit amet, consectetur adipisicing elit";
        let mut expect = vec![0xb8, 0x38];
        expect.extend_from_slice(long);
        assert_eq!(rlp_bytes(long), expect);
    }

    /// The signing example of EIP-155 itself: key 0x4646…46, nonce 9, 20 gwei, 21,000 gas,
    /// to 0x3535…35, 1 ether, chain 1.
    #[test]
    fn signs_the_eip155_example_byte_for_byte() {
        let key = EthKey::from_key(SigningKey::from_slice(&[0x46; 32]).expect("valid key"));
        let tx = LegacyTx {
            nonce: 9,
            gas_price: 20_000_000_000,
            gas: 21_000,
            to: Some([0x35; 20]),
            value: 1_000_000_000_000_000_000,
            data: Vec::new(),
        };
        let raw = key.sign(&tx, 1);
        assert_eq!(
            raw,
            unhex(
                "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6\
                 b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa63\
                 6276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
            )
        );
    }

    #[test]
    fn a_signature_recovers_to_the_sender_with_a_low_s() {
        let key = EthKey::bench(7);
        let tx = LegacyTx {
            nonce: 3,
            gas_price: 1,
            gas: 60_000,
            to: Some([9; 20]),
            value: 0,
            data: erc20_transfer([1; 20], 5),
        };
        let raw = key.sign(&tx, 31_337);
        // The last 66 bytes are r (0xa0 + 32) and s (0xa0 + 32) when neither starts with 0.
        let mut unsigned = tx.fields();
        unsigned.extend([rlp_uint(31_337), rlp_uint(0), rlp_uint(0)]);
        let digest = keccak256(&rlp_list(&unsigned));
        let tail = &raw[raw.len() - 66..];
        if tail[0] == 0xa0 && tail[33] == 0xa0 {
            let mut rs = [0u8; 64];
            rs[..32].copy_from_slice(&tail[1..33]);
            rs[32..].copy_from_slice(&tail[34..]);
            let sig = Signature::from_slice(&rs).expect("r and s");
            assert!(sig.normalize_s().is_none(), "s must be low");
            let found = (0..2).any(|id| {
                VerifyingKey::recover_from_prehash(
                    &digest,
                    &sig,
                    RecoveryId::from_byte(id).expect("0 or 1"),
                )
                .is_ok_and(|vk| address_of(&vk) == key.address)
            });
            assert!(found, "the signature recovers to the sender");
        }
        assert_ne!(EthKey::bench(7).address, EthKey::bench(8).address);
        assert_eq!(EthKey::bench(7).address, key.address);
    }

    #[test]
    fn known_key_has_its_known_address_and_create_address() {
        // Hardhat's first default account.
        let key = EthKey::from_key(
            SigningKey::from_slice(&unhex(
                "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            ))
            .expect("valid key"),
        );
        assert_eq!(
            key.address_hex(),
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
        );
        // Its first contract on a fresh Hardhat node.
        assert_eq!(
            cairn_primitives::to_hex(&create_address(key.address, 0)),
            "0x5fbdb2315678afecb367f032d93f642f64180aa3"
        );
        assert_eq!(quantity("0x5208").expect("hex"), 21_000);
        assert_eq!(quantity("0x0").expect("hex"), 0);
        assert!(quantity("5208").is_err());
        assert_eq!(&erc20_balance_of([0; 20])[..4], [0x70, 0xa0, 0x82, 0x31]);
    }
}
