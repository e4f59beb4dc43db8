//! Binary shim: everything lives in the library so that tests can build the same application.

fn main() -> std::process::ExitCode {
    imap_gateway::main()
}
