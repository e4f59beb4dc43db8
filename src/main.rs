//! Binary shim: everything lives in the library so that tests can build the same application.

/// mimalloc instead of glibc's malloc: on the busiest read path (a cached message as JSON)
/// glibc's allocator took about a sixth of the gateway's CPU (`bench/HISTORY.md`, run 11).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    imap_gateway::main()
}
