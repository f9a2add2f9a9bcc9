//! The `nmaps` binary: [`nmaps::run`] with the process's streams and signals.

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = nmaps::run(argv, nmaps::RunIo::process());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
