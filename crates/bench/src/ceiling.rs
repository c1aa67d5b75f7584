//! The ceiling: what a bare hyper server does on this machine with a GetSecretValue-shaped
//! answer and nothing else.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// Arguments of `cofre-bench ceiling`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8800")]
    listen: SocketAddr,
}

const BODY: &str = r#"{"ARN":"arn:aws:secretsmanager:us-east-1:000000000000:secret:bench/0-AbCdEf","Name":"bench/0","VersionId":"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa","SecretString":"0123456789abcdef0123456789abcdef","VersionStages":["AWSCURRENT"],"CreatedDate":1764400000.123}"#;

/// Serves until killed.
pub async fn run(args: Args) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("ceiling listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                // Read the body as a real server must.
                let _ = req.into_body().collect().await;
                let mut resp = hyper::Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                resp.headers_mut().insert(
                    "content-type",
                    http::HeaderValue::from_static("application/x-amz-json-1.1"),
                );
                Ok::<_, Infallible>(resp)
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
