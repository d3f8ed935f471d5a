//! The grader of the concurrency course: builds a submission's exercises,
//! runs every test many times in its own process with a time limit, and
//! emits a JSON scorecard. See ARCHITECTURE.md for the code map.
//!
//! The pipeline, one module per step:
//! `discover` (which exercises, how to grade them) → `submission` (what a
//! submission offers) → `build` (stage and compile) → `run` (execute tests
//! under limits, one record per run) → `score` (records to points) →
//! `report` (JSON, summary, progress, gradebook, export formats).

pub mod batch;
pub mod build;
pub mod cli;
pub mod config;
pub mod discover;
pub mod error;
pub mod grade;
pub mod integrity;
pub mod machine;
pub mod package;
pub mod plan;
pub mod policy;
pub mod report;
pub mod roster;
pub mod run;
pub mod score;
pub mod scorecard;
pub mod submission;

use std::process::ExitCode;

use cli::{Cli, Command};
use config::{BatchConfig, GradeConfig};
use discover::Workspace;
use error::{EXIT_BELOW_THRESHOLD, EXIT_OK, Result};
use grade::Grader;
use report::formats::Format;

/// Runs the parsed command line; returns the process exit status.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Grade(args) => {
            let format = args.format;
            let config = GradeConfig::from_args(args)?;
            if format != Format::Json && config.output.is_none() {
                let message = format!("--format {} needs --output FILE (or - for stdout)", format.name());
                return Err(error::GraderError::Usage(message));
            }
            let workspace = Workspace::discover(cli.workspace.as_deref())?;
            let grader = Grader::new(workspace, config.run.clone())?;
            let (root, label) = match &config.submission {
                Some(path) => (path.clone(), path.display().to_string()),
                None => (grader.workspace.root.clone(), ".".to_string()),
            };
            let progress = report::progress::Progress::new("grading", config.run.quiet);
            let scorecard = grader.grade(&root, &label, &progress)?;
            progress.finish();
            if let Some(output) = &config.output {
                report::formats::write(&scorecard, format, output)?;
            }
            if !config.run.quiet {
                report::human::print(&scorecard);
            }
            if let Some(reason) = &scorecard.infrastructure_error {
                return Err(error::GraderError::Infrastructure(reason.clone()));
            }
            let below = config.fail_under.is_some_and(|threshold| scorecard.score < threshold);
            Ok(ExitCode::from(if below { EXIT_BELOW_THRESHOLD } else { EXIT_OK }))
        }
        Command::Batch(args) => {
            let config = BatchConfig::from_args(args)?;
            let workspace = Workspace::discover(cli.workspace.as_deref())?;
            let grader = Grader::new(workspace, config.run.clone())?;
            let (rows, warnings) = batch::run(&grader, &config)?;
            if !config.run.quiet {
                print_class(&rows, &warnings, &config.output_dir);
            }
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Merge(args) => {
            let (submissions, cards) = batch::merge(&args.shards, &args.output_dir)?;
            let refs: Vec<(&str, &scorecard::Scorecard)> = cards.iter().map(|(n, c)| (n.as_str(), c)).collect();
            report::stats::print(&refs, submissions);
            eprintln!("dashboard: {}", args.output_dir.join(report::dashboard::INDEX).display());
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Report(args) => {
            let roster = args.roster.as_deref().map(roster::Roster::read).transpose()?;
            let (rows, warnings) = batch::rebuild(&args.dir, roster.as_ref())?;
            print_class(&rows, &warnings, &args.dir);
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Convert(args) => {
            let card = report::read::scorecard(&args.scorecard)?;
            let output = args.output.map_or(report::output::Output::Stdout, report::output::Output::from_arg);
            report::formats::write(&card, args.to, &output)?;
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Template(args) => {
            let workspace = Workspace::discover(cli.workspace.as_deref())?;
            package::template::write(&workspace, &args.dest)?;
            eprintln!("wrote the student template to {}", args.dest.display());
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Gradescope(args) => {
            let workspace = Workspace::discover(cli.workspace.as_deref())?;
            package::gradescope::write(&workspace, &args.dest)?;
            eprintln!("wrote the Gradescope autograder to {}; zip its contents to upload", args.dest.display());
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Classroom50(args) => {
            let workspace = Workspace::discover(cli.workspace.as_deref())?;
            package::classroom50::write(&workspace, &args.dest)?;
            eprintln!(
                "wrote the Classroom 50 autograder to {}; put its contents at <classroom>/autograders/<assignment>/ \
                 in the config repository and merge its assignment.json into the assignment's entry",
                args.dest.display()
            );
            Ok(ExitCode::from(EXIT_OK))
        }
        Command::Manifest(args) => {
            let workspace = Workspace::discover(cli.workspace.as_deref())?;
            if !args.check {
                let manifest = integrity::write(&workspace)?;
                eprintln!("wrote {} with {} files", integrity::MANIFEST, manifest.files.len());
                return Ok(ExitCode::from(EXIT_OK));
            }
            match integrity::tampered(&workspace)? {
                Some(files) if files.is_empty() => Ok(ExitCode::from(EXIT_OK)),
                Some(files) => {
                    eprintln!("{} is not current; these files differ: {}", integrity::MANIFEST, files.join(", "));
                    eprintln!("run `cargo run -p grader -- manifest` after changing tests");
                    Ok(ExitCode::from(EXIT_BELOW_THRESHOLD))
                }
                None => {
                    eprintln!("there is no {}; run `cargo run -p grader -- manifest`", integrity::MANIFEST);
                    Ok(ExitCode::from(EXIT_BELOW_THRESHOLD))
                }
            }
        }
    }
}

/// The class's statistics, the roster's warnings and where the dashboard
/// is, on stderr.
fn print_class(rows: &[report::csv::Row], warnings: &[String], out: &std::path::Path) {
    let cards: Vec<(&str, &scorecard::Scorecard)> =
        rows.iter().filter_map(|r| r.scorecard.as_ref().map(|c| (r.submission.as_str(), c))).collect();
    report::stats::print(&cards, rows.iter().filter(|r| r.status != "missing").count());
    for warning in warnings {
        eprintln!("roster: {warning}");
    }
    eprintln!("dashboard: {}", out.join(report::dashboard::INDEX).display());
}
