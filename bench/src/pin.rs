//! Pinning a benchmark to one CPU.
//!
//! On a 2-core machine, where the scheduler puts an echo server relative
//! to its client matters more than the server's code: a round trip to a
//! server on the other core, which sleeps in a deep idle state between
//! requests, takes ~50 µs; on the client's own core, ~7 µs. And a process
//! tends to stay where it was put, so two identical servers can differ by
//! 10% in one run. `echo_load` therefore pins itself (and so its threads
//! and the servers it starts, which inherit the mask) to one CPU: every
//! server then runs under the same conditions, and what the figures
//! compare is what each server costs the machine per request and per
//! byte. The other CPU is left to the rest of the machine, so the
//! scheduler moves other work away from ours.
//!
//! Linux only (`sched_setaffinity`); elsewhere [`pin_to`] reports
//! `Unsupported` and the benchmark runs unpinned.

use std::io;

/// The CPUs this process may run on, in increasing order.
///
/// # Errors
///
/// The system call failed, or this is not Linux.
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    imp::allowed_cpus()
}

/// Pins the calling thread to `cpu`; threads and processes it starts
/// afterwards inherit that.
///
/// # Errors
///
/// `cpu` is not one this process may use, or this is not Linux.
pub fn pin_to(cpu: usize) -> io::Result<()> {
    imp::pin_to(cpu)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::mem;

    pub fn allowed_cpus() -> io::Result<Vec<usize>> {
        // SAFETY: cpu_set_t is plain bits, for which all zeros is a valid
        // (empty) set; the kernel writes at most size_of::<cpu_set_t>()
        // bytes into it.
        let set = unsafe {
            let mut set: libc::cpu_set_t = mem::zeroed();
            if libc::sched_getaffinity(0, mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return Err(io::Error::last_os_error());
            }
            set
        };
        // SAFETY: CPU_ISSET only reads the set, at an index below CPU_SETSIZE.
        let cpus = (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect();
        Ok(cpus)
    }

    pub fn pin_to(cpu: usize) -> io::Result<()> {
        if cpu >= libc::CPU_SETSIZE as usize {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no such CPU"));
        }
        // SAFETY: as above; CPU_SET writes one bit inside the set (the index
        // was checked), and sched_setaffinity only reads the set.
        unsafe {
            let mut set: libc::cpu_set_t = mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;

    pub fn allowed_cpus() -> io::Result<Vec<usize>> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub fn pin_to(_cpu: usize) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// This process may run somewhere, and pinning to such a CPU works.
    #[test]
    fn pins_to_an_allowed_cpu() {
        let cpus = allowed_cpus().unwrap();
        let last = *cpus.last().expect("at least one CPU");
        // in a thread of its own, so the test runner's threads stay unpinned
        std::thread::spawn(move || pin_to(last).unwrap())
            .join()
            .unwrap();
        assert!(pin_to(usize::MAX).is_err());
    }
}
