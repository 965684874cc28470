//! Ctrl-C and SIGTERM, for the commands that run until told to stop or clean up when interrupted.

/// Resolves at Ctrl-C or SIGTERM. SIGTERM's handler is installed at the call, not when the
/// future is first polled, so that a SIGTERM from then on is never missed (nor kills the process).
pub fn terminated() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match term {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { () = ctrl_c => {}, () = term => {} }
    }
}
