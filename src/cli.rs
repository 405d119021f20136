//! Operator commands beyond `serve`.

use crate::db::Db;
use crate::domain::{EmailAddress, OrgName, Password, PersonName, PlainToken};
use crate::models::activity::Actor;
use crate::models::organizations::Organization;
use crate::models::users::User;

/// `teamwork create-admin`: an account with a generated one-time password, printed once.
pub async fn create_admin(
    db: &Db,
    email: &str,
    name: &str,
    org: Option<&str>,
) -> Result<(), String> {
    let email = EmailAddress::parse(email).map_err(|e| format!("--email: {e}"))?;
    let name = PersonName::parse(name).map_err(|e| format!("--name: {e}"))?;
    let org = org
        .map(OrgName::parse)
        .transpose()
        .map_err(|e| format!("--org: {e}"))?;
    let secret = PlainToken::generate("");
    let one_time = secret.expose()[..20].to_owned();
    let password = Password::parse(&one_time).map_err(|e| e.to_string())?;
    let hash = crate::auth::password::hash(password)
        .await
        .map_err(|e| e.to_string())?;
    let created = db
        .run(move |conn| {
            conn.build_transaction()
                .run(|conn| {
                    let user = User::create(conn, &email, &name, &hash)?;
                    let founder = Actor {
                        user_id: user.id,
                        name: user.name.clone(),
                        ip: None,
                        user_agent: Some("teamwork create-admin".into()),
                    };
                    let org = org
                        .map(|org_name| {
                            Organization::found(conn, &org_name, &founder, chrono::Utc::now())
                        })
                        .transpose()?
                        .map(|org| org.slug);
                    Ok::<_, diesel::result::Error>((user, org))
                })
                .map_err(|e| {
                    crate::error::AppError::taken(e, "an account with this email already exists")
                })
        })
        .await
        .map_err(|e| e.to_string())?;
    let (user, org) = created;
    println!("Created {} <{}>.", user.name, user.email);
    if let Some(slug) = org {
        println!("Administrator of /orgs/{slug}");
    }
    println!("One-time password (shown only now): {one_time}");
    Ok(())
}
