//! rule: RC102
//! A delay computed by a function of the same file is followed into it:
//! deterministic arithmetic is a fixed schedule, randomness is jitter.

use std::time::Duration;

fn step_delay(attempt: u32) -> Duration {
    Duration::from_millis(50 * 2u64.pow(attempt))
}

fn spread_delay(attempt: u32) -> Duration {
    let cap = 50 * 2u64.pow(attempt);
    Duration::from_millis(fastrand::u64(0..=cap))
}

pub fn bad_deterministic_fn(disk: &Disk) -> std::io::Result<Block> {
    for attempt in 0..5 {
        match disk.read_block() {
            Ok(b) => return Ok(b),
            Err(_) => std::thread::sleep(step_delay(attempt)),
        }
    }
    disk.read_block()
}

pub fn ok_random_fn(disk: &Disk) -> std::io::Result<Block> {
    for attempt in 0..5 {
        match disk.read_block() {
            Ok(b) => return Ok(b),
            Err(_) => std::thread::sleep(spread_delay(attempt)),
        }
    }
    disk.read_block()
}
