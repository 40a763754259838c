//! Cross-crate tests: workspace rules, and (as the node grows) the real `cairn` binary
//! driven from outside.

mod cli_client;
mod client;
mod contracts_e2e;
mod deps;
mod dev_overrides;
mod network;
mod node_cli;
mod node_restart;
mod rpc_doc;
mod rpc_e2e;
