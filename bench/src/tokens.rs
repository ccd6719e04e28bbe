//! Development tokens (HS256), minted here with the claims the server reads.
//!
//! Minted with `jsonwebtoken` rather than through the `lianfang` library: the benchmark
//! treats the server as a black box over HTTP, so it builds without the server crate and
//! works against any server binary that shares the secret, issuer and audience.

use std::time::Duration;

use anyhow::Context;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde::Serialize;

/// The server's defaults (`JWT_SECRET`, `JWT_ISSUER`, `JWT_AUDIENCE` in its README).
pub const DEV_SECRET: &str = "lianfang-development-secret-do-not-use-in-production";
pub const DEFAULT_ISSUER: &str = "lianfang";
pub const DEFAULT_AUDIENCE: &str = "lianfang-api";

/// How to sign: the server's secret, issuer and audience.
#[derive(Debug, Clone)]
pub struct Signer {
    pub secret: String,
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    name: &'a str,
    agency: &'a str,
    role: &'a str,
    org: &'a str,
    iat: i64,
    exp: i64,
    iss: &'a str,
    aud: &'a str,
}

impl Signer {
    /// An OPERATOR token of `agency` for the unit `org`.
    pub fn operator(&self, agency: &str, org: &str) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).context("token ttl too long")?;
        let subject = format!("loadgen-{}-{org}", agency.to_lowercase());
        let claims = Claims {
            sub: &subject,
            name: "loadgen",
            agency,
            role: "OPERATOR",
            org,
            iat: now,
            exp: now.saturating_add(ttl),
            iss: &self.issuer,
            aud: &self.audience,
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret.as_bytes()),
        )
        .context("cannot sign a token")
    }
}

/// The tokens the scenarios use.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// HEALTH OPERATOR of the city unit.
    pub health_city: String,
    /// POLICE OPERATOR of the city unit (the police half of the look-ups in `mixed`).
    pub police_city: String,
    /// COMMAND OPERATOR of the city unit.
    pub command_city: String,
}

impl Tokens {
    pub fn mint(signer: &Signer, city: &str) -> anyhow::Result<Self> {
        Ok(Self {
            health_city: signer.operator("HEALTH", city)?,
            police_city: signer.operator("POLICE", city)?,
            command_city: signer.operator("COMMAND", city)?,
        })
    }
}
