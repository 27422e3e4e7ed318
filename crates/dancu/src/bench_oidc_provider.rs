//! `dancu bench oidc --against-oidc-provider`: the same three phases run right afterwards against
//! panva's `oidc-provider` (`bench/oidc-provider/`, Node.js) with the same codes, connections and
//! time limit, and the ratio printed per phase. The machine is shared and its speed drifts, so
//! only rates measured back to back are compared.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The phases both benchmarks print, in order, by the name that starts their line.
pub const PHASES: [&str; 3] = ["code -> token", "refresh grant", "userinfo"];

/// Where and how to run the Node.js benchmark.
pub struct Against {
    /// `bench/oidc-provider` of a checkout (its `node_modules` is installed with `npm ci` when
    /// missing).
    pub dir: PathBuf,
    pub codes: usize,
    pub connections: usize,
    pub seconds: u64,
}

/// Stops the Node.js server however the run ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port (the kernel picks it; it is released again for Node.js to bind).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn node(dir: &Path) -> Command {
    let mut c = Command::new("node");
    c.current_dir(dir);
    c
}

impl Against {
    /// Runs `server.mjs` and `bench.mjs`, passes the benchmark's output through and returns its
    /// rate per phase of [`PHASES`].
    pub fn run(&self) -> anyhow::Result<[f64; 3]> {
        anyhow::ensure!(
            self.dir.join("server.mjs").is_file(),
            "{} has no server.mjs: pass --oidc-provider-dir (the bench/oidc-provider directory of a checkout)",
            self.dir.display()
        );
        if !self.dir.join("node_modules").is_dir() {
            println!("installing oidc-provider (npm ci in {})…", self.dir.display());
            let status = Command::new("npm").arg("ci").current_dir(&self.dir).status()?;
            anyhow::ensure!(status.success(), "npm ci failed in {}", self.dir.display());
        }
        let (oidc_port, control_port) = (free_port()?, free_port()?);
        let _server = Server(
            node(&self.dir)
                .arg("server.mjs")
                .env("OIDC_PORT", oidc_port.to_string())
                .env("CONTROL_PORT", control_port.to_string())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| anyhow::anyhow!("cannot run node ({e}); Node.js 20.19 or later is needed"))?,
        );
        let out = node(&self.dir)
            .arg("bench.mjs")
            .args(["--codes", &self.codes.to_string()])
            .args(["--connections", &self.connections.to_string()])
            .args(["--seconds", &self.seconds.to_string()])
            .args(["--control", &format!("http://127.0.0.1:{control_port}")])
            .stderr(Stdio::inherit())
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        print!("{text}");
        anyhow::ensure!(out.status.success(), "bench.mjs failed");
        let mut rates = [0.0; 3];
        for (rate, name) in rates.iter_mut().zip(PHASES) {
            *rate = text
                .lines()
                .find_map(|l| l.strip_prefix(name).and_then(rate_of))
                .ok_or_else(|| anyhow::anyhow!("bench.mjs printed no rate for {name}"))?;
        }
        Ok(rates)
    }
}

/// The rate of a phase line (`   20000 ok,    0 errors;    2064/s; p50 …`), after its name.
fn rate_of(rest: &str) -> Option<f64> {
    rest.split(';').nth(1)?.trim().strip_suffix("/s")?.trim().parse().ok()
}

/// Prints dancu's and oidc-provider's rates and their ratio per phase.
pub fn print_ratios(dancu: &[f64; 3], theirs: &[f64; 3]) {
    println!("{:<22} {:>10} {:>14} {:>8}", "phase", "dancu/s", "oidc-provider/s", "ratio");
    for ((name, ours), theirs) in PHASES.iter().zip(dancu).zip(theirs) {
        let ratio = if *theirs > 0.0 { ours / theirs } else { f64::NAN };
        println!("{name:<22} {ours:>10.0} {theirs:>14.0} {ratio:>8.2}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_a_phase_rate() {
        let line = "code -> token            20000 ok,    0 errors;     731/s; p50 41.20 ms, p99 80.11 ms";
        assert_eq!(line.strip_prefix("code -> token").and_then(super::rate_of), Some(731.0));
        assert_eq!(super::rate_of(" 0 ok, 3 errors; n/a"), None);
    }
}
