/* html_impl.h - the parts every HTML report shares: the page with its CSS
 * (light, dark, print), escaping, definition lists, links, figures. */
#ifndef TP_REPORT_HTML_IMPL_H
#define TP_REPORT_HTML_IMPL_H

#include "tunepilot/buf.h"
#include "tunepilot/report.h"

/* <!DOCTYPE html>, <head> with the title and the inline stylesheet, <body><main>. */
void html_begin(TpBuf *b, const char *title);
/* </main>, the footer with the version and date, </body></html>. */
void html_end(TpBuf *b, const ReportMeta *meta);
void html_esc(TpBuf *b, const char *s);
/* <tag>escaped text</tag> */
void html_el(TpBuf *b, const char *tag, const char *text);
/* A definition list row: <dt>key</dt><dd>printf text (escaped)</dd>. */
void html_dd(TpBuf *b, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The text as a link when it is an http(s) URL, else as text. */
void html_link(TpBuf *b, const char *text);
/* <figure> with the chart, a caption, and the data table in <details>. */
typedef void (*HtmlChartFn)(TpBuf *b, const void *chart);
void html_figure(TpBuf *b, const char *caption, const void *chart, HtmlChartFn draw,
                 HtmlChartFn table);

#endif
