//! Webhook rotation functions' transport: one `POST` over plain HTTP/1.1 with hyper's client,
//! on a fresh connection, bounded by the function's timeout. Signing and the verdict on the
//! status are `cofre_core::rotation::invoke`'s.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use cofre_core::rotation::invoke::WebhookSender;

/// Sends webhooks with hyper.
#[derive(Debug, Clone, Copy, Default)]
pub struct HyperWebhook;

#[async_trait::async_trait]
impl WebhookSender for HyperWebhook {
    async fn post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<u16, String> {
        tokio::time::timeout(timeout, exchange(url, headers, body))
            .await
            .map_err(|_| format!("{url} did not answer within {} s", timeout.as_secs()))?
    }
}

async fn exchange(url: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<u16, String> {
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
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let conn = tokio::spawn(conn);
    let mut request = http::Request::builder()
        .method("POST")
        .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header("host", authority.as_str());
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("no answer from {url}: {e}"))?;
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    conn.abort();
    Ok(status)
}
