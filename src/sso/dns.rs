//! "Verify" of a claimed domain: the TXT records of `<domain>`, asked of the resolver
//! named by `DNS_RESOLVER` (or the first nameserver of /etc/resolv.conf) over UDP. A
//! tiny stub resolver: one question, one answer, a short timeout; no cache, so a
//! record just published is seen as soon as the resolver sees it.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

const TIMEOUT: Duration = Duration::from_secs(3);

/// Why the records could not be read; shown to the administrator as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LookupFailed(pub String);

/// The resolver to ask: the configured one, else the system's first nameserver.
pub fn resolver(configured: Option<SocketAddr>) -> Option<SocketAddr> {
    configured.or_else(|| {
        let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
        text.lines()
            .filter_map(|line| line.trim().strip_prefix("nameserver"))
            .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, 53))
            .next()
    })
}

/// Every TXT string published at `domain` (the character-strings of one record joined,
/// as RFC 7208 reads them).
pub async fn txt_records(server: SocketAddr, domain: &str) -> Result<Vec<String>, LookupFailed> {
    let failed = |what: &str| LookupFailed(format!("The DNS lookup of {domain} failed: {what}."));
    let name = Name::from_ascii(format!("{domain}.")).map_err(|_| failed("not a DNS name"))?;
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name, RecordType::TXT));
    let bytes = query
        .to_vec()
        .map_err(|_| failed("the question could not be encoded"))?;
    let local: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("literal address")
    } else {
        "[::]:0".parse().expect("literal address")
    };
    let socket = tokio::net::UdpSocket::bind(local)
        .await
        .map_err(|_| failed("no local socket"))?;
    socket
        .connect(server)
        .await
        .map_err(|_| failed("the resolver is unreachable"))?;
    let exchange = async {
        socket.send(&bytes).await?;
        let mut buffer = vec![0u8; 4096];
        loop {
            let n = socket.recv(&mut buffer).await?;
            // Answers to another question (a late reply, a spoof) are skipped.
            if let Ok(reply) = Message::from_vec(&buffer[..n])
                && reply.metadata.id == query.metadata.id
            {
                return Ok::<_, std::io::Error>(reply);
            }
        }
    };
    let reply = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| failed("the resolver did not answer in time"))?
        .map_err(|_| failed("the resolver could not be asked"))?;
    match reply.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Ok(Vec::new()),
        other => return Err(failed(&format!("the resolver answered {other}"))),
    }
    Ok(reply
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::TXT(txt) => Some(
                txt.txt_data
                    .iter()
                    .map(|part| String::from_utf8_lossy(part).into_owned())
                    .collect::<String>(),
            ),
            _ => None,
        })
        .collect())
}
