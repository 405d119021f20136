//! A private PostgreSQL cluster run from the machine's own binaries (dev default and tests).

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, Uid, User};

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);
// sun_path holds 108 bytes, the last of which is the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

/// How the server is run.
#[derive(Debug, Clone, Copy)]
pub struct ClusterOptions {
    /// `false` turns off fsync, synchronous_commit and full_page_writes: faster, but an OS
    /// crash may lose or corrupt data. Meant for throwaway test clusters.
    pub durable: bool,
}

/// A postmaster owned by this process, listening only on a Unix socket in the cluster folder.
/// Dropping it (or calling [`PostgresCluster::stop`]) shuts the server down; if this process
/// dies without that, the server gets SIGINT from the kernel and shuts down by itself.
pub struct PostgresCluster {
    dir: PathBuf,
    stop: Option<Sender<()>>,
    supervisor: Option<JoinHandle<()>>,
}

/// Why the cluster could not be started. Messages are meant for the person running the app.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb, postgres) were found on PATH or in /usr/lib/postgresql/<version>/bin; install them with `apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql` (macOS), or set DATABASE_URL to an existing server"
    )]
    NoBinaries,
    #[error(
        "running as root, but there is no `postgres` system user to run PostgreSQL as (it refuses to run as root); install PostgreSQL from your distribution's packages, run as a normal user, or set DATABASE_URL to an existing server"
    )]
    NoPostgresUser,
    #[error(
        "the `postgres` user cannot reach {dir}: it has no permission to enter {blocked}; set DATA_DIR to a place it can reach, such as /var/lib/teamwork, or set DATABASE_URL to an existing server"
    )]
    Unreachable { dir: PathBuf, blocked: PathBuf },
    #[error(
        "the PostgreSQL socket path {path} is {len} bytes, over the {MAX_SOCKET_PATH}-byte limit for Unix sockets; use a shorter DATA_DIR or set DATABASE_URL to an existing server"
    )]
    SocketPathTooLong { path: PathBuf, len: usize },
    #[error(
        "a PostgreSQL server (pid {pid}) from an earlier run is still using {data}; stop it with `kill -INT {pid}` and start again"
    )]
    AlreadyRunning { pid: i32, data: PathBuf },
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    #[error("initdb failed ({0}):\n{1}")]
    Initdb(ExitStatus, String),
    #[error("PostgreSQL {reason}; last lines of {}:\n{tail}", log.display())]
    Start {
        reason: String,
        log: PathBuf,
        tail: String,
    },
}

fn io_err(what: &str, path: &Path) -> impl FnOnce(io::Error) -> ClusterError {
    let context = format!("{what} {}", path.display());
    move |source| ClusterError::Io { context, source }
}

enum Event {
    Spawned(io::Result<u32>),
    Exited(ExitStatus),
}

impl PostgresCluster {
    /// Starts (initialising on first use) a cluster under `dir`: data in `dir/data`, socket and
    /// `postgres.log` in `dir`. Blocking; call it before the async runtime or from spawn_blocking.
    pub fn start(dir: &Path, options: ClusterOptions) -> Result<Self, ClusterError> {
        let path_var = std::env::var_os("PATH");
        let bin = find_binaries(path_var.as_deref(), Path::new("/usr/lib/postgresql"))
            .ok_or(ClusterError::NoBinaries)?;
        let user = User::from_name("postgres").ok().flatten();
        let run_as = match Uid::effective().is_root() {
            true => Some(user.ok_or(ClusterError::NoPostgresUser)?),
            false => None,
        };
        let dir = std::path::absolute(dir).map_err(io_err("cannot resolve", dir))?;
        // Checked before creating anything too, so a refused DATA_DIR leaves no trace.
        check_dir(&dir, run_as.as_ref())?;
        fs::create_dir_all(&dir).map_err(io_err("cannot create", &dir))?;
        let dir = dir.canonicalize().map_err(io_err("cannot resolve", &dir))?;
        check_dir(&dir, run_as.as_ref())?;
        if let Some(user) = &run_as {
            nix::unistd::chown(&dir, Some(user.uid), Some(user.gid))
                .map_err(|e| io_err("cannot give the postgres user", &dir)(e.into()))?;
        }
        let data = dir.join("data");
        if !data.join("PG_VERSION").exists() {
            initdb(&bin, &dir, &data, run_as.as_ref())?;
        }
        clear_stale_pid_file(&data)?;

        let log = dir.join("postgres.log");
        let log_file = File::create(&log).map_err(io_err("cannot create", &log))?;
        let stdout = log_file
            .try_clone()
            .map_err(io_err("cannot reopen", &log))?;
        let postgres = bin.join("postgres");
        let mut cmd = Command::new(&postgres);
        cmd.arg("-D").arg(&data).arg("-k").arg(&dir);
        cmd.args(["-c", "listen_addresses="]);
        if !options.durable {
            for setting in ["fsync", "synchronous_commit", "full_page_writes"] {
                cmd.arg("-c").arg(format!("{setting}=off"));
            }
        }
        cmd.stdin(Stdio::null()).stdout(stdout).stderr(log_file);
        as_server_user(&mut cmd, &dir, run_as.as_ref());
        // A Ctrl-C in the terminal then reaches only us; we stop the server after the app drains.
        cmd.process_group(0);
        #[cfg(target_os = "linux")]
        {
            let parent = std::process::id();
            // SAFETY: the closure only makes async-signal-safe syscalls (prctl, getppid).
            unsafe {
                cmd.pre_exec(move || {
                    // std runs this after its setuid, which would otherwise clear the death signal.
                    // SIGINT is PostgreSQL's fast shutdown; SIGKILL would leave orphan backends.
                    nix::sys::prctl::set_pdeathsig(Signal::SIGINT)?;
                    // If we died before the line above, no signal would ever come.
                    match nix::unistd::getppid().as_raw() as u32 == parent {
                        true => Ok(()),
                        false => Err(Errno::ESRCH.into()),
                    }
                })
            };
        }

        let started = Instant::now();
        let (events_tx, events) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel();
        // The kernel sends the death signal when the spawning *thread* exits, so the postmaster
        // is spawned from a thread that lives exactly as long as the cluster.
        let supervisor = thread::Builder::new()
            .name("postgres".into())
            .spawn(move || supervise(cmd, events_tx, stop_rx))
            .map_err(io_err("cannot start a thread to run", &postgres))?;
        let cluster = PostgresCluster {
            dir,
            stop: Some(stop),
            supervisor: Some(supervisor),
        };
        let Ok(Event::Spawned(spawned)) = events.recv() else {
            unreachable!("the supervisor reports the spawn first");
        };
        let pid = spawned.map_err(io_err("cannot run", &postgres))?;
        if let Err(reason) = wait_ready(&data.join("postmaster.pid"), pid, &events) {
            let tail = log_tail(&log, 20);
            return Err(ClusterError::Start { reason, log, tail });
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let url = cluster.url("postgres");
        tracing::info!(pid, elapsed_ms, "started postgres at {url}");
        Ok(cluster)
    }

    /// A libpq URL for `database` as the trusted `postgres` superuser, over the Unix socket.
    pub fn url(&self, database: &str) -> String {
        let db = percent_encode(database.as_bytes(), b"");
        let host = percent_encode(self.dir.as_os_str().as_bytes(), b"/");
        format!("postgres://postgres@/{db}?host={host}")
    }

    /// Shuts the server down (fast shutdown, SIGKILL after 10 s) and waits for it.
    pub fn stop(self) {}
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
    }
}

fn supervise(mut cmd: Command, events: Sender<Event>, stop: Receiver<()>) {
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let _ = events.send(Event::Spawned(Err(e)));
            return;
        }
    };
    let _ = events.send(Event::Spawned(Ok(child.id())));
    // Only this thread reaps the child, so the pid signalled below is never a recycled one.
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(Duration::from_millis(100)) {
        if let Ok(Some(status)) = child.try_wait() {
            tracing::error!(%status, "postgres exited on its own; see postgres.log");
            let _ = events.send(Event::Exited(status));
            return;
        }
    }
    shut_down(&mut child);
}

fn shut_down(child: &mut Child) {
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGINT);
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        thread::sleep(POLL);
    }
    tracing::warn!(pid = child.id(), "postgres ignored SIGINT; killing it");
    let _ = child.kill();
    let _ = child.wait();
}

fn wait_ready(pid_file: &Path, pid: u32, events: &Receiver<Event>) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(text) = fs::read_to_string(pid_file) {
            // The pid check skips a file left by an earlier run, whose last line may read `ready`.
            let ours = text.lines().next().map(str::trim) == Some(pid.to_string().as_str());
            if ours && text.lines().last().map(str::trim) == Some("ready") {
                return Ok(());
            }
        }
        match events.try_recv() {
            Ok(Event::Exited(status)) => return Err(format!("exited ({status}) while starting")),
            Err(TryRecvError::Disconnected) => return Err("supervisor thread ended".into()),
            _ => {}
        }
        if Instant::now() >= deadline {
            return Err(format!("did not become ready within {READY_TIMEOUT:?}"));
        }
        thread::sleep(POLL);
    }
}

fn initdb(bin: &Path, dir: &Path, data: &Path, run_as: Option<&User>) -> Result<(), ClusterError> {
    // initdb works in a scratch folder renamed at the end, so an interrupted run never leaves a
    // half-made `data` that later runs would take for a cluster.
    let scratch = dir.join("data.initdb");
    if scratch.exists() {
        fs::remove_dir_all(&scratch).map_err(io_err("cannot remove", &scratch))?;
    }
    let started = Instant::now();
    let initdb = bin.join("initdb");
    let mut cmd = Command::new(&initdb);
    cmd.arg("-D").arg(&scratch);
    cmd.args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]);
    as_server_user(&mut cmd, dir, run_as);
    let out = cmd.output().map_err(io_err("cannot run", &initdb))?;
    if !out.status.success() {
        let output = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
        return Err(ClusterError::Initdb(out.status, output));
    }
    fs::rename(&scratch, data).map_err(io_err("cannot move the new cluster to", data))?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(data = %data.display(), elapsed_ms, "initialised postgres cluster");
    Ok(())
}

fn as_server_user(cmd: &mut Command, dir: &Path, run_as: Option<&User>) {
    // Our working directory may be closed to the server user.
    cmd.current_dir(dir);
    if let Some(user) = run_as {
        cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
}

// A postmaster still running on this data dir (e.g. its parent was killed before the death
// signal was armed, or someone started it by hand) is refused, not reused: we would own neither
// its lifetime nor its settings (fsync). A pid file naming a live process that is not postgres
// (pid recycled after a reboot or container restart) is removed, since postgres would take it
// for a running server; a dead pid is left to postgres, which also checks for orphan backends.
fn clear_stale_pid_file(data: &Path) -> Result<(), ClusterError> {
    let pid_file = data.join("postmaster.pid");
    let text = fs::read_to_string(&pid_file).unwrap_or_default();
    let first_line = text.lines().next().unwrap_or_default();
    let pid: i32 = first_line.trim().parse().unwrap_or(0);
    if pid <= 0 || kill(Pid::from_raw(pid), None) == Err(Errno::ESRCH) {
        return Ok(());
    }
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.is_empty() || comm.trim_end() == "postgres" {
        let data = data.to_owned();
        return Err(ClusterError::AlreadyRunning { pid, data });
    }
    fs::remove_file(&pid_file).map_err(io_err("cannot remove stale", &pid_file))
}

fn check_dir(dir: &Path, run_as: Option<&User>) -> Result<(), ClusterError> {
    let socket = dir.join(".s.PGSQL.5432");
    let len = socket.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(ClusterError::SocketPathTooLong { path: socket, len });
    }
    let Some(user) = run_as else { return Ok(()) };
    // `dir` itself is handed to the user; only its ancestors must let it through. Bits are
    // checked as the kernel does, with the primary group only, since std drops the
    // supplementary groups when it switches user.
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue;
        };
        let owner = meta.uid() == user.uid.as_raw();
        let bit = if owner {
            0o100
        } else if meta.gid() == user.gid.as_raw() {
            0o010
        } else {
            0o001
        };
        if meta.mode() & bit == 0 {
            let (dir, blocked) = (dir.to_owned(), ancestor.to_owned());
            return Err(ClusterError::Unreachable { dir, blocked });
        }
    }
    Ok(())
}

fn find_binaries(path_var: Option<&OsStr>, lib_root: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = Vec::new();
    for entry in fs::read_dir(lib_root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Ok(version) = name.split('.').map(str::parse).collect() {
            versions.push((version, entry.path().join("bin")));
        }
    }
    versions.sort();
    let executable = |p: PathBuf| {
        fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    path_var
        .into_iter()
        .flat_map(std::env::split_paths)
        .chain(versions.into_iter().rev().map(|(_, bin)| bin))
        .find(|d| executable(d.join("initdb")) && executable(d.join("postgres")))
}

fn percent_encode(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            true => out.push(b as char),
            false => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn log_tail(log: &Path, lines: usize) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_explain_the_fix() {
        let nowhere = Path::new("/nonexistent");
        assert_eq!(find_binaries(Some(OsStr::new("")), nowhere), None);
        let message = ClusterError::NoBinaries.to_string();
        assert!(message.contains("apt-get install postgresql") && message.contains("DATABASE_URL"));
    }

    #[test]
    fn path_first_then_newest_version() {
        let root = std::env::temp_dir().join(format!("devpg-bins-{}", std::process::id()));
        for version in ["9.6", "15", "16", "beta", "onpath"] {
            let bin = root.join(version).join("bin");
            fs::create_dir_all(&bin).unwrap();
            for exe in [bin.join("initdb"), bin.join("postgres")] {
                fs::write(&exe, "").unwrap();
                fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        assert_eq!(find_binaries(None, &root), Some(root.join("16/bin")));
        let path = std::env::join_paths([root.join("none"), root.join("onpath/bin")]).unwrap();
        assert_eq!(
            find_binaries(Some(&path), &root),
            Some(root.join("onpath/bin"))
        );
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn url_encodes_the_socket_dir() {
        let cluster = PostgresCluster {
            dir: "/tmp/a b".into(),
            stop: None,
            supervisor: None,
        };
        assert_eq!(
            cluster.url("my db"),
            "postgres://postgres@/my%20db?host=/tmp/a%20b"
        );
    }
}
