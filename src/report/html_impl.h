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
/* A table cell: <th scope="col|row"> or <td>, with a class when cls is not
 * NULL ("l": left-aligned, "bad": a failure), the text escaped (NULL: ""). */
void html_th(TpBuf *b, const char *scope, const char *cls, const char *text);
void html_td(TpBuf *b, const char *cls, const char *text);
/* A data table in a scrolling box: html_table_begin writes <div
 * class="scroll"><table> (with class cls when not NULL), the caption (HTML as
 * given: a literal, not escaped) and the header row's <tr>; the caller adds the
 * column headings (html_th with scope "col", or html_th_cols: n headings, the
 * first n_left left-aligned), html_table_body closes the header and opens
 * <tbody>, the caller writes the rows, html_table_end closes the table. */
void html_table_begin(TpBuf *b, const char *cls, const char *caption);
void html_th_cols(TpBuf *b, const char *const *texts, int n, int n_left);
void html_table_body(TpBuf *b);
void html_table_end(TpBuf *b);
/* <figure> with the chart, a caption, and the data table in <details>. */
typedef void (*HtmlChartFn)(TpBuf *b, const void *chart);
void html_figure(TpBuf *b, const char *caption, const void *chart, HtmlChartFn draw,
                 HtmlChartFn table);

#endif
