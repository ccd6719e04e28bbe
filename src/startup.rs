//! Wiring the server: database, migrations, org tree, schema, HTTP. Tests start it the same
//! way `lianfang serve` does, on port 0.

use std::{net::TcpListener, sync::Arc};

use actix_web::{web, App, HttpServer};
use migration::{Migrator, MigratorTrait};

use crate::{
    auth::TokenVerifier,
    config::Config,
    db, demo,
    domain::org_units::OrgDirectory,
    graphql,
    http::{self, Endpoint},
    state::{AppState, Settings},
};

pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: Arc<AppState>,
}

impl Application {
    /// Connects, migrates, seeds the demo city into an empty database when configured, and
    /// binds the listener.
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let verifier = TokenVerifier::from_config(config)?;
        // Bound first: a port already taken is said at once, not after migrating and
        // seeding the demo city.
        let listener = listen(&config.bind_addr)?;
        let state = prepare_state(config).await?;
        if config.seed_demo && state.orgs.is_empty()? {
            let summary =
                demo::seed(&state.db, config.demo_residents, Some(demo_day(&state))).await?;
            tracing::info!(?summary, "loaded the demo city into the empty database");
            state.orgs.reload(&state.db).await?;
        }
        let registered = graphql::persisted::Registered::load(
            config.persisted_operations_file.as_deref(),
            config.allow_list_clients.clone(),
        )?;
        let schema = graphql::build_schema(
            Arc::clone(&state),
            config,
            registered.storage(config.apq_cache_size).await,
        );
        state.db_watch.spawn();
        // Imports whose server stopped while they ran (this one, before a restart).
        let interrupted = crate::domain::imports::fail_interrupted(&state.db, None).await?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "marked interrupted imports as failed");
        }
        crate::retention::purge::keep(Arc::clone(&state));
        crate::events::retention::keep(
            state.db.clone(),
            std::time::Duration::from_secs(u64::from(config.change_log_retention_days) * 86_400),
        );
        let (stop, stopping) = tokio::sync::watch::channel(false);
        tokio::spawn(watch_for_stop(stop));
        let endpoint = web::Data::new(Endpoint {
            lean: graphql::build_lean_schema(Arc::clone(&state), config),
            state: Arc::clone(&state),
            schema,
            verifier,
            max_body_bytes: config.max_body_bytes,
            max_batch_operations: config.max_batch_operations,
            registered,
            rate_limit: http::rate_limit::SubjectRateLimit::new(
                config.rate_limit_per_minute,
                config.rate_limit_burst,
            ),
            timeout: std::time::Duration::from_millis(config.request_timeout_ms),
            stopping,
        });
        let port = listener.local_addr()?.port();
        let origins = config.cors_allowed_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(http::cors(&origins))
                .wrap(http::security_headers())
                .app_data(endpoint.clone())
                .configure(http::routes)
        })
        .shutdown_timeout(config.shutdown_grace_secs)
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Binds the listen address. A port in use is the newcomer's usual first stumble (a second
/// `cargo run`, another service on 8080), so that message says how to pick another port.
fn listen(bind_addr: &str) -> Result<TcpListener, String> {
    TcpListener::bind(bind_addr).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            let other = another_port(bind_addr);
            format!(
                "无法在 {bind_addr} 监听：地址已被占用（另一个程序正在使用这个端口）。\
                 请换一个端口，例如 BIND_ADDR={other} cargo run，或 lianfang --bind-addr {other}。\n\
                 Cannot listen on {bind_addr}: the address is in use (another program is \
                 listening there). Pick another port, e.g. BIND_ADDR={other} cargo run, \
                 or lianfang --bind-addr {other}."
            )
        } else {
            format!("无法在 {bind_addr} 监听 (cannot listen on {bind_addr}): {e}")
        }
    })
}

/// The same host with the next port, as an example of another address.
fn another_port(bind_addr: &str) -> String {
    match bind_addr.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(port) => format!("{host}:{}", port.saturating_add(1)),
            Err(_) => format!("{host}:8081"),
        },
        None => "127.0.0.1:8081".to_owned(),
    }
}

/// Flips `stop` on SIGTERM or Ctrl-C, beside actix's own handling of them (which stops
/// taking connections and lets requests finish): subscriptions are told to close.
async fn watch_for_stop(stop: tokio::sync::watch::Sender<bool>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop.send(true);
}

/// Connects and migrates; used by every command that touches the database.
pub async fn prepare_state(config: &Config) -> Result<Arc<AppState>, StartupError> {
    let (db, statements) = db::connect(&config.database_url, config.db_max_connections).await?;
    Migrator::up(&db, None).await?;
    let orgs = OrgDirectory::load(&db).await?;
    crate::partitions::prepare(&db).await?;
    crate::partitions::keep_ahead(db.clone());
    Ok(Arc::new(AppState {
        audit: crate::audit::AuditWriter::start(db.clone()),
        db,
        orgs,
        settings: Settings::from_config(config)?,
        statements,
        events: crate::events::EventSource::new(&config.database_url),
        statistics: Default::default(),
        db_watch: crate::db_watch::DbWatch::new(&config.database_url),
    }))
}

/// Today and the local UTC offset in hours, for dating the demo outbreak.
pub fn demo_day(state: &AppState) -> (chrono::NaiveDate, i64) {
    let clock = state.settings.clock;
    (
        clock.today(),
        i64::from(clock.offset.local_minus_utc() / 3600),
    )
}
