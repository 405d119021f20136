//! Operator commands beyond `serve`.

use crate::db::Db;
use crate::domain::{EmailAddress, OrgName, Password, PersonName, PlainToken};

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
            let org = org.as_ref();
            crate::ops::accounts::create_admin(conn, &email, &name, &hash, org, chrono::Utc::now())
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
