//! The command line of the one binary.

use std::{io::Write, path::PathBuf, time::Duration};

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use entity::{Agency, Role};

use crate::{
    auth::{mint_token, TokenSpec},
    config::Config,
    demo, generate, graphql,
    startup::{prepare_state, Application, StartupError},
};

#[derive(Debug, Parser)]
#[command(
    name = "lianfang",
    version,
    about = "Joint epidemic-response data-sharing API (联防联控)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, load the demo city into an empty database, and serve
    /// (the default).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Load the demo city into an empty database and exit.
    SeedDemo,
    /// Build a synthetic city in proportion to its residents into an empty database (for
    /// benchmarks), and exit: a million residents make 8 districts, 2,000 cases, 30,000
    /// under observation, 200,000 checkpoint passages and the rest.
    Generate {
        /// Residents of the city; everything else is in proportion.
        #[arg(long, value_parser = clap::value_parser!(u32).range(100..))]
        residents: u32,
        /// Seed of the random generator: the same seed and size give the same city.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The moment the city's records are dated from (RFC 3339), now when not given.
        /// Pinning it makes two runs identical to the row.
        #[arg(long, value_parser = parse_instant)]
        as_of: Option<DateTime<Utc>>,
    },
    /// Run the retention purge once now (what the server does every PURGE_EVERY_MINUTES),
    /// print its counts as JSON, and exit.
    Purge,
    /// Write the full GraphQL schema (SDL).
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: PathBuf,
    },
    /// Print a signed development token (HS256 with JWT_SECRET) on stdout, and nothing else.
    Token {
        #[arg(long, value_parser = parse_agency)]
        agency: Agency,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Code of the jurisdiction org unit, e.g. DEMO-01-01-01.
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "dev-user")]
        sub: String,
        #[arg(long, default_value = "Development user")]
        name: String,
        /// The app the token is for (`client` claim), e.g. `grid-app`.
        #[arg(long)]
        client: Option<String>,
        /// Lifetime, e.g. `30m`, `12h`, `7d`.
        #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
}

fn parse_agency(raw: &str) -> Result<Agency, String> {
    raw.to_ascii_uppercase().parse().map_err(|e| format!("{e}"))
}

fn parse_role(raw: &str) -> Result<Role, String> {
    raw.to_ascii_uppercase().parse().map_err(|e| format!("{e}"))
}

fn parse_instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| format!("{raw:?} is not an RFC 3339 instant: {e}"))
}

pub async fn run(cli: Cli) -> Result<(), StartupError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => {
            prepare_state(&config).await?;
            tracing::info!("migrations are up to date");
            Ok(())
        }
        Command::SeedDemo => {
            let state = prepare_state(&config).await?;
            if !state.orgs.is_empty()? {
                return Err(
                    "the database already holds org units; seed-demo loads only an empty database"
                        .into(),
                );
            }
            let summary = demo::seed(
                &state.db,
                config.demo_residents,
                Some(crate::startup::demo_day(&state)),
            )
            .await?;
            tracing::info!(?summary, "loaded the demo city");
            Ok(())
        }
        Command::Generate {
            residents,
            seed,
            as_of,
        } => {
            let state = prepare_state(&config).await?;
            let options = generate::Options {
                residents: residents as usize,
                seed,
                as_of,
            };
            let generated = generate::generate(&state, &options).await?;
            let code = generate::CITY_CODE;
            eprint!("{}", generated.summary);
            eprintln!(
                "a city of {residents} residents (seed {seed}) as of {}; units for tokens: \
                 city {code}, district {code}-01, street {code}-01-01, community {code}-01-01-01, \
                 grid {code}-01-01-01-01",
                generated.as_of.to_rfc3339()
            );
            Ok(())
        }
        Command::Purge => {
            let state = prepare_state(&config).await?;
            let counts = crate::retention::purge::run(&state, Utc::now()).await?;
            let line = serde_json::to_string(&counts)
                .map_err(|e| StartupError::from(format!("could not print the counts: {e}")))?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}").map_err(|e| StartupError::from(format!("stdout: {e}")))?;
            Ok(())
        }
        Command::ExportSchema { out } => {
            std::fs::write(&out, graphql::sdl())?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
        Command::Token {
            agency,
            role,
            org,
            sub,
            name,
            client,
            ttl,
        } => {
            let token = mint_token(
                &config,
                &TokenSpec {
                    client,
                    subject: sub,
                    name,
                    agency,
                    role,
                    org,
                    ttl,
                },
            )?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(config: &Config) -> Result<(), StartupError> {
    if config.uses_dev_secret() {
        tracing::warn!(
            "JWT_SECRET is the built-in DEVELOPMENT secret: anyone can mint tokens for this server. \
             Set JWT_SECRET or JWT_PUBLIC_KEY_FILE before holding real data."
        );
    }
    let app = Application::build(config).await?;
    // The banner is for a person at a terminal; a closed stdout must not stop the server.
    let mut out = std::io::stdout().lock();
    let base = format!("http://{}", display_addr(&config.bind_addr, app.port()));
    let _ = writeln!(out, "Lianfang (联防联控) is serving on {base}");
    let _ = writeln!(out, "  GraphiQL:  {base}/graphiql");
    let _ = writeln!(
        out,
        "  GraphQL:   {base}/graphql   health: {base}/health   ready: {base}/ready"
    );
    if config.uses_dev_secret() {
        let _ = writeln!(
            out,
            "\n  WARNING: tokens are signed with the built-in development secret; anyone can mint"
        );
        let _ = writeln!(
            out,
            "  them. Set JWT_SECRET or JWT_PUBLIC_KEY_FILE before holding real data."
        );
    }
    // The demo users work in the demo city; over another city (a generated one) their
    // tokens would name units that do not exist.
    let demo_city = app
        .state()
        .orgs
        .children(None)?
        .iter()
        .any(|root| root.code == "DEMO");
    if !demo_city {
        let _ = writeln!(
            out,
            "\nMint tokens for this city's units with `lianfang token --agency HEALTH --role OPERATOR --org <code>`."
        );
    }
    if demo_city && config.jwt_public_key_file.is_none() && config.jwt_jwks_file.is_none() {
        let _ = writeln!(
            out,
            "\nDemo tokens (valid 12 h): paste one into GraphiQL's token field."
        );
        for user in demo::DEMO_USERS {
            let spec = user.token_spec(Duration::from_secs(12 * 3600));
            let token = mint_token(config, &spec)?;
            let _ = writeln!(
                out,
                "\n  {} {} — {} ({})\n  {token}",
                user.agency, user.role, user.name, user.org
            );
        }
        let _ = writeln!(out);
    }
    let _ = out.flush();
    drop(out);
    app.run_until_stopped().await?;
    Ok(())
}

fn display_addr(bind: &str, port: u16) -> String {
    let host = bind.rsplit_once(':').map_or(bind, |(host, _)| host);
    let host = if host == "0.0.0.0" || host.is_empty() {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{port}")
}
