/* html_page.c - page frame and stylesheet of the HTML reports.
 *
 * The page is polyglot XHTML (every element closed, only the five XML
 * entities), so an XML parser can check it as well as a browser. Colours
 * come from CSS custom properties: a light set, a dark set under
 * prefers-color-scheme: dark, and the light set again for print. The series
 * palette is Okabe and Ito's colour-blind-safe set ("Color Universal Design",
 * https://jfly.uni-koeln.de/color/, 2008); dash patterns, markers and
 * hatching carry the same distinctions in greyscale. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report/html_impl.h"
#include "tunepilot/svg.h"

static const char CSS[] =
    ":root{--bg:#ffffff;--fg:#1b1b1b;--muted:#555;--rule:#d0d0d0;--grid:#e4e4e4;--axis:#555;"
    "--zebra:#f6f6f6;--ref:#b3261e;--be:#1b1b1b;--link:#0b57d0;"
    "--p0:#0072b2;--p1:#d55e00;--p2:#009e73;--p3:#cc79a7;--p4:#e69f00;--p5:#56b4e9}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e6e6e6;--muted:#a8a8a8;"
    "--rule:#3a3d42;--grid:#2b2e33;--axis:#b0b0b0;--zebra:#1c1f23;--ref:#ff8a80;--be:#ffffff;"
    "--link:#8ab4f8;--p0:#56b4e9;--p1:#ff9d5c;--p2:#3ddc97;--p3:#eaa3d1;--p4:#f5c04a;"
    "--p5:#a6dcf7}}\n"
    "html{background:var(--bg);color:var(--fg)}\n"
    "body{margin:0 auto;max-width:68rem;padding:1.5rem 1.25rem 3rem;"
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}\n"
    "h1{font-size:1.65rem;line-height:1.25;margin:.2rem 0 .6rem}\n"
    "h2{font-size:1.25rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;"
    "border-bottom:1px solid var(--rule)}\n"
    "h3{font-size:1.05rem;margin:1.2rem 0 .4rem}\n"
    "a{color:var(--link);overflow-wrap:anywhere}\n"
    "p.lead{font-size:1.08rem}\n"
    ".verdict{border-left:4px solid var(--p2);padding:.5rem .9rem;background:var(--zebra)}\n"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.8rem 0}\n"
    "dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;margin:.4rem 0 1rem;font-variant-numeric:tabular-nums;"
    "font-size:.92rem}\n"
    "caption{text-align:left;font-weight:600;padding:.2rem 0 .4rem}\n"
    "th,td{padding:.25rem .45rem;border-bottom:1px solid var(--rule);text-align:right;"
    "vertical-align:top}\n"
    "thead th{border-bottom:2px solid var(--axis)}\n"
    "th[scope=row],.l{text-align:left}\n"
    "tbody tr:nth-child(even){background:var(--zebra)}\n"
    "td.bad{color:var(--ref);font-weight:600}\n"
    "table.src td,table.src th{text-align:left}\n"
    "figure{margin:1rem 0 1.5rem}\n"
    "figcaption{color:var(--muted);font-size:.92rem;margin-top:.3rem}\n"
    "details{margin-top:.4rem}summary{cursor:pointer;color:var(--muted)}\n"
    "svg.chart{display:block;width:100%;height:auto;max-width:60rem}\n"
    ".chart text{fill:var(--fg);font-size:12px;font-family:'DejaVu Sans',Verdana,sans-serif}\n"
    ".chart .atitle{fill:var(--muted)}\n"
    ".grid path{stroke:var(--grid);stroke-width:1;fill:none}\n"
    ".axis path{stroke:var(--axis);stroke-width:1;fill:none}\n"
    ".s0{--c:var(--p0)}.s1{--c:var(--p1)}.s2{--c:var(--p2)}"
    ".s3{--c:var(--p3)}.s4{--c:var(--p4)}.s5{--c:var(--p5)}\n"
    ".c0{fill:var(--p0)}.c1{fill:var(--p1)}.c2{fill:var(--p2)}"
    ".c3{fill:var(--p3)}.c4{fill:var(--p4)}.c5{fill:var(--p5)}\n"
    ".ln{fill:none;stroke:var(--c);stroke-width:2.2;stroke-linejoin:round}\n"
    ".faint .ln{stroke-width:1.2;opacity:.45}\n"
    ".mk *{fill:var(--c);stroke:var(--c);stroke-width:1}.mk .open{fill:none;stroke-width:2.2}\n"
    ".band{fill:var(--c);opacity:.18;stroke:none}\n"
    ".ref{stroke:var(--ref);stroke-width:2;stroke-dasharray:7 4;fill:none}\n"
    ".chart .reflabel{fill:var(--ref);font-weight:600}\n"
    ".be{fill:var(--bg);stroke:var(--be);stroke-width:2.2}\n"
    ".bel{stroke:var(--be);stroke-width:1;stroke-dasharray:2 3;opacity:.7;fill:none}\n"
    ".chart .belabel{font-weight:600}\n"
    ".seg{stroke:var(--bg);stroke-width:.8}.hl{stroke:var(--bg);stroke-width:1.5;fill:none}\n"
    ".whisker{stroke:var(--fg);stroke-width:1.5;fill:none}\n"
    "footer{margin-top:2.5rem;padding-top:.6rem;border-top:1px solid var(--rule);"
    "color:var(--muted);font-size:.88rem}\n"
    "@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--rule:#bbb;--grid:#e6e6e6;--axis:#444;"
    "--zebra:#f4f4f4;--ref:#b3261e;--be:#000;--link:#000;--p0:#0072b2;--p1:#d55e00;"
    "--p2:#009e73;--p3:#cc79a7;--p4:#e69f00;--p5:#56b4e9}\n"
    "@page{margin:14mm 12mm}\n"
    "body{max-width:none;padding:0;font-size:10pt}\n"
    "h2{break-after:avoid;page-break-after:avoid}\n"
    "figure,tr,dl.meta{break-inside:avoid;page-break-inside:avoid}\n"
    "table{font-size:8.5pt}th,td{padding:.15rem .35rem}\n"
    ".scroll{overflow:visible}\n"
    "details:not([open]){display:none}\n"
    "table.src a::after{content:''}}\n";

void html_esc(TpBuf *b, const char *s) { svg_escape(b, s); }

void html_el(TpBuf *b, const char *tag, const char *text) {
    tp_buf_printf(b, "<%s>", tag);
    html_esc(b, text);
    tp_buf_printf(b, "</%s>\n", tag);
}

void html_begin(TpBuf *b, const char *title) {
    tp_buf_puts(b, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
                   "<head>\n<meta charset=\"utf-8\"/>\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                   "<meta name=\"color-scheme\" content=\"light dark\"/>\n"
                   "<meta name=\"generator\" content=\"tunepilot\"/>\n<title>");
    html_esc(b, title);
    tp_buf_puts(b, "</title>\n<style>\n");
    tp_buf_puts(b, CSS);
    tp_buf_puts(b, "</style>\n</head>\n<body>\n<main>\n");
}

void html_end(TpBuf *b, const ReportMeta *meta) {
    tp_buf_puts(b, "</main>\n<footer><p>Made by tunepilot ");
    html_esc(b, meta && meta->version ? meta->version : "");
    if (meta && meta->generated_at) {
        tp_buf_puts(b, " on ");
        html_esc(b, meta->generated_at);
    }
    tp_buf_puts(b, ". Self-contained: no scripts, nothing fetched. Every figure above comes "
                   "from the tables behind the charts and the sources listed.</p></footer>\n"
                   "</body>\n</html>\n");
}

void html_dd(TpBuf *b, const char *key, const char *fmt, ...) {
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    tp_buf_puts(b, "<dt>");
    html_esc(b, key);
    tp_buf_puts(b, "</dt><dd>");
    html_esc(b, text);
    tp_buf_puts(b, "</dd>\n");
}

void html_link(TpBuf *b, const char *text) {
    if (text && (!strncmp(text, "https://", 8) || !strncmp(text, "http://", 7))) {
        tp_buf_puts(b, "<a href=\"");
        html_esc(b, text);
        tp_buf_puts(b, "\">");
        html_esc(b, text);
        tp_buf_puts(b, "</a>");
    } else {
        html_esc(b, text ? text : "");
    }
}

void html_th(TpBuf *b, const char *scope, const char *cls, const char *text) {
    tp_buf_printf(b, "<th scope=\"%s\"%s%s%s>", scope, cls ? " class=\"" : "", cls ? cls : "",
                  cls ? "\"" : "");
    html_esc(b, text ? text : "");
    tp_buf_puts(b, "</th>");
}

void html_td(TpBuf *b, const char *cls, const char *text) {
    tp_buf_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    html_esc(b, text ? text : "");
    tp_buf_puts(b, "</td>");
}

void html_table_begin(TpBuf *b, const char *cls, const char *caption) {
    tp_buf_printf(b, "<div class=\"scroll\"><table%s%s%s>\n<caption>%s</caption>\n<thead><tr>",
                  cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "", caption);
}

void html_th_cols(TpBuf *b, const char *const *texts, int n, int n_left) {
    for (int c = 0; c < n; c++)
        html_th(b, "col", c < n_left ? "l" : NULL, texts[c]);
}

void html_table_body(TpBuf *b) {
    tp_buf_puts(b, "</tr></thead>\n<tbody>\n");
}

void html_table_end(TpBuf *b) {
    tp_buf_puts(b, "</tbody></table></div>\n");
}

void html_figure(TpBuf *b, const char *caption, const void *chart, HtmlChartFn draw,
                 HtmlChartFn table) {
    tp_buf_puts(b, "<figure>\n");
    draw(b, chart);
    tp_buf_puts(b, "<figcaption>");
    html_esc(b, caption);
    tp_buf_puts(b, "</figcaption>\n<details><summary>The data behind this chart</summary>\n"
                   "<div class=\"scroll\">\n");
    table(b, chart);
    tp_buf_puts(b, "</div></details>\n</figure>\n");
}
