//! Progress bars on stderr (hidden when stderr is not a terminal).

/// A progress bar with `prefix`, drawn by `template`.
pub fn bar(prefix: &'static str, template: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0).with_prefix(prefix);
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("#>-"));
    }
    bar
}
