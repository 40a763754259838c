//! The test vectors in `docs/protocol.md` are recomputed here, so the spec and the code
//! cannot drift. Each ```` ```vector ```` block holds `name = value` lines; `kind` says
//! which computation checks it.

use std::collections::BTreeMap;

use cairn_primitives::{
    Address, BlockHeader, Canonical, Hash, SecretKey, Transaction, merkle_root, parse_fixed_hex,
    to_hex,
};

fn vectors() -> Vec<BTreeMap<String, String>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocol.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut current: Option<BTreeMap<String, String>> = None;
    for line in doc.lines() {
        match (&mut current, line.trim()) {
            (None, "```vector") => current = Some(BTreeMap::new()),
            (Some(_), "```") => out.push(current.take().unwrap()),
            (Some(map), l) if !l.is_empty() => {
                let (k, v) = l
                    .split_once('=')
                    .unwrap_or_else(|| panic!("bad vector line {l:?}"));
                map.insert(k.trim().to_string(), v.trim().to_string());
            }
            _ => {}
        }
    }
    out
}

fn check(v: &BTreeMap<String, String>, field: &str, actual: &str) {
    let expected = v
        .get(field)
        .unwrap_or_else(|| panic!("vector {:?} lacks {field}", v.get("kind")));
    assert_eq!(
        expected,
        actual,
        "docs/protocol.md vector {:?}: {field}",
        v.get("name")
    );
}

#[test]
fn protocol_doc_vectors_hold() {
    let vectors = vectors();
    let mut kinds = BTreeMap::new();
    for v in &vectors {
        let kind = v.get("kind").expect("every vector has a kind").as_str();
        *kinds.entry(kind.to_string()).or_insert(0) += 1;
        match kind {
            "tx" => {
                let key = SecretKey::from_bytes(&parse_fixed_hex::<32>(&v["secret_key"]).unwrap());
                check(v, "public_key", &to_hex(&key.public_key()));
                check(v, "address", &key.address().to_string());
                let tx: Transaction = serde_json::from_str(&v["tx_json"]).unwrap();
                check(v, "tx_bytes", &to_hex(&tx.encode()));
                check(v, "signing_message", &to_hex(&tx.signing_message()));
                let signed = key.sign_tx(tx);
                assert_eq!(signed.verify(), Ok(()));
                check(v, "signature", &to_hex(&signed.signature));
                check(v, "signed_tx_bytes", &to_hex(&signed.encode()));
                check(v, "tx_hash", &signed.tx_hash().to_string());
            }
            "header" => {
                let header: BlockHeader = serde_json::from_str(&v["header_json"]).unwrap();
                check(v, "header_bytes", &to_hex(&header.encode()));
                check(v, "block_hash", &header.hash().to_string());
            }
            "address" => {
                let deployer: Address = v["deployer"].parse().unwrap();
                let nonce: u64 = v["nonce"].parse().unwrap();
                check(
                    v,
                    "create",
                    &Address::for_create(&deployer, nonce).to_string(),
                );
                let salt: Hash = v["salt"].parse().unwrap();
                let code_hash: Hash = v["code_hash"].parse().unwrap();
                check(
                    v,
                    "create2",
                    &Address::for_create2(&deployer, &salt, &code_hash).to_string(),
                );
            }
            "merkle" => {
                let leaves: Vec<Hash> = v["leaves"]
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().parse().unwrap())
                    .collect();
                check(v, "root", &merkle_root(&leaves).to_string());
            }
            other => panic!("unknown vector kind {other}"),
        }
    }
    for kind in ["tx", "header", "address", "merkle"] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) >= 1,
            "docs/protocol.md has no {kind} vector"
        );
    }
}
