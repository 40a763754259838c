//! `cairn`: the one binary users run, for a node, a devnet and developer tools.
//!
//! Subcommands arrive with their issues (`devnet`, `node`, `init`, `keys`, `deploy`, …);
//! today it answers `--version` and `--help` and offers key utilities.

use clap::{Parser, Subcommand};

/// Cairn: a fast, deterministic smart-contract platform.
#[derive(Parser, Debug)]
#[command(name = "cairn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the address of a secret key (0x-hex seed), or of a fresh random key.
    Address {
        /// A 32-byte secret key as 0x-hex; omitted: generate one and print both.
        secret: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One clear line, whatever RUST_BACKTRACE says: users read this, not developers.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            println!();
        }
        Some(Command::Address { secret }) => {
            let key = match secret {
                Some(s) => cairn_primitives::SecretKey::from_bytes(
                    &cairn_primitives::parse_fixed_hex::<32>(&s)
                        .map_err(|e| anyhow::anyhow!("secret key: {e}"))?,
                ),
                None => {
                    let mut seed = [0u8; 32];
                    getrandom_seed(&mut seed)?;
                    let key = cairn_primitives::SecretKey::from_bytes(&seed);
                    println!("secret  {}", cairn_primitives::to_hex(&key.to_bytes()));
                    key
                }
            };
            println!("address {}", key.address());
        }
    }
    Ok(())
}

fn getrandom_seed(out: &mut [u8; 32]) -> anyhow::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(out)?;
    Ok(())
}
