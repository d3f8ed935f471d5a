//! The `grader` binary: parse the command line, run it, map the outcome to
//! an exit status (0 graded, 1 below `--fail-under`, 2 usage or grader
//! error). Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match grader::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // clap's own status for help and version is 0; any other
            // usage error is the contract's 2.
            return if error.use_stderr() { ExitCode::from(grader::error::EXIT_ERROR) } else { ExitCode::SUCCESS };
        }
    };
    match grader::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("grader: error: {error}");
            error.exit_code()
        }
    }
}
