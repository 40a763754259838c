//! `cairn devnet --validators N`: a local N-validator network in one command, each validator a
//! child `cairn node` process with its own data dir and RPC port, so a user can `kill -9` one
//! and watch the others keep finalizing (and the victim catch up when started again).
//!
//! ```text
//! cairn devnet --validators 4 ──► <dir>/node0 … node3 (cairn init --validators 4, dev genesis)
//!        │                         spawn `cairn node --data-dir <dir>/nodeI --rpc-addr :PORT+I`
//!        ├─ reads each child's "rpc listening on http://…" line, prints one banner
//!        ├─ forwards the children's logs, each line prefixed `[nodeI]`
//!        └─ SIGINT/SIGTERM: SIGTERM to every child, waits for each (clean stops)
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cairn_chain::Genesis;

use crate::node_cmd::{self, GENESIS_FILE, GenesisArgs, RunArgs};

/// How long a child may take to open its chain and start its RPC server.
const CHILD_START_TIMEOUT: Duration = Duration::from_secs(60);

/// One running validator.
struct Member {
    name: String,
    child: Child,
    rpc: SocketAddr,
}

/// `cairn devnet --validators n` in `dir`: creates the network on first use, then runs it
/// until SIGINT/SIGTERM.
pub(crate) fn run(dir: &Path, args: &GenesisArgs, run: &RunArgs, n: usize) -> anyhow::Result<()> {
    let genesis = if dir.join("node0").join(GENESIS_FILE).exists() {
        let g = Genesis::load(&dir.join("node0").join(GENESIS_FILE))?;
        if g.validators.len() != n {
            bail!(
                "{} holds a {}-validator network, not {n} (pass --validators {} or another --data-dir)",
                dir.display(),
                g.validators.len(),
                g.validators.len()
            );
        }
        g
    } else {
        let args = GenesisArgs {
            dev: true,
            ..args.clone()
        };
        node_cmd::init_network(dir, &args, n)?
    };
    let exe = std::env::current_exe().context("locating the cairn executable")?;
    let mut members: Vec<Member> = Vec::with_capacity(n);
    for i in 0..n {
        match spawn(&exe, dir, run, i) {
            Ok(m) => members.push(m),
            Err(e) => {
                stop_all(&mut members);
                return Err(e);
            }
        }
    }
    // The machine-readable line a one-validator devnet prints, for node0 (scripts wait for
    // it), then the banner.
    println!("rpc listening on http://{}", members[0].rpc);
    banner(dir, &genesis, &members);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let signal = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut reported = vec![false; members.len()];
        loop {
            tokio::select! {
                _ = int.recv() => break Ok::<_, anyhow::Error>("SIGINT"),
                _ = term.recv() => break Ok("SIGTERM"),
                _ = tick.tick() => {
                    // A validator that died (killed by the user, or failed) is reported once;
                    // the others keep running: the network tolerates f < n/3 of them.
                    for (m, seen) in members.iter_mut().zip(reported.iter_mut()) {
                        if !*seen && let Ok(Some(status)) = m.child.try_wait() {
                            *seen = true;
                            eprintln!(
                                "[{}] exited ({status}); restart it with: {} node --data-dir {} --rpc-addr {} --heartbeat {}ms --block-time {}ms",
                                m.name,
                                exe.display(),
                                dir.join(&m.name).display(),
                                m.rpc,
                                run.heartbeat.as_millis(),
                                run.block_time.as_millis()
                            );
                        }
                    }
                    if reported.iter().all(|r| *r) {
                        break Ok("every validator exited");
                    }
                }
            }
        }
    })?;
    eprintln!("stopping the network ({signal})");
    stop_all(&mut members);
    Ok(())
}

/// Starts validator `i` and waits for its RPC line.
fn spawn(exe: &Path, dir: &Path, run: &RunArgs, i: usize) -> anyhow::Result<Member> {
    let name = format!("node{i}");
    let rpc = match run.rpc_addr.port() {
        0 => run.rpc_addr,
        p => {
            let port = u16::try_from(usize::from(p) + i)
                .ok()
                .context("--rpc-addr port + validator index exceeds 65535")?;
            SocketAddr::new(run.rpc_addr.ip(), port)
        }
    };
    let mut command = Command::new(exe);
    stop_with_parent(&mut command);
    let mut child = command
        .arg("node")
        .arg("--data-dir")
        .arg(dir.join(&name))
        .arg("--rpc-addr")
        .arg(rpc.to_string())
        .arg("--block-time")
        .arg(format!("{}ms", run.block_time.as_millis()))
        .arg("--heartbeat")
        .arg(format!("{}ms", run.heartbeat.as_millis()))
        .arg("--view-timeout")
        .arg(format!("{}ms", run.view_timeout.as_millis()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    forward(child.stderr.take().expect("piped"), name.clone());
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    let prefix = name.clone();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("rpc listening on http://") {
                let _ = tx.send(url.to_owned());
                break;
            }
            println!("[{prefix}] {line}");
        }
        for line in lines.map_while(Result::ok) {
            println!("[{prefix}] {line}");
        }
    });
    let Ok(url) = rx.recv_timeout(CHILD_START_TIMEOUT) else {
        let _ = child.kill();
        let status = child.wait().ok();
        bail!("{name} did not start its RPC server (exit: {status:?}); its log is above");
    };
    let Ok(rpc) = url.parse() else {
        let _ = child.kill();
        let _ = child.wait();
        bail!("{name} printed an unparsable RPC address {url:?}");
    };
    Ok(Member { name, child, rpc })
}

/// Copies a child's log lines to our stderr, each prefixed with its name.
fn forward(stream: impl Read + Send + 'static, name: String) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "[{name}] {line}");
        }
    });
}

fn banner(dir: &Path, genesis: &Genesis, members: &[Member]) {
    println!();
    println!("Cairn devnet: {} validators", members.len());
    println!("  chain id   {}", genesis.chain_id);
    println!("  data dir   {}", dir.display());
    for m in members {
        println!(
            "  {}      rpc http://{}   pid {}",
            m.name,
            m.rpc,
            m.child.id()
        );
    }
    println!(
        "  tolerates  {} crashed or byzantine validator(s); try `kill -9 <pid>` and watch the \
         others' chain_head",
        (members.len() - 1) / 3
    );
    println!();
    node_cmd::print_dev_accounts(genesis);
}

/// SIGTERM to every running child, then waits for each (killing one that does not stop).
fn stop_all(members: &mut [Member]) {
    for m in members.iter_mut() {
        if matches!(m.child.try_wait(), Ok(None)) {
            terminate(m.child.id());
        }
    }
    for m in members.iter_mut() {
        wait_or_kill(&mut m.child, MEMBER_STOP_GRACE);
    }
}

/// How long a validator may take to stop cleanly before [`stop_all`] kills it.
const MEMBER_STOP_GRACE: Duration = Duration::from_secs(30);

/// Makes the child receive SIGTERM (a clean stop) when this process dies, however it dies:
/// validators never outlive the `cairn devnet` that started them.
pub(crate) fn stop_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    unsafe extern "C" {
        fn prctl(option: i32, ...) -> i32;
    }
    /// `PR_SET_PDEATHSIG` of `<linux/prctl.h>`.
    const PR_SET_PDEATHSIG: i32 = 1;
    // SAFETY: the closure runs in the forked child before exec and only calls prctl(2), which
    // is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            prctl(PR_SET_PDEATHSIG, 15u64);
            Ok(())
        });
    }
}

/// Stops `child` cleanly: SIGTERM, then up to `grace` for it to exit (a devnet removes its
/// `--ephemeral` directory on the way out), then SIGKILL if it has not.
pub(crate) fn stop_child(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(None)) {
        terminate(child.id());
    }
    wait_or_kill(child, grace);
}

/// Waits up to `grace` for `child` (already sent SIGTERM, or already exited) to exit, then
/// SIGKILLs it if it has not, and reaps it.
fn wait_or_kill(child: &mut Child, grace: Duration) {
    let deadline = Instant::now() + grace;
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    // A child already reaped is not signalled again (std knows its status), so this never
    // reaches a recycled pid.
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends SIGTERM (a clean stop: the node flushes and exits) to `pid`.
pub(crate) fn terminate(pid: u32) {
    signal(pid, 15);
}

/// Sends SIGKILL (a crash: nothing flushed beyond what was synced) to `pid`.
pub(crate) fn kill(pid: u32) {
    signal(pid, 9);
}

fn signal(pid: u32, sig: i32) {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: `kill(2)` takes plain integers and touches no memory of ours. `pid` is a
        // process this program started (directly, or through the devnet it started) that is
        // still running, so it names no other process.
        unsafe {
            kill(pid, sig);
        }
    }
}
