//! What the host machine has, for size checks made before anything is allocated.

/// Total memory of this machine in bytes (`MemTotal` of /proc/meminfo), or 16 GiB where
/// that cannot be read (other systems): the bound every backend and size check uses.
pub fn host_memory_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(16 << 30, |kb| kb * 1024)
}
