/* Highlights: the byte spans of a title whose words match the query, and the title with
 * those spans marked (<em>…</em>, the rest HTML-escaped). A word of the title is a run of
 * letters, digits and non-ASCII bytes (numbers keep '.', ',' and '/' between digits, as the
 * tokenizer does); it matches when one of its tokens (normalised, stemmed) is a query term
 * or a completion of the query's prefix. */
#include <string.h>

#include "search/search_internal.h"
#include "text/text.h"

static int wordch(unsigned char c) { return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }
static int digit(unsigned char c) { return c >= '0' && c <= '9'; }

static void escape(ecai__buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '&') ecai__buf_puts(b, "&amp;");
    else if (c == '<') ecai__buf_puts(b, "&lt;");
    else if (c == '>') ecai__buf_puts(b, "&gt;");
    else if (c == '"') ecai__buf_puts(b, "&quot;");
    else ecai__buf_append(b, &c, 1);
  }
}

/* Does any token of word w[0..n) match? */
static int word_matches(const ecai__bm25 *bm, ecai__tokenizer *tk, ecai__tokens *toks, const char *w, size_t n,
                        int (*match)(const void *, uint32_t), const void *arg) {
  if (ecai__tokenize(tk, w, n, ECAI__TOKF_STEM, toks)) return 0;
  for (size_t i = 0; i < toks->n; i++) {
    int64_t t = ecai__bm25_term(bm, toks->text + toks->off[i], toks->len[i]);
    if (t >= 0 && match(arg, (uint32_t)t)) return 1;
  }
  return 0;
}

json_t *ecai__highlight(const ecai__bm25 *bm, ecai__tokenizer *tk, ecai__tokens *toks, const char *title,
                        int (*match)(const void *, uint32_t), const void *arg) {
  json_t *spans = json_array(), *h = json_object();
  ecai__buf b = {0};
  size_t n = title ? strlen(title) : 0, done = 0, i = 0;
  while (i < n) {
    if (!wordch((unsigned char)title[i])) {
      i++;
      continue;
    }
    size_t a = i;
    while (i < n && (wordch((unsigned char)title[i]) ||
                     ((title[i] == '.' || title[i] == ',' || title[i] == '/') && i > a && digit((unsigned char)title[i - 1]) &&
                      i + 1 < n && digit((unsigned char)title[i + 1]))))
      i++;
    if (!word_matches(bm, tk, toks, title + a, i - a, match, arg)) continue;
    json_array_append_new(spans, json_pack("{s:I,s:I}", "start", (json_int_t)a, "len", (json_int_t)(i - a)));
    escape(&b, title + done, a - done);
    ecai__buf_puts(&b, "<em>");
    escape(&b, title + a, i - a);
    ecai__buf_puts(&b, "</em>");
    done = i;
  }
  escape(&b, title + done, n - done);
  if (!spans || !h || b.oom) {
    json_decref(spans), json_decref(h);
    ecai__buf_free(&b);
    return NULL;
  }
  json_object_set_new(h, "title", json_stringn(b.data ? b.data : "", b.len));
  json_object_set_new(h, "spans", spans);
  ecai__buf_free(&b);
  return h;
}
