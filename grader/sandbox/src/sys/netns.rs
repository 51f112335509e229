//! A network namespace of its own for one submission's grading.
//!
//! Every check listens and connects on loopback. Two submissions graded at
//! once on one machine share that loopback: code under test could connect
//! to the other submission's servers and hold them busy (lab 3's server
//! serves one client at a time). As root, official grading therefore puts
//! each submission in a fresh network namespace: a loopback of its own,
//! brought up here, and nothing else. A fresh namespace also takes its
//! IPv6 settings from the kernel's defaults, so on a host whose own
//! namespace has IPv6 switched off (Docker's default), `::1` is back.
//!
//! Where namespaces are not permitted (no `CAP_SYS_ADMIN`, as in an
//! unprivileged container), grading goes on in the host's namespace and the
//! report says so.

#[cfg(target_os = "linux")]
use std::io;
#[cfg(target_os = "linux")]
use std::os::unix::process::CommandExt as _;
use std::process::Command;

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    /// A namespace of its own, with `::1`.
    OwnWithIpv6,
    /// A namespace of its own, without IPv6 (the kernel has none).
    OwnWithoutIpv6,
    /// No namespace could be made: the host's loopback.
    Host,
}

impl Net {
    /// One line for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Net::OwnWithIpv6 => "graded in a network namespace of its own (loopback with ::1)",
            Net::OwnWithoutIpv6 => {
                "graded in a network namespace of its own (loopback without IPv6: this kernel has none)"
            }
            Net::Host => {
                "graded on the host's loopback (a network namespace of its own is not permitted here)"
            }
        }
    }
}

#[cfg(target_os = "linux")]
/// Enters a new network namespace and brings its loopback up, with IPv6
/// on where the kernel has it. Only async-signal-safe system calls: it runs
/// between `fork` and `exec`, and in [`probe`]'s child.
///
/// # Safety
/// Call it in a forked child, or in a process of one thread.
unsafe fn enter() -> io::Result<()> {
    // SAFETY: plain system calls on integers and on memory we own.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNET) != 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        let up = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr) == 0 && {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr) == 0
        };
        let err = io::Error::last_os_error();
        libc::close(fd);
        if !up {
            return Err(err);
        }
        // IPv6 on the new loopback, if the kernel lets us (errors: none).
        let path = c"/proc/sys/net/ipv6/conf/lo/disable_ipv6";
        let f = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if f >= 0 {
            libc::write(f, b"0\n".as_ptr().cast(), 2);
            libc::close(f);
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
/// Can `::1:0` be bound (in this process's namespace)? Async-signal-safe.
fn ipv6_bindable() -> bool {
    // SAFETY: a socket, a bind on a zeroed sockaddr_in6 we own, a close.
    unsafe {
        let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return false;
        }
        let mut addr: libc::sockaddr_in6 = std::mem::zeroed();
        addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        addr.sin6_addr.s6_addr[15] = 1;
        let ok = libc::bind(
            fd,
            (&addr as *const libc::sockaddr_in6).cast(),
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        ) == 0;
        libc::close(fd);
        ok
    }
}

#[cfg(target_os = "linux")]
/// Tries, in a forked child, what [`isolate`] would do; says what it got.
pub fn probe() -> Net {
    // SAFETY: the child runs only async-signal-safe calls, then _exits.
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return Net::Host;
        }
        if pid == 0 {
            let code = match enter() {
                Ok(()) if ipv6_bindable() => 0,
                Ok(()) => 1,
                Err(_) => 2,
            };
            libc::_exit(code);
        }
        let mut status = 0;
        if libc::waitpid(pid, &mut status, 0) != pid || !libc::WIFEXITED(status) {
            return Net::Host;
        }
        match libc::WEXITSTATUS(status) {
            0 => Net::OwnWithIpv6,
            1 => Net::OwnWithoutIpv6,
            _ => Net::Host,
        }
    }
}

#[cfg(target_os = "linux")]
/// Where this namespace's loopback cannot bind `::1`, tries to switch its
/// IPv6 on (`net.ipv6.conf.lo.disable_ipv6 = 0`); quietly does nothing
/// where that is not allowed (a read-only `/proc/sys`).
pub fn enable_host_ipv6() {
    if ipv6_bindable() {
        return;
    }
    let _ = std::fs::write("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "0\n");
}

#[cfg(target_os = "linux")]
/// Makes `cmd` start in a new network namespace with its loopback up.
/// Use it only where [`probe`] said a namespace can be made.
pub fn isolate(cmd: &mut Command) {
    // SAFETY: `enter` makes only async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(|| enter());
    }
}

/// Elsewhere (macOS) there are no network namespaces: the host's loopback.
#[cfg(not(target_os = "linux"))]
pub fn probe() -> Net {
    Net::Host
}

/// Elsewhere: nothing to switch on.
#[cfg(not(target_os = "linux"))]
pub fn enable_host_ipv6() {}

/// Elsewhere: never called, since [`probe`] says `Host`.
#[cfg(not(target_os = "linux"))]
pub fn isolate(_cmd: &mut Command) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// As root (CI), a namespace can be made and the command in it sees a
    /// loopback of its own; elsewhere the probe says Host and nothing runs.
    #[test]
    fn a_command_gets_its_own_loopback() {
        let net = probe();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("not root: network namespaces not tested");
            return;
        }
        if net == Net::Host {
            eprintln!("namespaces not permitted here: not tested");
            return;
        }
        let mut cmd = Command::new("cat");
        cmd.arg("/proc/net/dev");
        isolate(&mut cmd);
        let out = cmd.output().expect("cat in a namespace");
        let text = String::from_utf8_lossy(&out.stdout);
        let devices: Vec<&str> = text
            .lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(str::trim)
            .collect();
        assert_eq!(devices, ["lo"], "{text}");
    }
}
