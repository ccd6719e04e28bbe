//! The `lianfang` binary: parses the command line and hands over to the library.

use clap::Parser;

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
