//! JSON Web Tokens: verification with pinned algorithms, key rotation by `kid`, a
//! revocation list, and development minting.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    time::Duration,
};

use entity::{Agency, Role};
use jsonwebtoken::{
    decode, decode_header, encode,
    errors::ErrorKind,
    jwk::{JwkSet, KeyAlgorithm},
    Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use super::watched::WatchedFile;
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
    /// The app the token was issued to (e.g. `grid-app`), when the identity system says.
    #[serde(default)]
    pub client: Option<String>,
}

/// Where verification keys come from.
enum Keys {
    /// HS256 with the shared secret (development).
    Shared(DecodingKey),
    /// One public key; its type pins the algorithm.
    Single {
        key: DecodingKey,
        algorithm: Algorithm,
    },
    /// A JSON Web Key Set: the token's `kid` picks the key, the key's `alg` pins the
    /// algorithm. Re-read when the file changes, so keys rotate without a restart.
    Set(WatchedFile<HashMap<String, (DecodingKey, Algorithm)>>),
}

/// Checks signatures, algorithm, expiry, not-before, issue time, issuer, audience and
/// revocation.
pub struct TokenVerifier {
    keys: Keys,
    revoked: Option<WatchedFile<HashSet<String>>>,
    issuer: String,
    audience: String,
    leeway: u64,
}

impl TokenVerifier {
    /// HS256 with `JWT_SECRET`; or RS256/ES256 with `JWT_PUBLIC_KEY_FILE`; or the keys of
    /// `JWT_JWKS_FILE`. Only one of the two key settings may be given.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let keys = match (&config.jwt_public_key_file, &config.jwt_jwks_file) {
            (Some(_), Some(_)) => {
                return Err("set JWT_PUBLIC_KEY_FILE or JWT_JWKS_FILE, not both".into())
            }
            (Some(path), None) => single_key(path)?,
            (None, Some(path)) => Keys::Set(WatchedFile::open(path.clone(), parse_key_set)?),
            (None, None) => {
                if config.jwt_secret.len() < 32 {
                    return Err("JWT_SECRET must be at least 32 bytes".into());
                }
                Keys::Shared(DecodingKey::from_secret(config.jwt_secret.as_bytes()))
            }
        };
        let revoked = config
            .jwt_revoked_file
            .as_ref()
            .map(|path| WatchedFile::open(path.clone(), parse_revocations))
            .transpose()?;
        Ok(Self {
            keys,
            revoked,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway: config.jwt_leeway_secs,
        })
    }

    pub fn verify(&self, token: &str) -> Result<TokenClaims, AppError> {
        let header = decode_header(token).map_err(|e| refusal(e.kind()))?;
        let set;
        let (key, algorithm) = match &self.keys {
            Keys::Shared(key) => (key, Algorithm::HS256),
            Keys::Single { key, algorithm } => (key, *algorithm),
            Keys::Set(file) => {
                set = file.current();
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| unauthenticated(crate::msg!("token-no-kid")))?;
                let (key, algorithm) = set
                    .get(kid)
                    .ok_or_else(|| unauthenticated(crate::msg!("token-kid-unknown")))?;
                (key, *algorithm)
            }
        };
        if header.alg != algorithm {
            return Err(unauthenticated(crate::msg!("token-algorithm-refused")));
        }
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = self.leeway;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let claims = decode::<TokenClaims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| refusal(e.kind()))?;
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + i64::try_from(self.leeway).unwrap_or(i64::MAX) {
            return Err(unauthenticated(crate::msg!("token-issued-in-future")));
        }
        if let (Some(revoked), Some(jti)) = (&self.revoked, &claims.jti) {
            if revoked.current().contains(jti) {
                return Err(unauthenticated(crate::msg!("token-revoked")));
            }
        }
        Ok(claims)
    }
}

fn single_key(path: &PathBuf) -> Result<Keys, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("cannot read JWT_PUBLIC_KEY_FILE {}: {e}", path.display()))?;
    if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        Ok(Keys::Single {
            key,
            algorithm: Algorithm::RS256,
        })
    } else if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        Ok(Keys::Single {
            key,
            algorithm: Algorithm::ES256,
        })
    } else {
        Err(format!(
            "JWT_PUBLIC_KEY_FILE {} is neither an RSA nor an EC public key in PEM",
            path.display()
        ))
    }
}

/// A JWKS: every key needs a `kid` and an `alg` of RS256 or ES256.
fn parse_key_set(text: &str) -> Result<HashMap<String, (DecodingKey, Algorithm)>, String> {
    let set: JwkSet =
        serde_json::from_str(text).map_err(|e| format!("not a JSON Web Key Set: {e}"))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let kid = jwk.common.key_id.clone().ok_or("every key needs a kid")?;
        let algorithm = match jwk.common.key_algorithm {
            Some(KeyAlgorithm::RS256) => Algorithm::RS256,
            Some(KeyAlgorithm::ES256) => Algorithm::ES256,
            other => {
                return Err(format!(
                    "key {kid}: alg must be RS256 or ES256, not {other:?}"
                ))
            }
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid}: {e}"))?;
        keys.insert(kid, (key, algorithm));
    }
    if keys.is_empty() {
        return Err("the key set holds no key".into());
    }
    Ok(keys)
}

/// One revoked `jti` per line; blank lines and `#` comments are ignored.
fn parse_revocations(text: &str) -> Result<HashSet<String>, String> {
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

fn unauthenticated(reason: crate::i18n::Msg) -> AppError {
    AppError::Unauthenticated(reason)
}

fn refusal(kind: &ErrorKind) -> AppError {
    use crate::msg;
    unauthenticated(match kind {
        ErrorKind::ExpiredSignature => msg!("token-expired"),
        ErrorKind::InvalidSignature => msg!("token-signature-invalid"),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            msg!("token-algorithm-refused")
        }
        ErrorKind::InvalidIssuer => msg!("token-issuer-refused"),
        ErrorKind::InvalidAudience => msg!("token-audience-refused"),
        ErrorKind::MissingRequiredClaim(_) => msg!("token-claim-missing"),
        ErrorKind::ImmatureSignature => msg!("token-not-yet-valid"),
        ErrorKind::Json(_) => msg!("token-claims-invalid"),
        _ => msg!("token-malformed"),
    })
}

/// What a development token says.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub client: Option<String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'a str>,
}

/// Signs a development token with the HS256 secret. Production tokens come from the
/// agencies' identity systems, signed with keys this server only verifies.
pub fn mint_token(config: &Config, spec: &TokenSpec) -> Result<String, String> {
    if config.jwt_public_key_file.is_some() || config.jwt_jwks_file.is_some() {
        return Err(
            "public keys are configured: this server verifies RS256/ES256 tokens from an \
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
        client: spec.client.as_deref(),
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(config.jwt_secret.as_bytes()),
    )
    .map_err(|e| format!("cannot sign the token: {e}"))
}
