//! Starting a server under test, and making sure it stops.
//!
//! `echo_load` runs any server command the same way: split on spaces (no
//! shell), start it, and learn its port from the `listening on port N`
//! line that `echoserver` and the baseline servers print. A command that
//! prints no such line can name its port `{port}`; a free port is then put
//! there and the server counts as ready when it accepts a connection.
//!
//! The server's stdout is drained by a thread for as long as it runs: a
//! server that prints a line per connection into a pipe nobody reads
//! would block after 64 KiB and look like a slow server. Its stderr is
//! inherited, so its complaints show up beside the table. The [`Server`]
//! guard kills the process when it is dropped, also when the benchmark
//! fails half-way or panics.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How to start a server: a program and its arguments.
///
/// # Examples
///
/// ```
/// let cmd = bench::server::ServerCmd::parse("target/release/echoserver 0")?;
/// assert_eq!(cmd.name(), "echoserver");
/// assert_eq!(cmd.args, ["0"]);
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ServerCmd {
    /// The program to run.
    pub program: PathBuf,
    /// Its arguments; `{port}` in one is replaced by a free port.
    pub args: Vec<String>,
}

impl ServerCmd {
    /// `program` with `args`.
    pub fn new(program: PathBuf, args: &[&str]) -> ServerCmd {
        let args = args.iter().map(|a| a.to_string()).collect();
        ServerCmd { program, args }
    }

    /// A command line split on whitespace (no shell, no quoting).
    ///
    /// # Errors
    ///
    /// The command is empty.
    pub fn parse(command: &str) -> Result<ServerCmd> {
        let mut words = command.split_whitespace();
        let Some(program) = words.next() else {
            bail!("empty server command");
        };
        Ok(ServerCmd {
            program: program.into(),
            args: words.map(str::to_string).collect(),
        })
    }

    /// The program's file name, for the tables.
    pub fn name(&self) -> String {
        self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// A running server process, killed on drop.
pub struct Server {
    name: String,
    port: u16,
    child: Child,
}

impl Server {
    /// Starts `cmd` and waits at most `deadline` for it to listen.
    ///
    /// If an argument holds `{port}`, a free port is put there, and the
    /// server is ready when a connection to that port succeeds. Otherwise
    /// the program must print `listening on port N` on stdout (give it
    /// port 0).
    ///
    /// # Errors
    ///
    /// The program cannot be started, exits, or does not listen in time.
    pub fn start(cmd: &ServerCmd, deadline: Duration) -> Result<Server> {
        let (program, args, name) = (&cmd.program, &cmd.args, cmd.name());
        let fixed_port = match args.iter().any(|a| a.contains("{port}")) {
            true => Some(free_port()?),
            false => None,
        };
        let args = args.iter().map(|a| match fixed_port {
            Some(p) => a.replace("{port}", &p.to_string()),
            None => a.to_string(),
        });
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        // the guard exists from here on: an error below kills the child
        let mut server = Server {
            name,
            port: 0,
            child,
        };

        // drain stdout for the server's whole life; report the port once
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                if let Some(port) = parse_listening(&line) {
                    let _ = tx.send(port);
                }
                line.clear();
            }
        });

        let start = Instant::now();
        server.port = loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(port) => break port,
                // stdout closed: the checks below say why
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    thread::sleep(Duration::from_millis(20))
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Some(port) = fixed_port {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break port;
                }
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("{} exited ({status}) before listening", server.name);
            }
            if start.elapsed() > deadline {
                bail!(
                    "{} printed no `listening on port N` within {deadline:?} \
                     (give it port 0, or put {{port}} in the command)",
                    server.name
                );
            }
        };
        Ok(server)
    }

    /// The port the server listens on (on loopback).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id, to read its fds, threads and memory.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The program's file name, for the tables.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks that the server has not exited since it started.
    ///
    /// # Errors
    ///
    /// It has exited: a server must outlive its clients.
    pub fn check_alive(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => bail!("{} exited ({status})", self.name),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL, then reap it so no zombie is left; the drain thread
        // ends by itself when the pipe closes
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port in a `listening on port N` line, if that is what `line` is.
///
/// # Examples
///
/// ```
/// assert_eq!(bench::server::parse_listening(b"listening on port 4242\n"), Some(4242));
/// assert_eq!(bench::server::parse_listening(b"Connected to (::1, 5)\n"), None);
/// ```
pub fn parse_listening(line: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(line).ok()?;
    text.trim().strip_prefix("listening on port ")?.parse().ok()
}

/// A port that was free a moment ago (bind to port 0, read, close).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// The path of another binary of this build, `name`, beside the running
/// program (in `target/release/` for a release build).
///
/// # Errors
///
/// It is not there: it was not built with the same profile.
pub fn sibling(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the running program")?;
    let path = exe.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} not found; build it first: cargo build --release -p echoserver -p bench",
            path.display()
        );
    }
    Ok(path)
}
