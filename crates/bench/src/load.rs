//! Signed load: N keep-alive connections, each request SigV4-signed for real.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the clients do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// GetSecretValue on random secrets of the populated set.
    Get,
    /// 90% GetSecretValue, 10% PutSecretValue.
    GetPut,
    /// ListSecrets, 100 per page, following NextToken.
    List,
    /// CreateSecret with fresh names.
    Create,
}

/// Arguments of `cofre-bench load`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Endpoint, `http://host:port`.
    #[arg(long, default_value = "http://127.0.0.1:8700")]
    endpoint: String,
    /// Region to sign for.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Access key id (default: env AWS_ACCESS_KEY_ID).
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    access_key_id: String,
    /// Secret access key (default: env AWS_SECRET_ACCESS_KEY).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: String,
    /// Workload.
    #[arg(long, value_enum, default_value = "get")]
    workload: Workload,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds of measured load (after `--warmup`).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of unmeasured warm-up.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// How many secrets the Get workloads read from (`bench/<i>`).
    #[arg(long, default_value_t = 1000)]
    secrets: usize,
    /// Create the secrets first (skip when they exist).
    #[arg(long)]
    populate: bool,
    /// Server process to read the peak RSS (VmHWM) of, after the run.
    #[arg(long)]
    server_pid: Option<u32>,
    /// A label for the output line.
    #[arg(long, default_value = "cofre")]
    label: String,
}

struct Signer {
    identity: Identity,
    region: String,
    host: String,
}

impl Signer {
    fn request(&self, target: &str, body: String) -> Result<http::Request<Full<Bytes>>, BoxError> {
        let headers = [
            ("host", self.host.as_str()),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target),
        ];
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("secretsmanager")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let uri = format!("http://{}/", self.host);
        let signable = SignableRequest::new(
            "POST",
            uri.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )?;
        let (instructions, _) = sign(signable, &params)?.into_parts();
        let mut builder = http::Request::builder().method("POST").uri("/");
        for (k, v) in headers {
            builder = builder.header(k, v);
        }
        for (k, v) in instructions.headers() {
            builder = builder.header(k, v);
        }
        Ok(builder.body(Full::new(Bytes::from(body)))?)
    }
}

struct Shared {
    signer: Signer,
    addr: String,
    workload: Workload,
    secrets: usize,
    measuring: AtomicBool,
    stop: AtomicBool,
    ok: AtomicU64,
    errors: AtomicU64,
    counter: AtomicU64,
}

/// Runs the load and prints one JSON line.
pub async fn run(args: Args) -> Result<(), BoxError> {
    let addr = args
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let identity: Identity = Credentials::new(
        &args.access_key_id,
        &args.secret_access_key,
        None,
        None,
        "cofre-bench",
    )
    .into();
    let shared = Arc::new(Shared {
        signer: Signer {
            identity,
            region: args.region.clone(),
            host: addr.clone(),
        },
        addr,
        workload: args.workload,
        secrets: args.secrets.max(1),
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        ok: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        counter: AtomicU64::new(0),
    });
    if args.populate {
        populate(&shared, args.secrets, args.connections).await?;
    }
    let mut tasks = Vec::new();
    for i in 0..args.connections {
        tasks.push(tokio::spawn(client(shared.clone(), i as u64)));
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    shared.measuring.store(true, Ordering::SeqCst);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    shared.stop.store(true, Ordering::SeqCst);
    let elapsed = started.elapsed().as_secs_f64();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for t in tasks {
        if let Ok(Ok(h)) = t.await {
            hist.add(&h)?;
        }
    }
    let ok = shared.ok.load(Ordering::SeqCst);
    let errors = shared.errors.load(Ordering::SeqCst);
    let rss_kib = args.server_pid.and_then(peak_rss_kib);
    let line = serde_json::json!({
        "label": args.label,
        "workload": format!("{:?}", args.workload).to_lowercase(),
        "connections": args.connections,
        "seconds": elapsed,
        "requests": ok,
        "errors": errors,
        "throughput_rps": ok as f64 / elapsed,
        "p50_ms": hist.value_at_quantile(0.50) as f64 / 1000.0,
        "p99_ms": hist.value_at_quantile(0.99) as f64 / 1000.0,
        "p999_ms": hist.value_at_quantile(0.999) as f64 / 1000.0,
        "server_peak_rss_mib": rss_kib.map(|k| k as f64 / 1024.0),
    });
    println!("{line}");
    Ok(())
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: &str) -> Result<Sender, BoxError> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

static FIRST_ERROR: std::sync::Once = std::sync::Once::new();

/// Sends one request; Ok(true) on a 2xx answer. The first error answer is shown on stderr.
async fn send(sender: &mut Sender, req: http::Request<Full<Bytes>>) -> Result<bool, BoxError> {
    sender.ready().await?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        FIRST_ERROR.call_once(|| {
            eprintln!(
                "first error answer: {status} {}",
                String::from_utf8_lossy(&body)
            );
        });
    }
    Ok(status.is_success())
}

async fn populate(shared: &Arc<Shared>, n: usize, conns: usize) -> Result<(), BoxError> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conns.max(1) {
        let (shared, next) = (shared.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(&shared.addr).await?;
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n as u64 {
                    return Ok::<(), BoxError>(());
                }
                let body = serde_json::json!({"Name": format!("bench/{i}"), "SecretString": format!("value-{i:032}")}).to_string();
                let req = shared.signer.request("secretsmanager.CreateSecret", body.clone())?;
                if send(&mut sender, req).await.is_err() {
                    // Servers that close connections (HTTP/1.0 style): reconnect and retry once.
                    sender = connect(&shared.addr).await?;
                    let req = shared.signer.request("secretsmanager.CreateSecret", body)?;
                    send(&mut sender, req).await?;
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn client(shared: Arc<Shared>, seed: u64) -> Result<Histogram<u64>, BoxError> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut sender = connect(&shared.addr).await?;
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next_token: Option<String> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let pick = ((rng >> 20) % shared.secrets as u64) as usize;
        let (target, body) = match shared.workload {
            Workload::Get => (
                "secretsmanager.GetSecretValue",
                format!(r#"{{"SecretId":"bench/{pick}"}}"#),
            ),
            Workload::GetPut if rng % 10 == 0 => (
                "secretsmanager.PutSecretValue",
                format!(r#"{{"SecretId":"bench/{pick}","SecretString":"v-{rng}"}}"#),
            ),
            Workload::GetPut => (
                "secretsmanager.GetSecretValue",
                format!(r#"{{"SecretId":"bench/{pick}"}}"#),
            ),
            Workload::List => (
                "secretsmanager.ListSecrets",
                match &next_token {
                    Some(t) => serde_json::json!({"MaxResults": 100, "NextToken": t}).to_string(),
                    None => r#"{"MaxResults":100}"#.to_owned(),
                },
            ),
            Workload::Create => {
                let n = shared.counter.fetch_add(1, Ordering::Relaxed);
                (
                    "secretsmanager.CreateSecret",
                    format!(r#"{{"Name":"load/{seed}/{n}/{rng}","SecretString":"v"}}"#),
                )
            }
        };
        let req = shared.signer.request(target, body)?;
        let started = Instant::now();
        let outcome = if shared.workload == Workload::List {
            send_list(&mut sender, req, &mut next_token).await
        } else {
            send(&mut sender, req).await
        };
        let micros = started.elapsed().as_micros() as u64;
        match outcome {
            Ok(true) => {
                if shared.measuring.load(Ordering::Relaxed) && !shared.stop.load(Ordering::Relaxed)
                {
                    shared.ok.fetch_add(1, Ordering::Relaxed);
                    hist.record(micros.max(1))?;
                }
            }
            Ok(false) => {
                if shared.measuring.load(Ordering::Relaxed) {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                sender = connect(&shared.addr).await?;
            }
        }
    }
    Ok(hist)
}

async fn send_list(
    sender: &mut Sender,
    req: http::Request<Full<Bytes>>,
    next_token: &mut Option<String>,
) -> Result<bool, BoxError> {
    sender.ready().await?;
    let resp = sender.send_request(req).await?;
    let ok = resp.status().is_success();
    let body = resp.into_body().collect().await?.to_bytes();
    *next_token = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("NextToken")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        });
    Ok(ok)
}
