//! JSON Web Tokens: verification with a pinned algorithm, and development minting.

use std::time::Duration;

use entity::{Agency, Role};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use crate::{config::Config, error::AppError};

/// The claims the server reads from a verified token.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenClaims {
    pub sub: String,
    #[serde(default)]
    pub name: String,
    pub agency: Agency,
    pub role: Role,
    /// Code of the jurisdiction org unit.
    pub org: String,
    pub iat: i64,
    #[serde(default)]
    pub jti: Option<String>,
}

/// Checks signatures, algorithm, expiry, issuer and audience.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    /// HS256 with `JWT_SECRET`, or, when `JWT_PUBLIC_KEY_FILE` is set, RS256 or ES256 with
    /// that key (decided by the key's type). Exactly one algorithm is ever accepted.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let (key, algorithm) = match &config.jwt_public_key_file {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    format!("cannot read JWT_PUBLIC_KEY_FILE {}: {e}", path.display())
                })?;
                if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
                    (key, Algorithm::RS256)
                } else if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
                    (key, Algorithm::ES256)
                } else {
                    return Err(format!(
                        "JWT_PUBLIC_KEY_FILE {} is neither an RSA nor an EC public key in PEM",
                        path.display()
                    ));
                }
            }
            None => {
                if config.jwt_secret.len() < 32 {
                    return Err("JWT_SECRET must be at least 32 bytes".into());
                }
                (
                    DecodingKey::from_secret(config.jwt_secret.as_bytes()),
                    Algorithm::HS256,
                )
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = config.jwt_leeway_secs;
        validation.validate_exp = true;
        Ok(Self { key, validation })
    }

    pub fn verify(&self, token: &str) -> Result<TokenClaims, AppError> {
        decode::<TokenClaims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| {
                let reason = match err.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::InvalidSignature => "the token's signature is invalid",
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        "the token's algorithm is not accepted"
                    }
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                    ErrorKind::ImmatureSignature => "the token is not valid yet",
                    ErrorKind::Json(_) => {
                        "the token's claims are invalid (unknown agency, role or missing field)"
                    }
                    _ => "the token is malformed",
                };
                AppError::Unauthenticated(reason.to_owned())
            })
    }
}

/// What a development token says.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub subject: String,
    pub name: String,
    pub agency: Agency,
    pub role: Role,
    pub org: String,
    pub ttl: Duration,
}

#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    name: &'a str,
    agency: Agency,
    role: Role,
    org: &'a str,
    iat: i64,
    exp: i64,
    iss: &'a str,
    aud: &'a str,
    jti: String,
}

/// Signs a development token with the HS256 secret. Production tokens come from the
/// agencies' identity systems, signed with keys this server only verifies.
pub fn mint_token(config: &Config, spec: &TokenSpec) -> Result<String, String> {
    if config.jwt_public_key_file.is_some() {
        return Err(
            "JWT_PUBLIC_KEY_FILE is set: this server verifies RS256/ES256 tokens from an \
                    identity provider and cannot mint development tokens"
                .into(),
        );
    }
    let now = chrono::Utc::now().timestamp();
    let ttl = i64::try_from(spec.ttl.as_secs()).map_err(|_| "ttl too long".to_owned())?;
    let claims = IssuedClaims {
        sub: &spec.subject,
        name: &spec.name,
        agency: spec.agency,
        role: spec.role,
        org: &spec.org,
        iat: now,
        exp: now.saturating_add(ttl),
        iss: &config.jwt_issuer,
        aud: &config.jwt_audience,
        jti: format!("dev-{:016x}", rand::random::<u64>()),
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(config.jwt_secret.as_bytes()),
    )
    .map_err(|e| format!("cannot sign the token: {e}"))
}
