//! The `lianfang` binary: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc rather than the system's allocator: a request allocates many small, short-lived
/// objects (parsed queries, rows, JSON), where glibc's malloc cost a tenth of the server's
/// time under load (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = lianfang::cli::Cli::parse();
    lianfang::telemetry::init("info");
    match lianfang::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lianfang: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
