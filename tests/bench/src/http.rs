//! A small HTTP/1 client for the saga suite (the engine under test is a real server).

use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub struct Client {
    inner: Hyper<HttpConnector, Full<axum::body::Bytes>>,
}

impl Client {
    pub fn new() -> Self {
        Self {
            inner: Hyper::builder(TokioExecutor::new())
                .pool_max_idle_per_host(128)
                .build_http(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        url: &str,
        token: &str,
        body: Option<String>,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Full::new(axum::body::Bytes::from(body.unwrap_or_default())))?;
        let response = self.inner.request(request).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }
}
