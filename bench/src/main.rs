//! `loadgen`: a rerunnable load benchmark of the lianfang server, beside a floor of
//! hand-written SQL doing the same reads through the same driver.
//!
//! ```sh
//! loadgen --url http://127.0.0.1:8080 --database-url postgres://postgres@127.0.0.1:5432/bench_demo \
//!         --scenario all --duration 20s --warmup 3s --concurrency 64 --floor --json results.json
//! ```

mod client;
mod db;
mod floor;
mod floor_audit;
mod metrics;
mod mixed;
mod peer;
mod report;
mod runner;
mod sample;
mod scenarios;
mod tokens;

use std::{
    sync::{atomic::AtomicU64, Arc},
    time::Duration,
};

use anyhow::{bail, Context};
use chrono::FixedOffset;
use clap::Parser;
use serde_json::json;

use crate::{
    client::Gql,
    db::Db,
    floor::Floor,
    floor_audit::Filing,
    metrics::Metrics,
    report::{Report, ScenarioResult},
    runner::{closed_loop, Think, Window},
    sample::Sample,
    scenarios::{Ctx, Scenario},
    tokens::{Signer, Tokens},
};

/// Load benchmark of the lianfang GraphQL server (see BENCHMARKS.md).
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
struct Args {
    /// The server's base URL.
    #[arg(long, env = "LOADGEN_URL", default_value = "http://127.0.0.1:8080")]
    url: String,

    /// The server's database (the same `DATABASE_URL`): sample data, and the floor.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,

    #[arg(long, value_enum, default_value = "all")]
    scenario: Scenario,

    /// Measured time per scenario (and per floor).
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    duration: Duration,

    /// Load before the measured window, not recorded.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    warmup: Duration,

    /// Closed-loop clients of every scenario but `mixed`.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,

    /// Virtual users of `mixed`.
    #[arg(long, default_value_t = 200)]
    users: usize,

    /// Mean think time of a virtual user of `mixed` (uniform in 0 to twice this).
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    think_time: Duration,

    /// Checks per `recordHealthChecks` in `checks-batch` (and the mix's batches).
    #[arg(long, default_value_t = 20)]
    batch: usize,

    /// Runs of the whole set of scenarios; with more than one, the table and `scenarios` in
    /// the JSON give each figure's median (errors summed, memory the largest).
    #[arg(long, default_value_t = 1)]
    runs: usize,

    /// Also run the hand-written SQL floor of lookup, cases, follow-ups and statistics.
    #[arg(long)]
    floor: bool,

    /// Run only the floor (with `--floor`'s SQL), not the server: the rows of the floor's
    /// window are reported as the scenario's, named `<scenario>-floor`.
    #[arg(long)]
    floor_only: bool,

    /// The floor files no audit event: the database's work without the audit trail.
    #[arg(long)]
    floor_no_audit: bool,

    /// The floor files its reads group-committed, as the server does: one writer files the
    /// events of every request waiting in one statement (without it, one statement and
    /// commit per request).
    #[arg(long, conflicts_with = "floor_no_audit")]
    floor_group_commit: bool,

    /// Drive a peer server instead of lianfang: `postgraphile` (bench/postgraphile over the
    /// same database) answers `lookup` and `cases` in its own schema; no token, no metrics.
    #[arg(long, value_enum)]
    peer: Option<PeerKind>,

    /// Pool size of the floor: the server's `DB_MAX_CONNECTIONS`.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 10)]
    db_max_connections: u32,

    /// Write the figures as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,

    /// Exit with status 1 when any scenario had an error (for CI smoke runs).
    #[arg(long)]
    fail_on_errors: bool,

    /// Residents' documents sampled for the look-ups.
    #[arg(long, default_value_t = 10_000)]
    documents: u32,

    /// The server's HS256 secret (`JWT_SECRET`).
    #[arg(long, env = "JWT_SECRET", default_value = tokens::DEV_SECRET, hide_env_values = true)]
    jwt_secret: String,

    #[arg(long, env = "JWT_ISSUER", default_value = tokens::DEFAULT_ISSUER)]
    jwt_issuer: String,

    #[arg(long, env = "JWT_AUDIENCE", default_value = tokens::DEFAULT_AUDIENCE)]
    jwt_audience: String,

    /// The server's local time zone (`LOCAL_UTC_OFFSET`): "today" for follow-ups and
    /// statistics.
    #[arg(long, env = "LOCAL_UTC_OFFSET", default_value = "+08:00", value_parser = parse_offset)]
    local_utc_offset: FixedOffset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
enum PeerKind {
    Postgraphile,
}

fn parse_offset(raw: &str) -> Result<FixedOffset, String> {
    raw.parse::<FixedOffset>()
        .map_err(|e| format!("{raw:?} is not an offset like +08:00: {e}"))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(err) => {
            eprintln!("loadgen: {err:#}");
            std::process::exit(2);
        }
    }
}

/// Runs the benchmark; `Ok(false)` when `--fail-on-errors` found errors.
async fn run(args: Args) -> anyhow::Result<bool> {
    if args.concurrency == 0 || args.users == 0 || args.batch == 0 || args.runs == 0 {
        bail!("--concurrency, --users, --batch and --runs must be at least 1");
    }
    let http = client::http_client(args.concurrency.max(args.users) + 8)?;
    let metrics = Metrics::new(http.clone(), &args.url);
    let peer = match args.peer {
        Some(PeerKind::Postgraphile) => Some(Arc::new(
            peer::Peer::connect(Gql::new(http.clone(), &args.url)).await?,
        )),
        None if args.floor_only => None,
        None => {
            metrics
                .read()
                .await
                .context("the server does not answer GET /metrics: is it running at --url?")?;
            None
        }
    };
    if peer.is_some() && !matches!(args.scenario, Scenario::Lookup | Scenario::Cases) {
        bail!("--peer runs --scenario lookup or cases");
    }

    let db = Db::connect(&args.database_url, args.db_max_connections).await?;
    let sample = Sample::load(
        &db,
        scenarios::CASES_PAGE,
        args.documents,
        args.local_utc_offset,
    )
    .await?;
    eprintln!("sample: {}", sample.describe());

    let signer = Signer {
        secret: args.jwt_secret.clone(),
        issuer: args.jwt_issuer.clone(),
        audience: args.jwt_audience.clone(),
        ttl: Duration::from_secs(24 * 3600),
    };
    let tokens = Tokens::mint(&signer, &sample.city.code)?;
    let community_tokens = sample
        .observed
        .iter()
        .map(|o| signer.operator("COMMUNITY", &o.community.code))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let busiest_token = signer.operator("COMMUNITY", &sample.busiest_community.code)?;
    let started = chrono::Utc::now();
    let ctx = Arc::new(Ctx {
        gql: Gql::new(http, &args.url),
        sample,
        tokens,
        community_tokens,
        busiest_token,
        run_id: format!("loadgen-{}", started.format("%Y%m%dT%H%M%S%.3fZ")),
        counter: AtomicU64::new(0),
        offset: args.local_utc_offset,
        batch: args.batch,
    });

    let window = Window {
        warmup: args.warmup,
        duration: args.duration,
    };
    let scenarios: Vec<Scenario> = match args.scenario {
        Scenario::All => Scenario::EVERY.to_vec(),
        one => vec![one],
    };
    let mut runs: Vec<Vec<ScenarioResult>> = Vec::new();
    for run in 1..=args.runs {
        let mut results = Vec::new();
        for &scenario in &scenarios {
            let result =
                run_scenario(&args, &ctx, &db, &metrics, peer.as_ref(), window, scenario).await?;
            eprintln!(
                "run {run}/{}: {}: {:.1} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                args.runs,
                result.scenario,
                result.server.throughput_rps,
                result.server.p50_ms,
                result.server.p99_ms,
                result.server.errors
            );
            results.push(result);
        }
        if args.runs > 1 {
            println!("run {run} of {}", args.runs);
            print!("{}", report::table(&results));
        }
        runs.push(results);
    }
    db.close().await;

    let figures: Vec<ScenarioResult> = if args.runs > 1 {
        println!("median of {} runs", args.runs);
        (0..scenarios.len())
            .filter_map(|i| {
                ScenarioResult::median(&runs.iter().filter_map(|r| r.get(i)).collect::<Vec<_>>())
            })
            .collect()
    } else {
        runs.pop().unwrap_or_default()
    };
    print!("{}", report::table(&figures));
    let errors: u64 = runs
        .iter()
        .flatten()
        .chain(&figures)
        .map(ScenarioResult::errors)
        .sum();
    if let Some(path) = &args.json {
        let report = Report {
            timestamp: started.to_rfc3339(),
            parameters: parameters(&args),
            sample: ctx.sample.describe(),
            scenarios: figures,
            runs,
        };
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(!(args.fail_on_errors && errors > 0))
}

async fn run_scenario(
    args: &Args,
    ctx: &Arc<Ctx>,
    db: &Db,
    metrics: &Metrics,
    peer: Option<&Arc<peer::Peer>>,
    window: Window,
    scenario: Scenario,
) -> anyhow::Result<ScenarioResult> {
    let name = scenario.name();
    if let Some(peer) = peer {
        let (worker_ctx, peer) = (Arc::clone(ctx), Arc::clone(peer));
        let run = closed_loop(args.concurrency, window, None, None, move |_| {
            let (ctx, peer) = (Arc::clone(&worker_ctx), Arc::clone(&peer));
            async move { (name, peer.request(&ctx, scenario).await) }
        })
        .await?;
        return Ok(ScenarioResult::from_run(
            &format!("{name}-postgraphile"),
            args.concurrency,
            &run,
            false,
        ));
    }
    let floor_sql = Arc::new(Floor::new(
        db.clone(),
        &ctx.sample.district_children,
        ctx.offset.local_minus_utc(),
        Filing::new(db, !args.floor_no_audit, args.floor_group_commit),
    ));
    if args.floor_only {
        if !scenario.has_floor() {
            bail!("{name} has no floor");
        }
        let suffix = floor_sql.suffix();
        let floor_ctx = Arc::clone(ctx);
        let floor = closed_loop(args.concurrency, window, None, None, move |_| {
            let (ctx, floor_sql) = (Arc::clone(&floor_ctx), Arc::clone(&floor_sql));
            async move { (name, floor_sql.request(&ctx, scenario).await) }
        })
        .await?;
        return Ok(ScenarioResult::from_run(
            &format!("{name}-{suffix}"),
            args.concurrency,
            &floor,
            false,
        ));
    }
    let counts_checks = matches!(scenario, Scenario::ChecksBatch | Scenario::ChecksSingle);
    if scenario == Scenario::Mixed {
        let users = args.users;
        let worker_ctx = Arc::clone(ctx);
        let run = closed_loop(
            users,
            window,
            Some(Think(args.think_time)),
            Some(metrics),
            move |user| {
                let ctx = Arc::clone(&worker_ctx);
                async move { mixed::request(&ctx, user, users).await }
            },
        )
        .await?;
        return Ok(ScenarioResult::from_run(scenario.name(), users, &run, true));
    }
    let worker_ctx = Arc::clone(ctx);
    let run = closed_loop(args.concurrency, window, None, Some(metrics), move |_| {
        let ctx = Arc::clone(&worker_ctx);
        async move { (name, ctx.server_request(scenario).await) }
    })
    .await?;
    let result = ScenarioResult::from_run(name, args.concurrency, &run, counts_checks);
    if !(args.floor && scenario.has_floor()) {
        return Ok(result);
    }
    let floor_ctx = Arc::clone(ctx);
    let floor = closed_loop(args.concurrency, window, None, None, move |_| {
        let ctx = Arc::clone(&floor_ctx);
        let floor_sql = Arc::clone(&floor_sql);
        async move { (name, floor_sql.request(&ctx, scenario).await) }
    })
    .await?;
    Ok(result.with_floor(&floor))
}

fn parameters(args: &Args) -> serde_json::Value {
    json!({
        "url": args.url,
        "backend": if args.database_url.starts_with("postgres") { "postgres" } else { "sqlite" },
        "scenario": args.scenario,
        "duration_s": args.duration.as_secs_f64(),
        "warmup_s": args.warmup.as_secs_f64(),
        "concurrency": args.concurrency,
        "users": args.users,
        "think_time_ms": args.think_time.as_millis() as u64,
        "mix": mixed::describe(args.users),
        "batch": args.batch,
        "floor": args.floor,
        "floor_only": args.floor_only,
        "floor_no_audit": args.floor_no_audit,
        "floor_group_commit": args.floor_group_commit,
        "peer": args.peer,
        "runs": args.runs,
        "db_max_connections": args.db_max_connections,
        "local_utc_offset": args.local_utc_offset.to_string(),
    })
}
