// What Rust's std does underneath two calls of lab 5
// (labs/experiments/lab5_std.py runs this under strace):
//
//   nonblocking  set_nonblocking(true) on a socket, then prints the flags
//                line of /proc/self/fdinfo for it (O_NONBLOCK is 04000);
//   spawn        Command::new("true").status(): how the child is started;
//   pre_exec     the same with a pre_exec hook, which must run in the child.
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("nonblocking") => {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let conn = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            eprintln!("MARK set_nonblocking fd {}", conn.as_raw_fd());
            conn.set_nonblocking(true).unwrap();
            eprintln!("MARK done");
            let mut info = String::new();
            std::fs::File::open(format!("/proc/self/fdinfo/{}", conn.as_raw_fd()))
                .unwrap()
                .read_to_string(&mut info)
                .unwrap();
            let flags = info.lines().find(|l| l.starts_with("flags:")).unwrap();
            println!("{}", flags.split_whitespace().nth(1).unwrap());
        }
        Some("spawn") => {
            assert!(Command::new("true").status().unwrap().success());
        }
        Some("pre_exec") => {
            let mut cmd = Command::new("true");
            // SAFETY: the hook calls nothing at all.
            unsafe { cmd.pre_exec(|| Ok(())) };
            assert!(cmd.status().unwrap().success());
        }
        _ => panic!("usage: lab5_std_calls nonblocking|spawn|pre_exec"),
    }
}
