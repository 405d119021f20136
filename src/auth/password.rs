//! Password hashing with Argon2id at the crate defaults (m=19 MiB, t=2, p=1; R23).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::domain::Password;
use crate::error::AppError;

/// Hashes on the blocking pool: Argon2 takes tens of milliseconds by design.
pub async fn hash(password: Password) -> Result<String, AppError> {
    actix_web::web::block(move || {
        Argon2::default()
            .hash_password(password.expose().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))
    })
    .await?
}

/// Verifies a login attempt. `stored` is `None` for an unknown account: a dummy hash is
/// still computed so that response time does not reveal which emails have accounts.
pub async fn verify(candidate: String, stored: Option<String>) -> Result<bool, AppError> {
    actix_web::web::block(move || {
        let argon2 = Argon2::default();
        match stored {
            Some(hash) => argon2
                .verify_password(candidate.as_bytes(), hash.as_str())
                .is_ok(),
            None => {
                let _ = argon2.hash_password(candidate.as_bytes());
                false
            }
        }
    })
    .await
    .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_are_argon2id_with_the_default_cost_and_verify() {
        let hash = hash(Password::parse("a fine secret").unwrap())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify("a fine secret".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("a fine secreT".into(), Some(hash)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
