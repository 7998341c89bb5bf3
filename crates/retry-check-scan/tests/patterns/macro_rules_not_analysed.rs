//! rule: RC119
//! options: verbose
//! A retry loop inside a `macro_rules!` body is tokens until expanded: with
//! `--verbose` it is reported as not analysed, never silently skipped.

macro_rules! bad_retry_in_macro {
    ($op:expr, $times:expr) => {{
        let mut left = $times;
        loop {
            match $op {
                Ok(v) => break Ok(v),
                Err(e) if left == 0 => break Err(e),
                Err(_) => {
                    left -= 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
        }
    }};
}

macro_rules! ok_no_loop {
    ($op:expr) => {
        $op.map_err(|e| e.to_string())
    };
}

pub fn uses(disk: &Disk) -> Result<Block, String> {
    let block = bad_retry_in_macro!(disk.read(), 3);
    ok_no_loop!(block)
}
