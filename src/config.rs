//! Configuration from the environment: one struct, every setting with a default that serves
//! the embedded (SQLite) mode. The README lists them all.

use std::path::PathBuf;

use clap::Args;

/// The demo city's fictional neighbours, listed as risk areas unless RISK_AREAS says otherwise.
pub const DEFAULT_RISK_AREAS: &str = "澜海市,青屿县";

/// Development secret for HS256 tokens. The server warns loudly when it is in use.
pub const DEV_JWT_SECRET: &str = "lianfang-development-secret-do-not-use-in-production";

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` (embedded) or `postgres://...` (production).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/lianfang.db?mode=rwc"
    )]
    pub database_url: String,

    /// Largest number of pooled database connections.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// Address the HTTP server listens on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: String,

    /// Shared secret for HS256 tokens (development). Ignored when JWT_PUBLIC_KEY_FILE is set.
    #[arg(long, env = "JWT_SECRET", default_value = DEV_JWT_SECRET, hide_env_values = true)]
    pub jwt_secret: String,

    /// PEM public key (RSA for RS256 or EC P-256 for ES256). When set, only that algorithm
    /// is accepted and HS256 is refused.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<PathBuf>,

    /// JSON Web Key Set of the identity providers' public keys (RS256/ES256, each with a
    /// `kid`): tokens name their key by `kid`. Re-read when the file changes, so keys
    /// rotate without a restart.
    #[arg(long, env = "JWT_JWKS_FILE")]
    pub jwt_jwks_file: Option<PathBuf>,

    /// Revoked token ids (`jti`), one per line; re-read when the file changes.
    #[arg(long, env = "JWT_REVOKED_FILE")]
    pub jwt_revoked_file: Option<PathBuf>,

    /// Required `iss` claim.
    #[arg(long, env = "JWT_ISSUER", default_value = "lianfang")]
    pub jwt_issuer: String,

    /// Required `aud` claim.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "lianfang-api")]
    pub jwt_audience: String,

    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    #[arg(long, env = "JWT_LEEWAY_SECS", default_value_t = 30)]
    pub jwt_leeway_secs: u64,

    /// Origins allowed to call the API from a browser (CORS), comma-separated, e.g.
    /// `https://app.example.gov.cn`. Empty: no cross-origin browser access at all.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        default_value = "",
        value_delimiter = ','
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Requests each user (agency and subject) may make per minute, sustained; 0: no limit.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_per_minute: u32,

    /// Requests a user may make at once above the sustained rate.
    #[arg(long, env = "RATE_LIMIT_BURST", default_value_t = 120)]
    pub rate_limit_burst: u32,

    /// Longest a GraphQL request may run, in milliseconds; past it the client gets
    /// UNAVAILABLE and the work is cancelled (an unfinished write rolls back).
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,

    /// On SIGTERM or SIGINT the server stops accepting and gives requests in flight this many
    /// seconds to finish before it exits.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Apollo persisted-query manifest of the operations registered for the mobile apps.
    #[arg(long, env = "PERSISTED_OPERATIONS_FILE")]
    pub persisted_operations_file: Option<PathBuf>,

    /// `client` claim values (comma-separated) whose tokens may run only the registered
    /// operations, e.g. `grid-app,clinic-app`.
    #[arg(
        long,
        env = "ALLOW_LIST_CLIENTS",
        default_value = "",
        value_delimiter = ','
    )]
    pub allow_list_clients: Vec<String>,

    /// Queries kept for automatic persisted queries (sent once in full, then by hash).
    #[arg(long, env = "APQ_CACHE_SIZE", default_value_t = 1000)]
    pub apq_cache_size: usize,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Deepest allowed selection nesting. GraphiQL's (and every client's) introspection
    /// query nests 13 levels, so less would break schema loading.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = 15)]
    pub max_query_depth: usize,

    /// Highest allowed query complexity (each field costs 1; a list costs its page size
    /// times its selection).
    #[arg(long, env = "MAX_QUERY_COMPLEXITY", default_value_t = 10_000)]
    pub max_query_complexity: usize,

    /// Most aliased fields in one query.
    #[arg(long, env = "MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Most root fields in one operation.
    #[arg(long, env = "MAX_ROOT_FIELDS", default_value_t = 10)]
    pub max_root_fields: usize,

    /// Most fragment definitions in one query.
    #[arg(long, env = "MAX_FRAGMENTS", default_value_t = 20)]
    pub max_fragments: usize,

    /// Longest string value (argument or variable), in characters.
    #[arg(long, env = "MAX_STRING_CHARS", default_value_t = 4000)]
    pub max_string_chars: usize,

    /// Deepest nesting of input objects and lists (arguments and variables).
    #[arg(long, env = "MAX_INPUT_DEPTH", default_value_t = 6)]
    pub max_input_depth: usize,

    /// Largest `first` a list accepts.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: u32,

    /// Largest number of operations in one batched (JSON array) request.
    #[arg(long, env = "MAX_BATCH_OPERATIONS", default_value_t = 10)]
    pub max_batch_operations: usize,

    /// Days of follow-up after a contact's last exposure (医学观察期).
    #[arg(long, env = "FOLLOW_UP_DAYS", default_value_t = 14)]
    pub follow_up_days: u32,

    /// Default length of medical observation, in days, when no planned end is given.
    #[arg(long, env = "QUARANTINE_DAYS", default_value_t = 14)]
    pub quarantine_days: u32,

    /// Most health checks in one `recordHealthChecks` batch.
    #[arg(long, env = "MAX_HEALTH_CHECK_BATCH", default_value_t = 500)]
    pub max_health_check_batch: usize,

    /// Most entries in one `recordCheckpointEntries` batch.
    #[arg(long, env = "MAX_CHECKPOINT_BATCH", default_value_t = 500)]
    pub max_checkpoint_batch: usize,

    /// Largest line list (CSV or XLSX) `POST /imports` accepts, in bytes.
    #[arg(long, env = "MAX_IMPORT_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_import_bytes: usize,

    /// Most data rows (below the header) of one imported line list.
    #[arg(long, env = "MAX_IMPORT_ROWS", default_value_t = 100_000)]
    pub max_import_rows: usize,

    /// Rows of an import written per transaction: each chunk commits (and is audited) on
    /// its own, so memory and lock time stay bounded however long the list.
    #[arg(long, env = "IMPORT_CHUNK_ROWS", default_value_t = 500)]
    pub import_chunk_rows: usize,

    /// Areas currently listed as medium or high risk, comma-separated; an arrival from a
    /// place naming one raises an alert. The default lists the demo city's fictional
    /// neighbours; set the health commission's current list in production.
    #[arg(long, env = "RISK_AREAS", default_value = DEFAULT_RISK_AREAS)]
    pub risk_areas: String,

    /// How far ahead of the server's clock a client's timestamps may be, in seconds.
    #[arg(long, env = "CLOCK_SKEW_SECS", default_value_t = 300)]
    pub clock_skew_secs: u32,

    /// The local time zone as a UTC offset; "today" and daily counts follow it.
    #[arg(
        long,
        env = "LOCAL_UTC_OFFSET",
        default_value = "+08:00",
        allow_hyphen_values = true
    )]
    pub local_utc_offset: String,

    /// Deepest `transmissionChain` walk allowed.
    #[arg(long, env = "MAX_CHAIN_DEPTH", default_value_t = 5)]
    pub max_chain_depth: u32,

    /// Most nodes a `transmissionChain` returns (it says when it was cut).
    #[arg(long, env = "MAX_CHAIN_NODES", default_value_t = 500)]
    pub max_chain_nodes: u32,

    /// How long a break-the-glass grant lasts, in hours.
    #[arg(long, env = "GRANT_HOURS", default_value_t = 8)]
    pub grant_hours: u32,

    /// Days the change log keeps its rows (0: forever). A change-feed cursor older than that
    /// gets SNAPSHOT_REQUIRED: the client takes a new snapshot.
    #[arg(long, env = "CHANGE_LOG_RETENTION_DAYS", default_value_t = crate::retention::policy::CHANGE_LOG_DAYS)]
    pub change_log_retention_days: u32,

    /// Days health checks of people who never became a case or contact are kept after their
    /// measurement, once their jurisdiction is stood down (`src/retention/policy.rs`).
    #[arg(long, env = "RETENTION_HEALTH_CHECK_DAYS", default_value_t = crate::retention::policy::HEALTH_CHECK_DAYS)]
    pub retention_health_check_days: u32,

    /// Days checkpoint passages of people who never became a case or contact are kept after
    /// the passage, once the checkpoint's unit and the destination are stood down.
    #[arg(long, env = "RETENTION_CHECKPOINT_DAYS", default_value_t = crate::retention::policy::CHECKPOINT_ENTRY_DAYS)]
    pub retention_checkpoint_days: u32,

    /// Days after the stand-down of their residence that persons registered only for the
    /// emergency are anonymized.
    #[arg(long, env = "RETENTION_PERSON_DAYS", default_value_t = crate::retention::policy::EMERGENCY_PERSON_DAYS)]
    pub retention_person_days: u32,

    /// Days an audit event keeps the ids of the records it names and its reason; who did
    /// what, when, stays.
    #[arg(long, env = "RETENTION_AUDIT_DAYS", default_value_t = crate::retention::policy::AUDIT_EVENT_DAYS)]
    pub retention_audit_days: u32,

    /// Minutes between two purges while the server runs (0: never; `lianfang purge` runs one).
    #[arg(long, env = "PURGE_EVERY_MINUTES", default_value_t = 60)]
    pub purge_every_minutes: u32,

    /// Rows one purge statement touches: each batch is its own short transaction.
    #[arg(long, env = "PURGE_BATCH_ROWS", default_value_t = 500)]
    pub purge_batch_rows: u32,

    /// Below this, a count (statistics, daily figures, reconciliation) is shown to ANALYST
    /// roles as "<N", so that a small number in a small unit cannot point to a person. 0
    /// shows every count.
    #[arg(long, env = "SMALL_COUNT_THRESHOLD", default_value_t = 5)]
    pub small_count_threshold: u32,

    /// Secret key of the disclosure control of analysts' figures (cell-key perturbation):
    /// whoever knows it can compute each figure's noise. Unset: derived from JWT_SECRET.
    /// Every instance of a deployment must share it, or the same figure reads differently.
    #[arg(long, env = "DISCLOSURE_KEY", hide_env_values = true)]
    pub disclosure_key: Option<String>,

    /// Load the demo city into an empty database when serving.
    #[arg(long, env = "SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// Number of generated residents in the demo city.
    #[arg(long, env = "DEMO_RESIDENTS", default_value_t = 3000)]
    pub demo_residents: u32,
}

#[derive(clap::Parser)]
#[command(args_override_self = true)]
struct Wrapper {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// The defaults, overridden by whatever the environment sets.
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::from_args(std::iter::empty::<String>())
    }

    /// Command-line style arguments (`--max-page-size 50`) over the environment over the
    /// defaults; tests use it to pin every setting they depend on. A later argument
    /// overrides an earlier one.
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let argv = std::iter::once(std::ffi::OsString::from("lianfang"))
            .chain(args.into_iter().map(Into::into));
        <Wrapper as clap::Parser>::try_parse_from(argv).map(|w| w.config)
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    pub fn uses_dev_secret(&self) -> bool {
        self.jwt_public_key_file.is_none()
            && self.jwt_jwks_file.is_none()
            && self.jwt_secret == DEV_JWT_SECRET
    }
}
