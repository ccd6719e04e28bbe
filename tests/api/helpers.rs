//! Starts a real server on a random port over a fresh database, and talks to it over HTTP.

use std::{sync::Arc, time::Duration};

use entity::{Agency, Role};
use lianfang::{
    auth::{mint_token, TokenSpec},
    config::Config,
    demo,
    startup::Application,
    state::AppState,
};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{json, Value};

pub const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

/// Residents the test city gets (the demo tree, fewer people).
pub const TEST_RESIDENTS: u32 = 200;

/// On PostgreSQL a transaction left open holds back every reader of the change log, whatever
/// database it is in (see `events::change_log`). The one test that holds one for seconds (the
/// generator's bulk load) takes this exclusively; tests that time how fast a change reaches
/// a reader take it shared, so the two never overlap.
pub static LONG_TRANSACTIONS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub config: Config,
    pub state: Arc<AppState>,
    _database: TestDatabase,
}

/// Options for `spawn_with`.
#[derive(Default)]
pub struct Options {
    pub residents: Option<u32>,
    /// Seed the demo outbreak too.
    pub outbreak: bool,
    pub extra_args: Vec<String>,
    /// Reach the database (PostgreSQL) through this port on 127.0.0.1, e.g. a test's proxy.
    pub database_port: Option<u16>,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        lianfang::telemetry::init("debug");
    }
    let database = TestDatabase::create().await;
    let url = match options.database_port {
        Some(port) => through_port(&database.url, port),
        None => database.url.clone(),
    };
    let mut args: Vec<String> = [
        "--database-url",
        &url,
        "--bind-addr",
        "127.0.0.1:0",
        "--jwt-secret",
        TEST_SECRET,
        "--jwt-issuer",
        "lianfang",
        "--jwt-audience",
        "lianfang-api",
        "--seed-demo",
        "false",
        "--db-max-connections",
        "5",
        "--max-page-size",
        "100",
        "--max-query-depth",
        "15",
        "--max-query-complexity",
        "10000",
        "--max-body-bytes",
        "1048576",
        "--max-batch-operations",
        "10",
        // Tests send hundreds of requests with one token; the limit has its own test.
        "--rate-limit-per-minute",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(options.extra_args);
    let config = Config::from_args(args).expect("test config");
    // Seed before the server starts so its org directory holds the tree.
    {
        let (db, _) = lianfang::db::connect(&config.database_url, 2)
            .await
            .expect("connect");
        <migration::Migrator as migration::MigratorTrait>::up(&db, None)
            .await
            .expect("migrate");
        let outbreak = options
            .outbreak
            .then(|| (local_today(), LOCAL_OFFSET_HOURS));
        demo::seed(&db, options.residents.unwrap_or(TEST_RESIDENTS), outbreak)
            .await
            .expect("seed");
        db.close().await.expect("close");
    }
    let app = Application::build(&config).await.expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = Arc::clone(app.state());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        config,
        state,
        _database: database,
    }
}

impl TestApp {
    pub fn token(&self, agency: Agency, role: Role, org: &str) -> String {
        self.token_for(agency, role, org, &format!("test-{agency}-{role}-{org}"))
    }

    /// A token issued to an app (`client` claim), e.g. the grid workers' `grid-app`.
    pub fn app_token(&self, agency: Agency, role: Role, org: &str, client: &str) -> String {
        mint_token(
            &self.config,
            &TokenSpec {
                client: Some(client.to_owned()),
                subject: format!("app-user-{client}"),
                name: "App user".to_owned(),
                agency,
                role,
                org: org.to_owned(),
                ttl: Duration::from_secs(3600),
            },
        )
        .expect("mint token")
    }

    pub fn token_for(&self, agency: Agency, role: Role, org: &str, subject: &str) -> String {
        mint_token(
            &self.config,
            &TokenSpec {
                client: None,
                subject: subject.to_owned(),
                name: "Test user".to_owned(),
                agency,
                role,
                org: org.to_owned(),
                ttl: Duration::from_secs(3600),
            },
        )
        .expect("mint token")
    }

    /// Sends a GraphQL request and returns the whole JSON response.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post_graphql(
            Some(token),
            &json!({ "query": query, "variables": variables }),
        )
        .await
        .1
    }

    /// [`gql`](Self::gql) with `Accept-Language: en`, for tests that read English messages.
    pub async fn gql_en(&self, token: &str, query: &str, variables: Value) -> Value {
        self.gql_in("en", token, query, variables).await.1
    }

    /// Sends a GraphQL request with an `Accept-Language` header; returns the response's
    /// `Content-Language` and its JSON.
    pub async fn gql_in(
        &self,
        accept_language: &str,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (String, Value) {
        let response = self
            .client
            .post(format!("{}/graphql", self.base))
            .header("Accept-Language", accept_language)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        let language = response
            .headers()
            .get("Content-Language")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (language, response.json().await.expect("json response"))
    }

    /// Sends any JSON body to `/graphql`; returns the HTTP status and the JSON response.
    pub async fn post_graphql(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json response"))
    }

    /// Counts rows with a raw SQL query (the test's independent view of the database).
    pub async fn count(&self, sql: &str) -> i64 {
        let backend = self.state.db.get_database_backend();
        let row = self
            .state
            .db
            .query_one_raw(Statement::from_string(backend, sql.to_owned()))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a count")
    }

    /// Runs a raw SQL statement: a test setting up what no request can (a server that
    /// stopped mid-way, a clock long past).
    pub async fn execute(&self, sql: &str) -> u64 {
        let backend = self.state.db.get_database_backend();
        self.state
            .db
            .execute_raw(Statement::from_string(backend, sql.to_owned()))
            .await
            .expect("statement")
            .rows_affected()
    }

    /// The test's own PostgreSQL database and the admin URL of its server, when the tests
    /// run on PostgreSQL.
    pub fn postgres(&self) -> Option<(String, String)> {
        match &self._database.cleanup {
            Cleanup::Postgres { admin_url, name } => Some((admin_url.clone(), name.clone())),
            Cleanup::File(_) => None,
        }
    }

    pub fn statements(&self) -> u64 {
        self.state.statements.get()
    }

    /// Read events (not writes) of `subject` that name the record, alone or among others, as a city
    /// auditor finds them through `auditEvents`.
    pub async fn audited_reads(&self, subject: &str, entity_type: &str, id: &str) -> usize {
        let auditor = self.token(Agency::Health, Role::Auditor, "DEMO");
        let response = self
            .gql(
                &auditor,
                "query($s: String!, $t: String!, $id: ID!) {
                    auditEvents(first: 100, filter: { subject: $s, entityType: $t, entityId: $id }) {
                        edges { node { operation } } } }",
                json!({ "s": subject, "t": entity_type, "id": id }),
            )
            .await;
        assert_ok(&response);
        response["data"]["auditEvents"]["edges"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| {
                e["node"]["operation"]
                    .as_str()
                    .is_some_and(|o| !o.starts_with("mutation"))
            })
            .count()
    }
}

/// The error code of the first error, if any.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// Panics with the response when it carries errors.
pub fn assert_ok(response: &Value) {
    assert!(
        response.get("errors").is_none(),
        "unexpected errors: {response:#}"
    );
}

/// A database of its own for one test: a SQLite file in a temp folder, or, when
/// `TEST_DATABASE_URL` points at a PostgreSQL server, a fresh database on it, dropped after.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create() -> Self {
        let unique = format!("{}_{:x}", std::process::id(), rand::random::<u64>());
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("lianfang_test_{unique}");
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("CREATE DATABASE \"{name}\""),
                    ))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_database(&admin_url, &name);
                Self {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir = std::env::temp_dir().join("lianfang-tests");
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join(format!("{unique}.db"));
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop cannot await; a short-lived runtime on another thread does the work.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async move {
                            if let Ok(admin) = Database::connect(&admin_url).await {
                                let _ = admin
                                    .execute_raw(Statement::from_string(
                                        DbBackend::Postgres,
                                        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                                    ))
                                    .await;
                                let _ = admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// `postgres://user@host:port/db` reached on another port of 127.0.0.1.
fn through_port(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority
        .rsplit_once('@')
        .map_or(String::new(), |(user, _)| format!("{user}@"));
    format!("{scheme}://{user}127.0.0.1:{port}/{path}")
}

/// The `host:port` a PostgreSQL URL points at (5432 unless it names a port).
pub fn database_address(url: &str) -> std::net::SocketAddr {
    use std::net::ToSocketAddrs;
    let rest = url.split_once("://").expect("a URL").1;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    host_port
        .to_socket_addrs()
        .expect("resolve the database host")
        .next()
        .expect("an address")
}

/// `postgres://user@host:port/db?opts` with another database name.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let prefix_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[prefix_end..].find('/') {
        Some(slash) => &base[..prefix_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    /// Walks every page of a connection (the query takes `$after: String`), checking
    /// `totalCount` on each page when the query asks for it; returns all nodes in order.
    pub async fn all_pages(
        &self,
        token: &str,
        query: &str,
        field: &str,
        mut variables: Value,
    ) -> Vec<Value> {
        let mut nodes = Vec::new();
        let mut total = None;
        loop {
            let response = self.gql(token, query, variables.clone()).await;
            assert_ok(&response);
            let connection = &response["data"][field];
            if let Some(count) = connection["totalCount"].as_i64() {
                assert!(
                    total.is_none_or(|t| t == count),
                    "totalCount changed between pages"
                );
                total = Some(count);
            }
            nodes.extend(
                connection["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"].clone()),
            );
            if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                if let Some(total) = total {
                    assert_eq!(nodes.len() as i64, total, "pages add up to totalCount");
                }
                return nodes;
            }
            variables["after"] = connection["pageInfo"]["endCursor"].clone();
        }
    }
}

/// The fields of every object and input type of the full schema, from its SDL.
pub fn sdl_fields() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let doc = async_graphql::parser::parse_schema(lianfang::graphql::sdl()).unwrap();
    let mut types = std::collections::BTreeMap::new();
    for definition in doc.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let fields = match &ty.node.kind {
            TypeKind::Object(object) => object
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
            TypeKind::InputObject(input) => input
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
            _ => continue,
        };
        types.insert(ty.node.name.node.to_string(), fields);
    }
    types
}

/// The servers' local UTC offset in tests (the default, `+08:00`).
pub const LOCAL_OFFSET_HOURS: i64 = 8;

/// Today's date where the server is (UTC+8), which is not always the UTC date.
pub fn local_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(LOCAL_OFFSET_HOURS)).date_naive()
}

/// The start of today where the server is, as a UTC instant.
pub fn local_day_start() -> chrono::DateTime<chrono::Utc> {
    local_today().and_hms_opt(0, 0, 0).unwrap().and_utc()
        - chrono::Duration::hours(LOCAL_OFFSET_HOURS)
}

/// Rejected exactly as a field that does not exist would be: the walker's answer to a
/// field, argument or input field the policy hides.
pub fn is_invisible(response: &Value) -> bool {
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    // The server speaks Chinese unless asked otherwise (`src/graphql/error_codes.rs`).
    let invisible = message.contains("没有字段") || message.contains("没有参数");
    if invisible {
        assert_eq!(error_code(response), Some("BAD_USER_INPUT"), "{response}");
        assert!(response["data"].is_null(), "{response}");
        assert!(
            !message.contains("Did you mean"),
            "suggestions name hidden fields: {message}"
        );
    }
    invisible
}
