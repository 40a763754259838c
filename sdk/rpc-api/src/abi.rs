//! Reading a contract's ABI: the text of its `cairn:abi` custom section, one JSON object
//! per line (a `"kind":"contract"` line, one `"kind":"event"` line per event and one
//! `"kind":"error"` line per `#[error]` enum, in the order the linker placed them), merged
//! into one document (events and errors sorted by name):
//!
//! ```text
//!   {"kind":"contract","abi_version":1,"name":"Token","methods":[..]}     ─┐
//!   {"kind":"event","name":"Transfer","signature":"..","fields":[..]}       ├─► {"abi_version":1,"name":"Token",
//!   {"kind":"event","name":"Approval",..}                                  ─┘    "methods":[..],"events":[Approval, Transfer]}
//! ```
//!
//! A section holding a single JSON document without `kind` (hand-written modules) is
//! returned as it is. `docs/protocol.md` §8 specifies the format.

use serde_json::{Map, Value};

/// The merged ABI document of a section's text; events and errors sorted by name.
///
/// # Errors
/// A line that is not JSON, no contract line, or two of them.
pub fn parse_abi(text: &str) -> Result<Value, String> {
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if line.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("ABI line {} is not JSON: {e}", i + 1))?;
        docs.push(v);
    }
    if let [single] = docs.as_slice()
        && single.get("kind").is_none()
    {
        return Ok(single.clone());
    }
    let mut contract: Option<Map<String, Value>> = None;
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for d in docs {
        let Value::Object(mut o) = d else {
            return Err("ABI lines must be JSON objects".to_owned());
        };
        match o.remove("kind").as_ref().and_then(Value::as_str) {
            Some("contract") => {
                if contract.replace(o).is_some() {
                    return Err("the ABI holds two contracts".to_owned());
                }
            }
            Some("event") => events.push(Value::Object(o)),
            Some("error") => errors.push(Value::Object(o)),
            other => return Err(format!("unknown ABI line kind {other:?}")),
        }
    }
    let mut contract = contract.ok_or("the ABI has no contract line")?;
    events.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    errors.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    contract.insert("events".to_owned(), Value::Array(events));
    contract.insert("errors".to_owned(), Value::Array(errors));
    Ok(Value::Object(contract))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_contract_and_event_lines() {
        let text = "{\"kind\":\"contract\",\"name\":\"T\",\"methods\":[]}\n\
                    {\"kind\":\"event\",\"name\":\"B\"}\n\0\0{\"kind\":\"event\",\"name\":\"A\"}\n\
                    {\"kind\":\"error\",\"name\":\"E\",\"variants\":[]}\n";
        let v = parse_abi(text).unwrap();
        assert_eq!(v["name"], "T");
        assert_eq!(v["events"][0]["name"], "A");
        assert_eq!(v["events"][1]["name"], "B");
        assert_eq!(v["errors"][0]["name"], "E");
        assert!(v["errors"][0].get("kind").is_none());
        assert!(v.get("kind").is_none());
    }

    #[test]
    fn a_single_plain_document_passes_through() {
        let v = parse_abi("{\"methods\":[\"get\"]}").unwrap();
        assert_eq!(v["methods"][0], "get");
    }

    #[test]
    fn malformed_sections_are_errors() {
        assert!(parse_abi("{not json").unwrap_err().contains("line 1"));
        assert!(
            parse_abi("{\"kind\":\"event\",\"name\":\"A\"}")
                .unwrap_err()
                .contains("no contract")
        );
        assert!(
            parse_abi("{\"kind\":\"contract\"}\n{\"kind\":\"contract\"}")
                .unwrap_err()
                .contains("two")
        );
    }
}
