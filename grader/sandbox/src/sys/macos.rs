//! macOS: the process table and a process's resources from libproc
//! (`proc_listallpids`, `proc_pidinfo`, `proc_pidfdinfo`, as the `libc`
//! crate declares them). macOS has no child subreaper and no parent-death
//! signal: see [`super::Containment::Tracking`].
//!
//! Why not the `libproc` crate: it generates its bindings with bindgen at
//! build time on macOS, which needs libclang on the student's machine and
//! adds minutes to the first build; the few calls used here are already
//! declared by `libc`.

use std::io;
use std::mem::{MaybeUninit, size_of};
use std::process::Command;
use std::time::Duration;

use super::ProcInfo;

/// `PROC_PIDFDSOCKETINFO` of `<sys/proc_info.h>` (not in `libc`): the
/// flavour of `proc_pidfdinfo` that describes a socket.
const PROC_PIDFDSOCKETINFO: libc::c_int = 3;
/// `PROC_PIDFDVNODEINFO`: the flavour for a file (used to read the open
/// flags of a descriptor that is not a socket).
const PROC_PIDFDVNODEINFO: libc::c_int = 1;
/// `FNONBLOCK` in a `proc_fileinfo`'s `fi_openflags` (`O_NONBLOCK`).
const FNONBLOCK: u32 = libc::O_NONBLOCK as u32;

fn last_error() -> io::Error {
    io::Error::last_os_error()
}

/// `proc_pidinfo(pid, flavor, 0, &T)`, which returns how many bytes it
/// filled (0 on failure).
fn pidinfo<T>(pid: i32, flavor: libc::c_int) -> io::Result<T> {
    let mut out = MaybeUninit::<T>::zeroed();
    let size = size_of::<T>() as libc::c_int;
    // SAFETY: the kernel writes at most `size` bytes into `out`, which is
    // zeroed plain old data of that size.
    let n = unsafe { libc::proc_pidinfo(pid, flavor, 0, out.as_mut_ptr().cast(), size) };
    if n != size {
        return Err(if n <= 0 {
            last_error()
        } else {
            io::Error::other("short proc_pidinfo")
        });
    }
    // SAFETY: filled whole by the kernel (n == size); zeroes are valid too.
    Ok(unsafe { out.assume_init() })
}

fn comm(name: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub(super) fn process_info(pid: i32) -> Option<ProcInfo> {
    let info: libc::proc_bsdshortinfo = pidinfo(pid, libc::PROC_PIDT_SHORTBSDINFO).ok()?;
    Some(ProcInfo {
        pid: info.pbsi_pid as i32,
        ppid: info.pbsi_ppid as i32,
        pgid: info.pbsi_pgid as i32,
        zombie: info.pbsi_status == libc::SZOMB,
        uid: info.pbsi_ruid,
        comm: comm(&info.pbsi_comm),
    })
}

pub(super) fn process_table() -> io::Result<Vec<ProcInfo>> {
    let mut pids: Vec<libc::pid_t> = vec![0; 4096];
    loop {
        let bytes = (pids.len() * size_of::<libc::pid_t>()) as libc::c_int;
        // SAFETY: the kernel writes at most `bytes` bytes into `pids`.
        let n = unsafe { libc::proc_listallpids(pids.as_mut_ptr().cast(), bytes) };
        if n < 0 {
            return Err(last_error());
        }
        let n = n as usize;
        if n < pids.len() {
            pids.truncate(n);
            break;
        }
        // The table may have grown since: ask again with room to spare.
        pids = vec![0; pids.len() * 2];
    }
    Ok(pids
        .into_iter()
        .filter(|&p| p > 0)
        .filter_map(process_info)
        .collect())
}

pub(super) fn process_table_quick() -> io::Result<Vec<ProcInfo>> {
    process_table()
}

pub(super) fn command_line(pid: i32) -> Option<String> {
    process_info(pid).map(|p| p.comm)
}

/// The arguments and environment of `pid` as `sysctl(KERN_PROCARGS2)`
/// gives them (argc, the executable, the arguments, then `NAME=value`
/// strings): enough to search for one of them.
pub(super) fn environment(pid: i32) -> Option<Vec<u8>> {
    let mut mib = [libc::CTL_KERN, libc::KERN_PROCARGS2, pid];
    let mut size: libc::size_t = 0;
    // SAFETY: with a null buffer sysctl only writes the size it needs.
    let rc = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            std::ptr::null_mut(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 || size == 0 {
        return None;
    }
    let mut buf = vec![0u8; size];
    // SAFETY: sysctl writes at most `size` bytes into `buf`, and says how many.
    let rc = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            buf.as_mut_ptr().cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return None;
    }
    buf.truncate(size);
    Some(buf)
}

pub(super) fn open_fds(pid: i32) -> io::Result<Vec<i32>> {
    Ok(open_fds_typed(pid)?.into_iter().map(|(fd, _)| fd).collect())
}

/// The type of descriptor `fd` of `pid` (`PROX_FDTYPE_*`).
fn fd_type(pid: i32, fd: i32) -> io::Result<u32> {
    open_fds_typed(pid)?
        .into_iter()
        .find(|&(f, _)| f == fd)
        .map(|(_, t)| t)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EBADF))
}

/// Every open descriptor of `pid` with its type.
fn open_fds_typed(pid: i32) -> io::Result<Vec<(i32, u32)>> {
    // The first call with no buffer says how many bytes the list needs.
    // SAFETY: a null buffer of size 0 is allowed and nothing is written.
    let need =
        unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDLISTFDS, 0, std::ptr::null_mut(), 0) };
    if need <= 0 {
        return Err(last_error());
    }
    let room = need as usize / size_of::<libc::proc_fdinfo>() + 32;
    let mut list: Vec<libc::proc_fdinfo> = Vec::with_capacity(room);
    let bytes = (room * size_of::<libc::proc_fdinfo>()) as libc::c_int;
    // SAFETY: the kernel writes at most `bytes` bytes into the capacity.
    let got = unsafe {
        libc::proc_pidinfo(
            pid,
            libc::PROC_PIDLISTFDS,
            0,
            list.as_mut_ptr().cast(),
            bytes,
        )
    };
    if got <= 0 {
        return Err(last_error());
    }
    // SAFETY: the kernel filled `got` bytes of whole entries.
    unsafe { list.set_len(got as usize / size_of::<libc::proc_fdinfo>()) };
    Ok(list.iter().map(|f| (f.proc_fd, f.proc_fdtype)).collect())
}

pub(super) fn fd_is_socket(pid: i32, fd: i32) -> io::Result<bool> {
    Ok(fd_type(pid, fd)? == libc::PROX_FDTYPE_SOCKET as u32)
}

pub(super) fn fd_is_nonblocking(pid: i32, fd: i32) -> io::Result<bool> {
    let flavor = if fd_is_socket(pid, fd)? {
        PROC_PIDFDSOCKETINFO
    } else {
        PROC_PIDFDVNODEINFO
    };
    // Every `*_fdinfo` starts with a `proc_fileinfo`, whose first field is
    // `fi_openflags`; the buffer is larger than any of them (the kernel
    // refuses one that is too small, never one that is too large).
    let mut buf = [0u64; 512];
    let size = size_of_val(&buf) as libc::c_int;
    // SAFETY: the kernel writes at most `size` bytes into `buf`.
    let n = unsafe { libc::proc_pidfdinfo(pid, fd, flavor, buf.as_mut_ptr().cast(), size) };
    if n <= 0 {
        return Err(last_error());
    }
    let openflags = (buf[0] & 0xffff_ffff) as u32;
    Ok(openflags & FNONBLOCK != 0)
}

fn task_info(pid: i32) -> io::Result<libc::proc_taskinfo> {
    pidinfo(pid, libc::PROC_PIDTASKINFO)
}

pub(super) fn thread_count(pid: i32) -> io::Result<usize> {
    Ok(task_info(pid)?.pti_threadnum.max(0) as usize)
}

pub(super) fn resident_bytes(pid: i32) -> io::Result<u64> {
    Ok(task_info(pid)?.pti_resident_size)
}

// libc marks the Mach timebase deprecated only to point at the `mach2`
// crate; its binding is right, and one call does not justify a dependency.
#[allow(deprecated)]
pub(super) fn cpu_time(pid: i32) -> io::Result<Duration> {
    let info = task_info(pid)?;
    // In Mach absolute-time units, which are nanoseconds on Intel but not
    // on Apple silicon: convert with the timebase.
    let mut base = libc::mach_timebase_info { numer: 0, denom: 0 };
    // SAFETY: writes the two fields of `base`.
    unsafe { libc::mach_timebase_info(&mut base) };
    let (numer, denom) = if base.denom == 0 {
        (1, 1)
    } else {
        (base.numer as u128, base.denom as u128)
    };
    let ticks = (info.pti_total_user + info.pti_total_system) as u128;
    Ok(Duration::from_nanos((ticks * numer / denom) as u64))
}

pub(super) fn time_wait_count(_port: u16) -> Option<usize> {
    None
}

pub(super) fn time_wait_sockets() -> Option<u64> {
    None
}

pub(super) fn context_switches() -> Option<u64> {
    None
}

pub(super) fn available_memory() -> Option<u64> {
    None
}

pub(super) fn random_bytes(buf: &mut [u8]) -> io::Result<()> {
    // getentropy gives at most 256 bytes a call.
    for chunk in buf.chunks_mut(256) {
        // SAFETY: writes exactly chunk.len() (≤ 256) bytes into the chunk.
        if unsafe { libc::getentropy(chunk.as_mut_ptr().cast(), chunk.len()) } != 0 {
            return Err(last_error());
        }
    }
    Ok(())
}

pub(super) fn become_subreaper() -> bool {
    false
}

pub(super) fn make_undumpable() {}

pub(super) fn die_with_parent(_cmd: &mut Command) {}
