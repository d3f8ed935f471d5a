//! How many CPUs a grading really has, found out once at its start.
//!
//! `nproc` and `available_parallelism` are not enough on their own: a
//! container may see every core of its host but be held to one CPU's worth
//! of time by its cgroup's quota (Gradescope, CI runners, Docker's
//! `--cpus`). Two busy threads on a one-CPU quota never run at once, so the
//! stress lane could not line them up however long it tried. The grader
//! takes the smaller of the affinity mask and the quota, and a stress group
//! that needs more CPUs (`cpus = N` in its metadata) is decided by the
//! exercise's controlled lane instead of being run in vain.

use std::fs;
use std::path::{Path, PathBuf};

use crate::scorecard::Machine;

/// The CPUs this process may use now.
pub fn detect() -> Machine {
    let affinity = affinity_cpus();
    let quota = cgroup_quota();
    combine(affinity, quota)
}

/// A cgroup CPU quota: how many CPUs' worth of time, and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    pub cpus: f64,
    pub source: String,
}

/// The smaller of the two limits wins. A quota of 1.5 CPUs counts as 1:
/// two threads cannot run side by side all the time on it, which is what
/// the stress lane needs.
pub fn combine(affinity: Option<u32>, quota: Option<Quota>) -> Machine {
    let affinity_text = match affinity {
        Some(n) => format!("sched_getaffinity: {n} {}", cpus_word(n)),
        None => "sched_getaffinity failed; counted as 1 CPU".to_string(),
    };
    let affinity = affinity.unwrap_or(1).max(1);
    match quota {
        Some(quota) => {
            let whole = (quota.cpus.floor() as u32).max(1);
            if whole < affinity {
                Machine {
                    cpus: whole,
                    cpus_source: format!(
                        "cgroup CPU quota: {} ({:.2} {}); {affinity_text}",
                        quota.source,
                        quota.cpus,
                        cpus_word(whole)
                    ),
                }
            } else {
                Machine {
                    cpus: affinity,
                    cpus_source: format!(
                        "{affinity_text}; cgroup CPU quota: {} ({:.2} CPUs)",
                        quota.source, quota.cpus
                    ),
                }
            }
        }
        None => Machine { cpus: affinity, cpus_source: format!("{affinity_text}; no cgroup CPU quota") },
    }
}

fn cpus_word(n: u32) -> &'static str {
    if n == 1 { "CPU" } else { "CPUs" }
}

/// The CPUs in this thread's affinity mask (what `taskset` sets).
fn affinity_cpus() -> Option<u32> {
    // SAFETY: the set is plain data, zeroed and then filled by the kernel;
    // its size is passed along.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        u32::try_from(libc::CPU_COUNT(&set)).ok().filter(|&n| n > 0)
    }
}

/// The tightest CPU quota of this process's cgroups, v2 and v1, over the
/// cgroup and its ancestors (a parent's quota binds its children too).
fn cgroup_quota() -> Option<Quota> {
    let cgroups = fs::read_to_string("/proc/self/cgroup").ok()?;
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mut best: Option<Quota> = None;
    for (version, dir, mount) in cgroup_dirs(&cgroups, &mountinfo) {
        for dir in ancestors(&dir, &mount) {
            let found = if version == 2 {
                fs::read_to_string(dir.join("cpu.max"))
                    .ok()
                    .and_then(|t| parse_cpu_max(&t))
                    .map(|cpus| Quota { cpus, source: format!("cgroup v2 {}", dir.join("cpu.max").display()) })
            } else {
                let quota = fs::read_to_string(dir.join("cpu.cfs_quota_us")).ok();
                let period = fs::read_to_string(dir.join("cpu.cfs_period_us")).ok();
                quota
                    .zip(period)
                    .and_then(|(q, p)| parse_cfs(&q, &p))
                    .map(|cpus| Quota { cpus, source: format!("cgroup v1 {}", dir.join("cpu.cfs_quota_us").display()) })
            };
            if let Some(found) = found
                && best.as_ref().is_none_or(|b| found.cpus < b.cpus)
            {
                best = Some(found);
            }
        }
    }
    best
}

/// `cpu.max` of cgroup v2: "max 100000" (no limit) or "QUOTA PERIOD".
pub fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut fields = text.split_whitespace();
    let quota = fields.next()?;
    let period: f64 = fields.next().map_or(Some(100_000.0), |p| p.parse().ok())?;
    if quota == "max" || period <= 0.0 {
        return None;
    }
    let quota: f64 = quota.parse().ok()?;
    (quota > 0.0).then(|| quota / period)
}

/// `cpu.cfs_quota_us` and `cpu.cfs_period_us` of cgroup v1; a quota of -1
/// is no limit.
pub fn parse_cfs(quota: &str, period: &str) -> Option<f64> {
    let quota: f64 = quota.trim().parse().ok()?;
    let period: f64 = period.trim().parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// The folders of this process's CPU cgroups: `(version, folder, mount
/// point)`, from `/proc/self/cgroup` and `/proc/self/mountinfo`. A cgroup
/// path is relative to the hierarchy's root, which a container may have
/// mounted at a subfolder (the mount's root field): that prefix is dropped.
pub fn cgroup_dirs(cgroups: &str, mountinfo: &str) -> Vec<(u8, PathBuf, PathBuf)> {
    let mut dirs = Vec::new();
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let v2 = id == "0" && controllers.is_empty();
        if !v2 && !controllers.split(',').any(|c| c == "cpu") {
            continue;
        }
        for mount in mountinfo.lines() {
            let Some((left, right)) = mount.split_once(" - ") else { continue };
            let left: Vec<&str> = left.split(' ').collect();
            let right: Vec<&str> = right.split(' ').collect();
            let (Some(root), Some(point), Some(fstype)) = (left.get(3), left.get(4), right.first()) else {
                continue;
            };
            let matches = if v2 {
                *fstype == "cgroup2"
            } else {
                *fstype == "cgroup" && right.get(2).is_some_and(|opts| opts.split(',').any(|o| o == "cpu"))
            };
            if !matches {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(path).trim_start_matches('/');
            let point = PathBuf::from(point);
            dirs.push((if v2 { 2 } else { 1 }, point.join(relative), point));
        }
    }
    dirs
}

/// `dir` and its parents up to and including `mount`.
fn ancestors(dir: &Path, mount: &Path) -> Vec<PathBuf> {
    dir.ancestors().take_while(|d| d.starts_with(mount)).map(Path::to_path_buf).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_max_and_cfs_quotas_are_read() {
        assert_eq!(parse_cpu_max("max 100000\n"), None);
        assert_eq!(parse_cpu_max("100000 100000\n"), Some(1.0));
        assert_eq!(parse_cpu_max("150000 100000"), Some(1.5));
        assert_eq!(parse_cpu_max("garbage"), None);
        assert_eq!(parse_cfs("-1\n", "100000\n"), None);
        assert_eq!(parse_cfs("200000\n", "100000\n"), Some(2.0));
        assert_eq!(parse_cfs("x", "100000"), None);
    }

    #[test]
    fn the_smaller_limit_wins_and_a_fraction_rounds_down() {
        let quota = |cpus| Some(Quota { cpus, source: "cgroup v2 /sys/fs/cgroup/x/cpu.max".into() });
        let one = combine(Some(2), quota(1.5));
        assert_eq!(one.cpus, 1);
        assert!(one.cpus_source.starts_with("cgroup CPU quota"), "{}", one.cpus_source);
        assert!(one.cpus_source.contains("sched_getaffinity: 2 CPUs"), "{}", one.cpus_source);
        let two = combine(Some(2), quota(4.0));
        assert_eq!(two.cpus, 2);
        assert!(two.cpus_source.starts_with("sched_getaffinity: 2 CPUs"), "{}", two.cpus_source);
        assert_eq!(combine(Some(1), None).cpus, 1);
        assert_eq!(combine(Some(8), quota(0.2)).cpus, 1, "a tiny quota is still one CPU");
        assert_eq!(combine(None, None).cpus, 1);
    }

    #[test]
    fn cgroup_folders_come_from_the_process_cgroups_and_the_mounts() {
        let cgroups = "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/user.slice/session-1.scope\n";
        let mountinfo = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
        let dirs = cgroup_dirs(cgroups, mountinfo);
        assert_eq!(
            dirs,
            [
                (1, PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"), PathBuf::from("/sys/fs/cgroup/cpu,cpuacct")),
                (
                    2,
                    PathBuf::from("/sys/fs/cgroup/unified/user.slice/session-1.scope"),
                    PathBuf::from("/sys/fs/cgroup/unified")
                ),
            ]
        );
        let up = ancestors(&dirs[1].1, &dirs[1].2);
        assert_eq!(up.len(), 3, "{up:?}");
        assert_eq!(up.last().unwrap(), Path::new("/sys/fs/cgroup/unified"));
    }

    #[test]
    fn this_machine_is_detected_with_at_least_one_cpu() {
        let machine = detect();
        assert!(machine.cpus >= 1);
        assert!(machine.cpus_source.contains("sched_getaffinity"), "{}", machine.cpus_source);
    }
}
