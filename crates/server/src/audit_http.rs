//! The audit trail's HTTP sink transport: each batch (a JSON array) is one `POST` over plain
//! HTTP/1.1 with hyper's client, on a fresh connection, bounded by a timeout. Batching,
//! retries and the bounded queue are `cofre_core::audit_sinks`'s.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use cofre_core::audit_sinks::Poster;

/// How long one POST may take, connection included.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs batches to one `http://` URL.
#[derive(Debug, Clone)]
pub struct HttpPoster {
    url: String,
    authority: String,
    host: String,
    port: u16,
    path: String,
}

impl HttpPoster {
    /// A poster for `url` (`http://host[:port][/path]`); only plain HTTP is supported.
    pub fn new(url: &str) -> Result<Self, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("{url}: only http:// URLs are supported"));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| format!("{url}: no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok(Self {
            url: url.to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authority: authority.as_str().to_owned(),
            host,
            path: uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".into()),
        })
    }

    async fn exchange(&self, body: Vec<u8>) -> Result<(), String> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.url))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("cannot reach {}: {e}", self.url))?;
        let conn = tokio::spawn(conn);
        let request = http::Request::builder()
            .method("POST")
            .uri(self.path.as_str())
            .header("host", self.authority.as_str())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("no answer from {}: {e}", self.url))?;
        let status = response.status();
        // Drain the answer so the server sees a complete exchange; its content is not used.
        let _ = response.into_body().collect().await;
        conn.abort();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{} answered HTTP {status}", self.url))
        }
    }
}

#[async_trait::async_trait]
impl Poster for HttpPoster {
    async fn post(&self, body: Vec<u8>) -> Result<(), String> {
        tokio::time::timeout(POST_TIMEOUT, self.exchange(body))
            .await
            .map_err(|_| format!("no answer from {} within {POST_TIMEOUT:?}", self.url))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let p = HttpPoster::new("http://127.0.0.1:9000/ingest?x=1").ok();
        let p = p.map(|p| (p.host, p.port, p.path, p.authority));
        assert_eq!(
            p,
            Some((
                "127.0.0.1".into(),
                9000,
                "/ingest?x=1".into(),
                "127.0.0.1:9000".into()
            ))
        );
        assert!(HttpPoster::new("https://example.com/").is_err());
        assert_eq!(
            HttpPoster::new("http://example.com")
                .ok()
                .map(|p| (p.port, p.path)),
            Some((80, "/".into()))
        );
    }

    #[tokio::test]
    async fn posts_the_body() {
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            return;
        };
        let Ok(addr) = listener.local_addr() else {
            return;
        };
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut s, _) = listener.accept().await.ok()?;
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            while !String::from_utf8_lossy(&got).contains("[1,2]") {
                let n = s.read(&mut buf).await.ok()?;
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.ok()?;
            Some(String::from_utf8_lossy(&got).into_owned())
        });
        let p = HttpPoster::new(&format!("http://{addr}/in")).ok();
        let r = match p {
            Some(p) => p.post(b"[1,2]".to_vec()).await,
            None => Err("bad url".into()),
        };
        assert_eq!(r, Ok(()));
        let req = server.await.ok().flatten().unwrap_or_default();
        assert!(req.starts_with("POST /in HTTP/1.1"), "{req}");
        assert!(req
            .to_ascii_lowercase()
            .contains("content-type: application/json"));
    }
}
