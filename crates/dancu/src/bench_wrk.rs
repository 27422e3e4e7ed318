//! Loading an HTTP phase with `wrk` in its own process (`--wrk` on the benchmarks): the in-process
//! load generator shares the server's runtime and takes a large share of the two cores, while wrk
//! (C, one thread) costs far less per request, so the figures show what the server can carry.

use std::time::Duration;

/// The wrk script, written next to the request files of each run.
const SCRIPT: &str = include_str!("../../../bench/post.lua");

/// One phase of POST requests.
pub struct WrkLoad<'a> {
    /// `http://host:port` of the server.
    pub base: &'a str,
    pub path: &'a str,
    /// Bodies, one per request, taken in turn (each at most once per pass).
    pub bodies: &'a [&'a str],
    /// `Content-Type` of the bodies.
    pub content_type: &'a str,
    /// `Authorization` header values (`Bearer …`, `Basic …`), cycled.
    pub authorizations: &'a [String],
    /// Requests carry a fresh `Idempotency-Key` starting with this prefix when set.
    pub idempotency_prefix: Option<&'a str>,
    /// Text a good response body contains (any 2xx body when `None`).
    pub expect: Option<&'a str>,
    pub connections: usize,
    pub duration: Duration,
}

impl WrkLoad<'_> {
    /// Runs wrk and returns its summary line: good responses per second, latency p50/p99/max,
    /// counts of good and bad responses and socket errors.
    pub async fn run(&self) -> anyhow::Result<String> {
        let dir = tempfile::tempdir()?;
        let file = |name: &str, text: String| -> anyhow::Result<std::path::PathBuf> {
            let path = dir.path().join(name);
            std::fs::write(&path, text)?;
            Ok(path)
        };
        let bodies = file("bodies.txt", self.bodies.join("\n"))?;
        let authorizations = file("authorizations.txt", self.authorizations.join("\n"))?;
        let script = file("post.lua", SCRIPT.to_string())?;
        let mut cmd = std::process::Command::new("wrk");
        cmd.args(["-t1", &format!("-c{}", self.connections), &format!("-d{}s", self.duration.as_secs().max(1))])
            .arg("-s")
            .arg(&script)
            .arg(self.base)
            .env("DANCU_BODIES", &bodies)
            .env("DANCU_AUTHORIZATIONS", &authorizations)
            .env("DANCU_CONTENT_TYPE", self.content_type)
            .env("DANCU_PATH", self.path);
        if let Some(e) = self.expect {
            cmd.env("DANCU_EXPECT", e);
        }
        if let Some(prefix) = self.idempotency_prefix {
            cmd.env("DANCU_IDEMPOTENCY_PREFIX", prefix);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await?
            .map_err(|e| anyhow::anyhow!("cannot run wrk ({e}); install it with `apt-get install wrk`"))?;
        anyhow::ensure!(out.status.success(), "wrk failed: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("wrk: "))
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("wrk printed no summary: {stdout}"))
    }
}

/// The number of good responses in a summary line of [`WrkLoad::run`].
pub fn good_count(summary: &str) -> Option<usize> {
    let mut words = summary.split_whitespace();
    words.by_ref().find(|w| *w == "good")?;
    words.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_good_count() {
        let line = "good/s 3900 p50 6.61 ms p99 23.83 ms max 37.88 ms good 39062 bad 0 socket-errors 0";
        assert_eq!(super::good_count(line), Some(39062));
        assert_eq!(super::good_count("good/s 1"), None);
    }
}
