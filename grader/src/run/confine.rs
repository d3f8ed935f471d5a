//! Confinement: what a test process may touch, enforced by the kernel.
//!
//! Every test process (and every listing of a test executable) runs in a
//! Landlock domain of its own, entered between `fork` and `exec`:
//!
//! - **write** (create, remove, truncate, rename...) only beneath the run's
//!   private folder (its `HOME` and `TMPDIR`);
//! - **read and execute** only the system's code (`/usr`, `/lib`, `/lib64`,
//!   `/bin`), the dynamic loader's cache, `/dev/null`, `/dev/urandom` and the
//!   run's own test executable;
//! - **nothing else**: not `/proc` (so not `/proc/self/fd/3`, where the
//!   sentinel's nonce is, nor `/proc/self/environ`, `/proc/self/mem` or
//!   another process's files), not the course workspace, the grader's cache,
//!   the stage, the build, other runs' executables, a batch's output or the
//!   canary's record; no TCP `bind`/`connect` (ABI 4); no signal to, and no
//!   abstract Unix socket of, a process outside the domain (ABI 6).
//!
//! The ruleset is built in the parent (opening paths allocates and is not
//! safe after `fork`); the child only calls `prctl(PR_SET_NO_NEW_PRIVS)` and
//! `landlock_restrict_self` on the ruleset's descriptor, two system calls,
//! which is async-signal-safe. The grader itself stays outside the domain, so
//! it can still signal, kill and ptrace (gdb) its children: Landlock only
//! restricts what a process inside a domain does to processes outside it.
//!
//! Where the kernel has no usable Landlock (an old kernel, Landlock not
//! enabled at boot, a container whose seccomp profile refuses the calls), the
//! grader still grades, unconfined, and says so: in the scorecard's
//! `confinement` and on stderr. It never pretends. `GRADER_CONFINEMENT=off`
//! switches confinement off on purpose, for measuring its cost only; the
//! scorecard then says so too.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::OnceLock;

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, Ruleset, RulesetAttr, RulesetCreatedAttr, Scope, path_beneath_rules,
};

use crate::scorecard::Confinement;

/// The variable that switches confinement off (benchmarks only).
pub const SWITCH_ENV: &str = "GRADER_CONFINEMENT";
/// Below this ABI (Linux 6.2) Landlock cannot refuse `truncate`, so a test
/// could empty the executables of other runs: not confinement.
pub const MIN_ABI: i32 = 3;
/// The highest ABI whose rights this grader knows how to ask for.
const MAX_KNOWN_ABI: i32 = 7;

/// Folders whose contents every test executable may read and run: the C
/// library, the dynamic loader and `sh` (which some tests start).
const SYSTEM_DIRS: &[&str] = &["/usr", "/lib", "/lib64", "/lib32", "/bin"];
/// Single files a test process may read: the loader's cache and the few
/// devices the standard library or tests open.
const SYSTEM_FILES: &[&str] = &["/etc/ld.so.cache"];
/// The devices a test process may read (and, for `/dev/null`, write).
const DEVICES: &[&str] = &["/dev/urandom", "/dev/random", "/dev/zero"];

/// The paths among `paths` that are character devices. A "/dev/null" that
/// is a regular file (seen on machines of this kind) would be one file
/// shared by every run, which one run could write and a later one read: it
/// gets no rule, so a confined test cannot open it at all.
fn char_devices<'a>(paths: &[&'a str]) -> Vec<&'a str> {
    use std::os::unix::fs::FileTypeExt;
    paths.iter().copied().filter(|p| std::fs::metadata(p).is_ok_and(|m| m.file_type().is_char_device())).collect()
}

/// How this grader process confines test processes; decided once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Landlock at this ABI.
    Landlock { abi: i32 },
    /// Not confined, and why.
    Off { reason: String },
}

/// The mode, probed on first use: the kernel's ABI and one real confined
/// start of `/bin/true` (a container may let the first call through and
/// refuse the second).
pub fn mode() -> &'static Mode {
    static MODE: OnceLock<Mode> = OnceLock::new();
    MODE.get_or_init(|| {
        let mode = probe();
        if let Mode::Off { reason } = &mode {
            eprintln!("grader: warning: test processes are NOT confined: {reason}");
        }
        mode
    })
}

fn probe() -> Mode {
    if std::env::var_os(SWITCH_ENV).is_some_and(|v| v == "off") {
        return Mode::Off {
            reason: format!(
                "switched off with {SWITCH_ENV}=off (for measuring what confinement costs; never for grades of record)"
            ),
        };
    }
    let abi = match kernel_abi() {
        Ok(abi) => abi,
        Err(e) => return Mode::Off { reason: unavailable_reason(&e) },
    };
    if abi < MIN_ABI {
        return Mode::Off {
            reason: format!(
                "the kernel's Landlock ABI is {abi}; confinement needs ABI {MIN_ABI} (Linux 6.2) or later, which can \
                 refuse truncating files"
            ),
        };
    }
    let probe_dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return Mode::Off { reason: format!("could not prepare the Landlock probe: {e}") },
    };
    let result = ruleset(abi, &[probe_dir.path()], Path::new("/bin/true")).and_then(|fd| {
        let raw = fd.as_raw_fd();
        let mut command = std::process::Command::new("/bin/true");
        // SAFETY: the closure only makes two system calls (see `enter`).
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(move || enter(raw));
        }
        command.status()
    });
    match result {
        Ok(status) if status.success() => Mode::Landlock { abi },
        Ok(status) => Mode::Off { reason: format!("a confined /bin/true failed ({status}); not confining") },
        Err(e) => Mode::Off { reason: unavailable_reason(&e) },
    }
}

fn unavailable_reason(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOSYS) => {
            "the kernel has no Landlock (Linux 5.13 or later, built with CONFIG_SECURITY_LANDLOCK)".into()
        }
        Some(libc::EOPNOTSUPP) => {
            "Landlock is built into the kernel but not enabled (add `landlock` to the lsm= boot parameter)".into()
        }
        Some(libc::EPERM) => {
            "the Landlock system calls are refused (EPERM): a container's seccomp profile, or no_new_privs forbidden"
                .into()
        }
        _ => format!("Landlock could not be used: {e}"),
    }
}

/// The Landlock ABI of the running kernel.
pub fn kernel_abi() -> io::Result<i32> {
    // SAFETY: with a null attribute, size 0 and the VERSION flag, the call
    // reads and writes no memory; it returns the ABI or -1 with errno.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    if abi < 0 { Err(io::Error::last_os_error()) } else { Ok(abi as i32) }
}

/// The ruleset of one run in the folder `private`: only its `home/` and
/// `tmp/` are usable, so the sentinel's files beside them are not.
pub fn ruleset_for_run(abi: i32, private: &Path, executable: &Path) -> io::Result<OwnedFd> {
    ruleset(abi, &[&private.join("home"), &private.join("tmp")], executable)
}

/// A ruleset: the folders `writable` fully usable, `executable` readable
/// and executable, the system's code readable, nothing else. Built in the
/// parent; the child enters it with [`enter`].
pub fn ruleset(abi: i32, writable: &[&Path], executable: &Path) -> io::Result<OwnedFd> {
    let level = ABI::from(abi.min(MAX_KNOWN_ABI));
    let to_io = |e: landlock::RulesetError| io::Error::other(e.to_string());
    let mut ruleset = Ruleset::default().handle_access(AccessFs::from_all(level)).map_err(to_io)?;
    if abi >= 4 {
        ruleset = ruleset.handle_access(AccessNet::from_all(level)).map_err(to_io)?;
    }
    if abi >= 6 {
        ruleset = ruleset.scope(Scope::from_all(level)).map_err(to_io)?;
    }
    let read: BitFlags<AccessFs> = AccessFs::from_read(level);
    let file_read = AccessFs::ReadFile | AccessFs::Execute;
    let null_rights = AccessFs::ReadFile | AccessFs::WriteFile;
    let created = ruleset
        .create()
        .map_err(to_io)?
        .add_rules(path_beneath_rules(SYSTEM_DIRS, read))
        .map_err(to_io)?
        .add_rules(path_beneath_rules(SYSTEM_FILES, AccessFs::ReadFile))
        .map_err(to_io)?
        .add_rules(path_beneath_rules(char_devices(DEVICES), AccessFs::ReadFile))
        .map_err(to_io)?
        .add_rules(path_beneath_rules(char_devices(&["/dev/null"]), null_rights))
        .map_err(to_io)?
        .add_rules(path_beneath_rules([executable], file_read))
        .map_err(to_io)?
        .add_rules(path_beneath_rules(writable, AccessFs::from_all(level)))
        .map_err(to_io)?;
    // `path_beneath_rules` skips paths it cannot open: the ones a run cannot
    // do without are checked here, so a missing one is an error, not a
    // silently unusable run.
    for needed in writable.iter().copied().chain([executable]) {
        if !needed.exists() {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("{} does not exist", needed.display())));
        }
    }
    let fd: Option<OwnedFd> = created.into();
    fd.ok_or_else(|| io::Error::other("Landlock gave no ruleset descriptor"))
}

/// Enters the ruleset `fd`: no new privileges, then `landlock_restrict_self`.
/// Runs in the forked child before `exec`: two system calls and nothing
/// else (no allocation, no lock), so it is async-signal-safe.
pub fn enter(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: prctl and the Landlock call take plain integers.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// What the scorecard says about confinement.
pub fn card() -> Confinement {
    let policy = crate::policy::summary();
    match mode() {
        Mode::Landlock { abi } => Confinement {
            confined: true,
            mechanism: "landlock".into(),
            landlock_abi: Some(*abi as u32),
            policy,
            detail: format!(
                "each test process ran in its own Landlock domain (ABI {abi}): writes only to its private folder; \
                 reads only the system's libraries and its own executable; no /proc, no TCP{}",
                if *abi >= 6 { ", no signals to processes outside it" } else { "" }
            ),
        },
        Mode::Off { reason } => Confinement {
            confined: false,
            mechanism: "none".into(),
            landlock_abi: kernel_abi().ok().filter(|abi| *abi > 0).map(|abi| abi as u32),
            policy,
            detail: format!(
                "NOT CONFINED: {reason}; test processes could read and write whatever the grader's user can"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::process::{self, Exit, ProcessSpec};
    use std::time::Duration;

    fn confined_shell(private: &Path, script: &str, inherit: Vec<(OwnedFd, i32)>) -> Option<process::ProcessResult> {
        let Mode::Landlock { abi } = mode() else {
            eprintln!("Landlock unavailable here; skipping");
            return None;
        };
        let ruleset = ruleset(*abi, &[private], Path::new("/bin/sh")).unwrap();
        Some(
            process::run(&ProcessSpec {
                program: "/bin/sh".into(),
                args: vec!["-c".into(), script.into()],
                env: vec![("PATH".into(), "/usr/bin:/bin".into())],
                cwd: private.to_path_buf(),
                timeout: Duration::from_secs(10),
                output_cap: 10_000,
                memory_limit: None,
                landlock: Some(ruleset),
                inherit,
                diagnosis: None,
            })
            .unwrap(),
        )
    }

    #[test]
    fn only_character_devices_get_a_device_rule() {
        // A regular file named like a device (a "/dev/null" that piles up
        // what every run writes) must get no rule.
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("null");
        std::fs::write(&fake, "left by an earlier run").unwrap();
        let fake = fake.to_str().unwrap();
        let missing = dir.path().join("missing");
        let kept = char_devices(&["/dev/zero", fake, missing.to_str().unwrap()]);
        assert!(!kept.contains(&fake), "a regular file got a device rule: {kept:?}");
        assert_eq!(kept.len(), usize::from(std::path::Path::new("/dev/zero").exists()));
    }

    #[test]
    fn a_confined_process_writes_only_its_private_folder_and_reads_no_proc() {
        let outside = tempfile::tempdir().unwrap();
        let private = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "intact").unwrap();
        let script = format!(
            "(echo x > {victim}) 2>/dev/null && echo WROTE-OUTSIDE; (: > {victim}) 2>/dev/null && echo TRUNCATED; \
             (cat /proc/self/environ) >/dev/null 2>&1 && echo READ-PROC; (cat {victim}) >/dev/null 2>&1 && echo \
             READ-OUTSIDE; (kill -0 {grader}) 2>/dev/null && echo SIGNALLED-OUTSIDE; echo ok > mine && cat mine",
            victim = victim.display(),
            grader = std::process::id()
        );
        let Some(result) = confined_shell(private.path(), &script, vec![]) else { return };
        let text = result.output.text();
        assert_eq!(result.exit, Exit::Code(0), "{text}");
        assert_eq!(text.trim(), "ok", "the confined shell got out: {text}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "intact");
    }

    #[test]
    fn an_inherited_descriptor_is_readable_directly_but_not_reopened_through_proc() {
        let secret_dir = tempfile::tempdir().unwrap();
        let private = tempfile::tempdir().unwrap();
        let secret = secret_dir.path().join("nonce");
        std::fs::write(&secret, "s3cr3t").unwrap();
        let fd: OwnedFd = std::fs::File::open(&secret).unwrap().into();
        std::fs::remove_file(&secret).unwrap();
        let script = "cat /proc/self/fd/3 2>/dev/null && echo VIA-PROC; cat /dev/fd/3 2>/dev/null && echo VIA-DEV; \
                      cat <&3";
        let Some(result) = confined_shell(private.path(), script, vec![(fd, 3)]) else { return };
        assert_eq!(result.output.text(), "s3cr3t", "{}", result.output.text());
    }

    #[test]
    fn the_scorecard_never_claims_confinement_it_does_not_have() {
        let card = card();
        assert_eq!(card.confined, matches!(mode(), Mode::Landlock { .. }));
        if !card.confined {
            assert!(card.detail.starts_with("NOT CONFINED"), "{}", card.detail);
        }
    }

    /// The parent's share of confinement per run: building one run's
    /// ruleset (opening the rule paths, three system calls per rule).
    /// `cargo test -p grader --release --lib -- --ignored ruleset_cost --nocapture`
    /// (scripts/bench-confinement.sh runs it).
    #[test]
    #[ignore = "a measurement, run by scripts/bench-confinement.sh"]
    fn ruleset_cost() {
        let Mode::Landlock { abi } = mode() else { return };
        let private = tempfile::tempdir().unwrap();
        std::fs::create_dir(private.path().join("home")).unwrap();
        std::fs::create_dir(private.path().join("tmp")).unwrap();
        let rounds = 500;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            drop(ruleset_for_run(*abi, private.path(), Path::new("/bin/true")).unwrap());
        }
        let per = started.elapsed() / rounds;
        println!("ruleset per run: {} us", per.as_micros());
    }
}
