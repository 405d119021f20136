//! Operator commands beyond `serve`.

use crate::db::Db;
use crate::domain::{EmailAddress, OrgName, Password, PersonName, PlainToken};
use crate::ops::OpError;

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

/// `teamwork activity verify`: recomputes every chain (or the one of `--org`), prints
/// one line per organization, and fails naming the first broken entry of each broken one.
pub async fn verify_activity(db: &Db, org: Option<&str>) -> Result<(), String> {
    use crate::domain::audit_chain::hex;
    use crate::models::activity_chain::{self, ChainPoint, Verification};

    let slug = org.map(str::to_owned);
    let orgs = db
        .run(move |conn| -> Result<_, OpError> {
            Ok(activity_chain::organizations(conn, slug.as_deref())?)
        })
        .await
        .map_err(|e| e.to_string())?;
    if let (Some(slug), true) = (org, orgs.is_empty()) {
        return Err(format!("no organization with the slug {slug}"));
    }
    let mut broken = 0;
    for (org_id, slug) in orgs {
        let started = std::time::Instant::now();
        let outcome = db
            .run(move |conn| -> Result<_, OpError> {
                Ok(activity_chain::verify(conn, org_id, ChainPoint::genesis())?)
            })
            .await
            .map_err(|e| e.to_string())?;
        let outcome = match outcome {
            Verification::Intact(head) => {
                let checked = db
                    .run(move |conn| crate::ops::audit::check_checkpoints(conn, org_id))
                    .await
                    .map_err(|e| e.to_string())?;
                checked.map_or(Verification::Intact(head), Verification::Broken)
            }
            broken => broken,
        };
        match outcome {
            Verification::Intact(head) => println!(
                "OK      {slug}: {} entries, head #{} {} ({:.2} s)",
                head.seq,
                head.seq,
                hex(&head.hash),
                started.elapsed().as_secs_f64()
            ),
            Verification::Broken(at) => {
                broken += 1;
                println!("BROKEN  {slug}: #{}: {}", at.seq, at.reason);
                println!("        expected {}", at.expected);
                println!("        found    {}", at.found);
            }
        }
    }
    match broken {
        0 => Ok(()),
        n => Err(format!(
            "the activity log of {n} organization(s) does not verify"
        )),
    }
}

/// `teamwork activity checkpoint`: signs a checkpoint of every chain that grew since
/// its last one, now rather than at the next hourly pass.
pub async fn checkpoint_activity(db: &Db, config: &crate::config::Config) -> Result<(), String> {
    let key = crate::audit_key::load_or_create(config)?
        .ok_or("AUDIT_SIGNING_KEY is not set: there is no key to sign with")?;
    let signed = db
        .run(move |conn| crate::ops::audit::checkpoint(conn, &key, chrono::Utc::now()))
        .await
        .map_err(|e| e.to_string())?;
    println!("Signed {signed} checkpoint(s).");
    Ok(())
}
