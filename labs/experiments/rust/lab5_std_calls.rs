// What Rust's std does underneath two calls of lab 5
// (labs/experiments/lab5_std.py runs this under strace):
//
//   nonblocking  set_nonblocking(true) on a socket, then prints the flags
//                line of /proc/self/fdinfo for it (O_NONBLOCK is 04000);
//   spawn        Command::new("true").status(): how the child is started;
//   pre_exec     the same with a pre_exec hook, which must run in the child;
//   uid          the same with a uid to switch to (our own: allowed to anyone);
//   builder      Builder::spawn with RUST_MIN_STACK too large to map: prints
//                what it returned (no thread can be made);
//   spawn_thread thread::spawn in the same state (it panics);
//   panic        a thread that panics, its handle dropped: the process
//                goes on and exits 0;
//   stack        a spawned thread's stack: the size of its mapping and
//                how much of it is resident (/proc/self/smaps).
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
        Some("uid") => {
            // our own uid (allowed for anyone): std must call setuid in the child
            use std::os::unix::fs::MetadataExt;
            let me = std::fs::metadata("/proc/self").unwrap().uid();
            assert!(Command::new("true").uid(me).status().unwrap().success());
        }
        Some("builder") => match std::thread::Builder::new().spawn(|| ()) {
            Ok(handle) => {
                handle.join().unwrap();
                println!("Ok");
            }
            Err(e) => println!("Err: {e}"),
        },
        Some("spawn_thread") => {
            std::thread::spawn(|| ()).join().unwrap();
            println!("spawned");
        }
        Some("panic") => {
            let handle = std::thread::spawn(|| panic!("one client's thread"));
            // wait for it to end, without join (which would hand the panic over)
            while !handle.is_finished() {
                std::thread::yield_now();
            }
            drop(handle);
            println!("still running");
        }
        Some("stack") => {
            let (size, rss) = std::thread::spawn(|| {
                let here = 0u8;
                let at = &here as *const u8 as usize;
                let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
                let mut found = None;
                for line in smaps.lines() {
                    if let Some((range, _)) = line.split_once(' ') {
                        if let Some((lo, hi)) = range.split_once('-') {
                            if let (Ok(lo), Ok(hi)) =
                                (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                            {
                                found = (lo <= at && at < hi).then_some((hi - lo, 0)).or(match found {
                                    Some((size, 0)) => Some((size, usize::MAX)),
                                    other => other,
                                });
                                continue;
                            }
                        }
                    }
                    if let (Some((size, usize::MAX)), Some(kib)) = (found, line.strip_prefix("Rss:")) {
                        let kib: usize = kib.trim().trim_end_matches("kB").trim().parse().unwrap();
                        return (size, kib * 1024);
                    }
                }
                panic!("no mapping holds the thread's stack");
            })
            .join()
            .unwrap();
            println!("{size} {rss}");
        }
        _ => panic!("usage: lab5_std_calls nonblocking|spawn|pre_exec|uid|builder|spawn_thread|panic|stack"),
    }
}
