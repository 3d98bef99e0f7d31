//! Bar charts as inline SVG, drawn on the server. Each bar is a real link to the list
//! behind it; the page puts the chart in a figure with a title and follows it with a
//! table of the same numbers, so nothing is only in the picture.
use std::fmt::Write;

/// One bar: what it counts, how many, and where its list is.
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub href: String,
}

const ROW: u32 = 28;
const LABEL_WIDTH: u32 = 170;
const PLOT_WIDTH: u32 = 360;
const VALUE_WIDTH: u32 = 90;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart. `shown` formats a value for the screen. The SVG is
/// described by the figure's caption (`labelledby`); each bar's link is named by its
/// visible label and value.
pub fn bar_chart(labelledby: &str, bars: &[Bar], shown: impl Fn(i64) -> String) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = ROW * bars.len() as u32 + 8;
    let width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="group" aria-labelledby="{}" viewBox="0 0 {width} {height}" width="{width}" height="{height}">"#,
        escape(labelledby)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4 + ROW * i as u32;
        let length = (bar.value.max(0) as u64 * u64::from(PLOT_WIDTH) / max as u64) as u32;
        let value = shown(bar.value);
        let _ = write!(
            svg,
            r#"<a href="{href}"><text x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect class="bar" x="{LABEL_WIDTH}" y="{by}" width="{bw}" height="{bh}"></rect><text x="{vx}" y="{ty}">{value}</text></a>"#,
            href = escape(&bar.href),
            label = escape(&bar.label),
            value = escape(&value),
            lx = LABEL_WIDTH - 8,
            ty = y + 18,
            by = y + 4,
            bw = length.max(1),
            bh = ROW - 8,
            vx = LABEL_WIDTH + length + 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_links_scaled_to_the_largest_value() {
        let bars = [
            Bar {
                label: "I lager".into(),
                value: 50,
                href: "/console/devices?status=in_stock".into(),
            },
            Bar {
                label: "Utdelad <&>".into(),
                value: 100,
                href: "/console/devices?status=assigned&kind=phone".into(),
            },
        ];
        let svg = bar_chart("chart-title", &bars, |v| v.to_string());
        assert!(svg.contains(r#"aria-labelledby="chart-title""#));
        assert!(svg.contains(r#"<a href="/console/devices?status=in_stock"><text"#));
        assert!(svg.contains(">I lager</text>") && svg.contains(">50</text>"));
        assert!(svg.contains(&format!(r#"width="{}""#, PLOT_WIDTH / 2)));
        assert!(svg.contains(&format!(r#"width="{PLOT_WIDTH}""#)));
        assert!(svg.contains("Utdelad &lt;&amp;&gt;"));
        assert!(svg.contains("status=assigned&amp;kind=phone"));
    }
}
