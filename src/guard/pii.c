/* Guard: PII detection (e-mail, phone, card + Luhn, IBAN + mod 97, street address,
 * order ids) and reversible redaction with placeholders. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard/guard_internal.h"

static const char *const TYPE_NAMES[G_PII_NTYPES] = {"email", "phone", "card", "iban", "address", "order_id"};
static const char *const TYPE_TAGS[G_PII_NTYPES] = {"EMAIL", "PHONE", "CARD", "IBAN", "ADDRESS", "ORDER"};

const char *ecai__pii_type_name(ecai__pii_type t) { return t < G_PII_NTYPES ? TYPE_NAMES[t] : "?"; }

#define isalnum_b ecai__g_alnum
#define isdigit_b ecai__g_digit
#define isalpha_b ecai__g_alpha

bool ecai__luhn_ok(const char *d, size_t n) {
  int sum = 0;
  bool dbl = false;
  for (size_t i = n; i-- > 0;) {
    int x = d[i] - '0';
    if (dbl) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
    dbl = !dbl;
  }
  return n > 0 && sum % 10 == 0;
}

/* s: IBAN characters without spaces (letters any case). */
bool ecai__iban_ok(const char *s, size_t n) {
  if (n < 15 || n > 34) return false;
  if (!isalpha_b(s[0]) || !isalpha_b(s[1]) || !isdigit_b(s[2]) || !isdigit_b(s[3])) return false;
  unsigned rem = 0;
  for (size_t k = 0; k < n; k++) {
    char c = s[(k + 4) % n];
    if (isdigit_b(c)) rem = (rem * 10 + (unsigned)(c - '0')) % 97;
    else if (isalpha_b(c)) rem = (rem * 100 + (unsigned)(toupper((unsigned char)c) - 'A' + 10)) % 97;
    else return false;
  }
  return rem == 1;
}

/* The word (letters only, lowercased into buf) ending before position `end`, skipping
 * spaces and simple punctuation; returns its start or (size_t)-1. */
static size_t prev_word(const char *s, size_t end, char *buf, size_t cap) {
  size_t i = end;
  while (i > 0 && !isalnum_b(s[i - 1])) {
    if (end - i > 3) return (size_t)-1;
    i--;
  }
  size_t e = i;
  while (i > 0 && isalpha_b(s[i - 1])) i--;
  size_t n = e - i;
  if (n == 0 || n >= cap) return (size_t)-1;
  for (size_t k = 0; k < n; k++) buf[k] = (char)tolower((unsigned char)s[i + k]);
  buf[n] = 0;
  return i;
}

static bool word_in(const char *w, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(w, *list)) return true;
  return false;
}

static const char *const ID_WORDS[] = {"order", "orders", "item", "sku", "product", "id", "tracking", "invoice",
                                       "ref", "reference", "no", "number", "confirmation", NULL};
static const char *const PHONE_WORDS[] = {"phone", "call", "tel", "telephone", "mobile", "cell", "whatsapp",
                                          "reach", "text", "sms", "at", "on", "is", "number", "me", NULL};

/* True when one of the two words before `pos` is an id word (order, item, ...). */
static bool after_id_word(const char *s, size_t pos) {
  char w[24];
  size_t p = pos;
  for (int k = 0; k < 2; k++) {
    size_t st = prev_word(s, p, w, sizeof w);
    if (st == (size_t)-1) return false;
    if (word_in(w, ID_WORDS) && strcmp(w, "no") && strcmp(w, "number")) return true;
    p = st;
  }
  return false;
}


typedef struct {
  ecai__pii_span *v;
  size_t n, cap;
} spanvec;

static bool add_span(spanvec *sv, size_t a, size_t b, ecai__pii_type t) {
  if (sv->n == sv->cap) {
    size_t nc = sv->cap ? sv->cap * 2 : 8;
    ecai__pii_span *nv = ecai__realloc(sv->v, nc * sizeof *nv);
    if (!nv) return false;
    sv->v = nv;
    sv->cap = nc;
  }
  sv->v[sv->n++] = (ecai__pii_span){a, b, t};
  return true;
}

static bool covered(const spanvec *sv, size_t a, size_t b) {
  for (size_t i = 0; i < sv->n; i++)
    if (a < sv->v[i].end && b > sv->v[i].start) return true;
  return false;
}

static bool is_email_local(char c) { return c && (isalnum_b(c) || strchr("._%+-", c)); }
static bool is_email_dom(char c) { return isalnum_b(c) || c == '-' || c == '.'; }

static bool find_emails(spanvec *sv, const char *s, size_t len) {
  for (size_t k = 0; k < len; k++) {
    if (s[k] != '@') continue;
    size_t a = k;
    while (a > 0 && is_email_local(s[a - 1])) a--;
    while (a < k && (s[a] == '.' || s[a] == '-')) a++;
    if (a == k) continue;
    size_t b = k + 1;
    while (b < len && is_email_dom(s[b])) b++;
    while (b > k + 1 && (s[b - 1] == '.' || s[b - 1] == '-')) b--;
    /* needs a dot and a 2+ letter TLD */
    size_t dot = b;
    while (dot > k + 1 && s[dot - 1] != '.') dot--;
    if (dot <= k + 2 || b - dot < 2) continue;
    bool tld = true;
    for (size_t q = dot; q < b; q++)
      if (!isalpha_b(s[q])) tld = false;
    if (!tld) continue;
    if (covered(sv, a, b)) continue;
    if (!add_span(sv, a, b, G_PII_EMAIL)) return false;
    k = b;
  }
  return true;
}

static bool find_ibans(spanvec *sv, const char *s, size_t len) {
  char buf[40];
  for (size_t i = 0; i + 15 <= len; i++) {
    if (i > 0 && isalnum_b(s[i - 1])) continue;
    if (!isupper((unsigned char)s[i]) || !isupper((unsigned char)s[i + 1]) || !isdigit_b(s[i + 2]) ||
        !isdigit_b(s[i + 3]))
      continue;
    size_t n = 0, j = i, best_end = 0;
    while (j < len && n < 34) {
      if (isalnum_b(s[j])) {
        buf[n++] = s[j++];
        if ((j >= len || !isalnum_b(s[j])) && ecai__iban_ok(buf, n)) best_end = j;
      } else if (s[j] == ' ' && j + 1 < len && isalnum_b(s[j + 1]) && n >= 4) {
        j++;
      } else {
        break;
      }
    }
    if (best_end && !covered(sv, i, best_end)) {
      if (!add_span(sv, i, best_end, G_PII_IBAN)) return false;
      i = best_end;
    }
  }
  return true;
}

/* Digits with single ' ' or '-' separators from i: returns end, digit count, group info. */
static size_t digit_run(const char *s, size_t len, size_t i, const char *seps, size_t *ndig, size_t *ngroups,
                        size_t *first_group, size_t *last_group) {
  size_t j = i, nd = 0, ng = 1, cur = 0, fg = 0;
  while (j < len) {
    if (isdigit_b(s[j])) {
      nd++;
      cur++;
      j++;
    } else if (strchr(seps, s[j]) && s[j] && j + 1 < len &&
               (isdigit_b(s[j + 1]) || (s[j + 1] == ' ' && s[j] != ' ' && j + 2 < len && isdigit_b(s[j + 2])) ||
                (s[j + 1] == '(' || s[j] == ')'))) {
      if (cur) {
        if (ng == 1) fg = cur;
        ng++;
      }
      cur = 0;
      j++;
    } else {
      break;
    }
  }
  if (ng == 1) fg = cur;
  *ndig = nd;
  *ngroups = ng;
  *first_group = fg;
  *last_group = cur;
  return j;
}

static bool find_cards(spanvec *sv, const char *s, size_t len) {
  char d[32];
  for (size_t i = 0; i < len; i++) {
    if (!isdigit_b(s[i]) || (i > 0 && (isalnum_b(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == ','))) continue;
    size_t nd, ng, fg, lg;
    size_t e = digit_run(s, len, i, " -", &nd, &ng, &fg, &lg);
    if (e < len && isalpha_b(s[e])) {
      i = e;
      continue;
    }
    if (nd >= 13 && nd <= 19) {
      size_t k = 0;
      for (size_t q = i; q < e; q++)
        if (isdigit_b(s[q])) d[k++] = s[q];
      if (ecai__luhn_ok(d, k) && !covered(sv, i, e)) {
        if (!add_span(sv, i, e, G_PII_CARD)) return false;
      }
    }
    i = e;
  }
  return true;
}

static bool find_phones(spanvec *sv, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    bool plus = s[i] == '+' && i + 1 < len && isdigit_b(s[i + 1]);
    bool paren = s[i] == '(' && i + 1 < len && isdigit_b(s[i + 1]);
    if (!plus && !paren && !isdigit_b(s[i])) continue;
    if (i > 0 && (isalnum_b(s[i - 1]) || strchr("$#€£.,/:", s[i - 1]))) continue;
    if (i > 0 && (unsigned char)s[i - 1] >= 0x80) continue;
    size_t nd, ng, fg, lg;
    size_t st = plus ? i + 1 : i;
    size_t e = digit_run(s, len, st, " -.()", &nd, &ng, &fg, &lg);
    while (e > st && !isdigit_b(s[e - 1])) e--;
    if (e < len && (isalpha_b(s[e]) || s[e] == '%')) {
      i = e;
      continue;
    }
    bool phone = false;
    if (plus) phone = nd >= 8 && nd <= 15;
    else if (ng >= 2) {
      if (nd >= 9 && nd <= 13) phone = true;
      else if (nd == 7 && ng == 2 && fg == 3 && lg == 4) phone = true;
      if (nd == 8 && fg == 4) phone = false; /* dates 2024-01-15 */
      if (fg == 4 && nd == 8) phone = false;
    } else if (nd >= 10 && nd <= 13) {
      char w[24];
      size_t ws = prev_word(s, i, w, sizeof w);
      phone = s[st] == '0' || (ws != (size_t)-1 && word_in(w, PHONE_WORDS));
    }
    if (phone && !plus && after_id_word(s, i)) phone = false;
    if (phone && !covered(sv, i, e)) {
      if (!add_span(sv, i, e, G_PII_PHONE)) return false;
    }
    i = e;
  }
  return true;
}

static const char *const STREET[] = {"street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane",
                                     "ln", "drive", "dr", "court", "ct", "way", "place", "pl", "terrace",
                                     "parkway", "pkwy", "square", "sq", "close", "crescent", "highway", "hwy",
                                     "circle", "cir", "trail", "strasse", "straße", "gardens", "row", "alley",
                                     NULL};
static const char *const UNIT_WORDS[] = {"apt", "apartment", "suite", "ste", "unit", "flat", "floor", NULL};
static const char *const DIRS[] = {"n", "s", "e", "w", "ne", "nw", "se", "sw", NULL};

/* Reads a word of letters at j (lowercased into w); returns its end or j. */
static size_t word_at(const char *s, size_t len, size_t j, char *w, size_t cap) {
  size_t k = j;
  while (k < len && (isalpha_b(s[k]) || (unsigned char)s[k] >= 0x80) && k - j < cap - 1) k++;
  for (size_t q = j; q < k; q++) w[q - j] = (char)tolower((unsigned char)s[q]);
  w[k - j] = 0;
  return k;
}

static bool find_addresses(spanvec *sv, const char *s, size_t len) {
  char w[32];
  for (size_t i = 0; i < len; i++) {
    if (!isdigit_b(s[i]) || (i > 0 && (isalnum_b(s[i - 1]) || strchr("$#€£.,", s[i - 1])))) continue;
    size_t j = i;
    while (j < len && isdigit_b(s[j]) && j - i < 6) j++;
    if (j < len && isdigit_b(s[j])) {
      while (j < len && isdigit_b(s[j])) j++;
      i = j;
      continue;
    }
    if (j < len && isalpha_b(s[j]) && (j + 1 >= len || !isalpha_b(s[j + 1]))) j++; /* 221B */
    if (j >= len || s[j] != ' ') continue;
    size_t end = 0;
    size_t p = j;
    for (int words = 0; words < 5; words++) {
      while (p < len && s[p] == ' ') p++;
      if (p >= len || !isalpha_b(s[p])) break;
      size_t we = word_at(s, len, p, w, sizeof w);
      if (we == p || (we < len && isalnum_b(s[we]))) break;
      if (words > 0 && word_in(w, STREET)) {
        end = we;
        if (end < len && s[end] == '.') end++;
        break;
      }
      p = we;
    }
    if (!end) continue;
    /* optional direction, unit, and ", City, ST 12345" */
    size_t q = end;
    while (q < len && s[q] == ' ') q++;
    size_t we = word_at(s, len, q, w, sizeof w);
    if (we > q && word_in(w, DIRS) && (we >= len || !isalnum_b(s[we]))) end = we, q = we;
    size_t r = q;
    if (r < len && s[r] == ',') r++;
    while (r < len && s[r] == ' ') r++;
    we = word_at(s, len, r, w, sizeof w);
    if ((we > r && word_in(w, UNIT_WORDS)) || (r < len && s[r] == '#')) {
      size_t t = we > r ? we : r + 1;
      if (t < len && s[t] == '.') t++;
      while (t < len && s[t] == ' ') t++;
      size_t t0 = t;
      while (t < len && isalnum_b(s[t])) t++;
      if (t > t0) end = t;
    }
    /* city / state / zip */
    r = end;
    if (r + 2 < len && s[r] == ',' && s[r + 1] == ' ' && isupper((unsigned char)s[r + 2])) {
      size_t t = r + 2;
      for (int k = 0; k < 3 && t < len && isupper((unsigned char)s[t]); k++) {
        while (t < len && isalpha_b(s[t])) t++;
        if (t + 1 < len && s[t] == ' ' && isupper((unsigned char)s[t + 1]) && isalpha_b(s[t + 1]) &&
            (t + 2 >= len || islower((unsigned char)s[t + 2])))
          t++;
        else break;
      }
      if (t < len && s[t] == ',') t++;
      while (t < len && s[t] == ' ') t++;
      if (t + 1 < len && isupper((unsigned char)s[t]) && isupper((unsigned char)s[t + 1]) &&
          (t + 2 >= len || !isalpha_b(s[t + 2])))
        t += 2;
      while (t < len && s[t] == ' ') t++;
      size_t z = t;
      while (z < len && isdigit_b(s[z])) z++;
      if (z - t == 5) {
        if (z + 5 < len && s[z] == '-' && isdigit_b(s[z + 1])) {
          size_t z2 = z + 1;
          while (z2 < len && isdigit_b(s[z2])) z2++;
          if (z2 - z == 5) z = z2;
        }
        end = z;
      }
    }
    if (!covered(sv, i, end)) {
      if (!add_span(sv, i, end, G_PII_ADDRESS)) return false;
    }
    i = end;
  }
  return true;
}

static bool find_orders(spanvec *sv, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (i > 0 && isalnum_b(s[i - 1])) continue;
    size_t a = i, j = i;
    bool hash = s[j] == '#';
    if (hash) j++;
    size_t letters = 0, digits = 0, k = j;
    while (k < len && isalpha_b(s[k]) && letters < 3) k++, letters++;
    while (k < len && (isdigit_b(s[k]) || s[k] == '-')) {
      if (isdigit_b(s[k])) digits++;
      k++;
    }
    while (k > j && s[k - 1] == '-') k--;
    if (k < len && isalnum_b(s[k])) continue;
    bool is_order = false;
    if (digits >= 4 && hash) is_order = true;
    else if (digits >= 6 && letters == 1 && isupper((unsigned char)s[j])) is_order = true;
    else if (digits >= 4) {
      char w[24];
      size_t p = a;
      for (int n = 0; n < 3 && !is_order; n++) {
        size_t ws = prev_word(s, p, w, sizeof w);
        if (ws == (size_t)-1) break;
        if (!strcmp(w, "order") || !strcmp(w, "orders")) is_order = true;
        if (strcmp(w, "number") && strcmp(w, "no") && strcmp(w, "id") && strcmp(w, "order") && strcmp(w, "orders"))
          break;
        p = ws;
      }
    }
    if (is_order && !covered(sv, a, k)) {
      if (!add_span(sv, a, k, G_PII_ORDER)) return false;
      i = k;
    }
  }
  return true;
}

static int cmp_span(const void *a, const void *b) {
  const ecai__pii_span *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

ecai_status ecai__pii_find(ecai__pii_span **out, size_t *n, const char *s, size_t len) {
  spanvec sv = {0};
  bool ok = find_emails(&sv, s, len) && find_ibans(&sv, s, len) && find_cards(&sv, s, len) &&
            find_orders(&sv, s, len) && find_phones(&sv, s, len) && find_addresses(&sv, s, len);
  if (!ok) {
    ecai__free(sv.v);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  if (sv.n > 1) qsort(sv.v, sv.n, sizeof *sv.v, cmp_span);
  *out = sv.v;
  *n = sv.n;
  return ECAI_OK;
}

/* ---- the mapping ------------------------------------------------------------------ */

typedef struct {
  ecai__pii_type type;
  char *value;
  char *norm;
  char ph[32];
} pii_item;

struct ecai_guard_pii {
  pii_item *items;
  size_t n, cap;
  unsigned counters[G_PII_NTYPES];
  char **tags;
  size_t ntags, captags;
};

ecai_status ecai_guard_pii_new(ecai_guard_pii **out) {
  ECAI__CHECK_ARG(out);
  *out = ecai__calloc(1, sizeof **out);
  if (!*out) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  return ECAI_OK;
}

void ecai_guard_pii_free(ecai_guard_pii *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) {
    ecai__free(m->items[i].value);
    ecai__free(m->items[i].norm);
  }
  for (size_t i = 0; i < m->ntags; i++) ecai__free(m->tags[i]);
  ecai__free(m->items);
  ecai__free(m->tags);
  ecai__free(m);
}

size_t ecai_guard_pii_count(const ecai_guard_pii *m) { return m ? m->n : 0; }

static char *normalise_value(ecai__pii_type t, const char *s, size_t n) {
  char *o = ecai__malloc(n + 1);
  if (!o) return NULL;
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    switch (t) {
    case G_PII_PHONE: case G_PII_CARD:
      if (isdigit_b(c)) o[w++] = c;
      break;
    case G_PII_IBAN:
      if (isalnum_b(c)) o[w++] = (char)toupper((unsigned char)c);
      break;
    default:
      if (c == ' ' && w > 0 && o[w - 1] == ' ') break;
      o[w++] = (char)tolower((unsigned char)c);
    }
  }
  o[w] = 0;
  return o;
}

static ecai_status add_item(ecai_guard_pii *m, ecai__pii_type t, const char *v, size_t vn, const char *ph,
                            const char **out_ph) {
  char *norm = normalise_value(t, v, vn);
  if (!norm) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  for (size_t i = 0; i < m->n; i++)
    /* the same text gets the same placeholder (exact match, so that restore() gives back
     * exactly what was redacted) */
    if (m->items[i].type == t && strlen(m->items[i].value) == vn && !memcmp(m->items[i].value, v, vn)) {
      ecai__free(norm);
      if (out_ph) *out_ph = m->items[i].ph;
      return ECAI_OK;
    }
  if (m->n == m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 8;
    pii_item *ni = ecai__realloc(m->items, nc * sizeof *ni);
    if (!ni) {
      ecai__free(norm);
      return ecai__err(ECAI_ENOMEM, "guard: out of memory");
    }
    m->items = ni;
    m->cap = nc;
  }
  pii_item *it = &m->items[m->n];
  it->type = t;
  it->norm = norm;
  it->value = ecai__strndup(v, vn);
  if (!it->value) {
    ecai__free(norm);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  if (ph) {
    snprintf(it->ph, sizeof it->ph, "%s", ph);
    const char *us = strrchr(ph, '_');
    unsigned k = us ? (unsigned)strtoul(us + 1, NULL, 10) : 0;
    if (k > m->counters[t]) m->counters[t] = k;
  } else {
    snprintf(it->ph, sizeof it->ph, "[%s_%u]", TYPE_TAGS[t], ++m->counters[t]);
  }
  m->n++;
  if (out_ph) *out_ph = it->ph;
  return ECAI_OK;
}

static ecai_status add_tag(ecai_guard_pii *m, const char *v, size_t vn) {
  for (size_t i = 0; i < m->ntags; i++)
    if (strlen(m->tags[i]) == vn && !memcmp(m->tags[i], v, vn)) return ECAI_OK;
  if (m->ntags == m->captags) {
    size_t nc = m->captags ? m->captags * 2 : 4;
    char **nt = ecai__realloc(m->tags, nc * sizeof *nt);
    if (!nt) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
    m->tags = nt;
    m->captags = nc;
  }
  if (!(m->tags[m->ntags] = ecai__strndup(v, vn))) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  m->ntags++;
  return ECAI_OK;
}

/* Placeholder-shaped text already in the input ("[EMAIL_1]", any case) must not be
 * handed out again, or restore() would turn that literal text into the value too:
 * move each type's counter past the largest such number. */
static void skip_literal_placeholders(ecai_guard_pii *m, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '[') continue;
    for (int t = 0; t < G_PII_NTYPES; t++) {
      size_t tl = strlen(TYPE_TAGS[t]), j = i + 1 + tl;
      if (j >= len || s[j] != '_' || strncasecmp(s + i + 1, TYPE_TAGS[t], tl) != 0) continue;
      unsigned long long k = 0;
      size_t d = j + 1;
      while (d < len && isdigit_b(s[d]) && d - j <= 9) k = k * 10 + (unsigned)(s[d++] - '0');
      if (d > j + 1 && d < len && s[d] == ']' && k > m->counters[t]) m->counters[t] = (unsigned)k;
    }
  }
}

ecai_status ecai_guard_redact(char **out, size_t *out_len, ecai_guard_pii *m, const char *text, size_t len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(m);
  ECAI__CHECK_ARG(text);
  ecai__pii_span *sp = NULL;
  size_t ns = 0;
  ecai_status st = ecai__pii_find(&sp, &ns, text, len);
  if (st) return st;
  skip_literal_placeholders(m, text, len);
  ecai__buf b = {0};
  size_t pos = 0;
  for (size_t i = 0; i < ns && st == ECAI_OK; i++) {
    if (sp[i].start < pos) continue; /* never overlapping; defensive */
    if (sp[i].type == G_PII_ORDER) {
      st = add_tag(m, text + sp[i].start, sp[i].end - sp[i].start);
      continue;
    }
    const char *ph = NULL;
    st = add_item(m, sp[i].type, text + sp[i].start, sp[i].end - sp[i].start, NULL, &ph);
    if (st) break;
    ecai__buf_append(&b, text + pos, sp[i].start - pos);
    ecai__buf_puts(&b, ph);
    pos = sp[i].end;
  }
  ecai__free(sp);
  ecai__buf_append(&b, text + pos, len - pos);
  if (st == ECAI_OK && (b.oom || !b.data)) st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
  if (st) {
    ecai__buf_free(&b);
    return st;
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

ecai_status ecai_guard_restore(char **out, size_t *out_len, const ecai_guard_pii *m, const char *text,
                               size_t len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  if (out_len) *out_len = 0;
  ECAI__CHECK_ARG(m);
  ECAI__CHECK_ARG(text);
  ecai__buf b = {0};
  size_t pos = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] != '[') continue;
    size_t e = i + 1;
    while (e < len && e - i < 30 && text[e] != ']' && text[e] != '[') e++;
    if (e >= len || text[e] != ']') continue;
    size_t n = e + 1 - i;
    for (size_t k = 0; k < m->n; k++) {
      if (strlen(m->items[k].ph) == n && !strncasecmp(m->items[k].ph, text + i, n)) {
        ecai__buf_append(&b, text + pos, i - pos);
        ecai__buf_puts(&b, m->items[k].value);
        pos = e + 1;
        break;
      }
    }
    i = e;
  }
  ecai__buf_append(&b, text + pos, len - pos);
  if (b.oom || !b.data) {
    ecai__buf_free(&b);
    return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  *out = ecai__buf_take(&b, out_len);
  return ECAI_OK;
}

ecai_status ecai_guard_pii_json(char **out, size_t *out_len, const ecai_guard_pii *m) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(m);
  json_t *root = json_object(), *items = json_array(), *tags = json_array();
  bool ok = root && items && tags;
  for (size_t i = 0; ok && i < m->n; i++)
    ok = json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "placeholder", m->items[i].ph, "type",
                                                TYPE_NAMES[m->items[i].type], "value", m->items[i].value)) == 0;
  for (size_t i = 0; ok && i < m->ntags; i++)
    ok = json_array_append_new(tags, json_pack("{s:s,s:s}", "type", "order_id", "value", m->tags[i])) == 0;
  ecai_status st = ECAI_ENOMEM;
  if (ok) {
    json_object_set(root, "items", items);
    json_object_set(root, "tags", tags);
    st = ecai__json_dump(out, out_len, root);
  } else {
    ecai__err(ECAI_ENOMEM, "guard: out of memory");
  }
  json_decref(items);
  json_decref(tags);
  json_decref(root);
  return st;
}

ecai_status ecai_guard_pii_from_json(ecai_guard_pii **out, const char *js, size_t len) {
  ECAI__CHECK_ARG(out);
  *out = NULL;
  ECAI__CHECK_ARG(js);
  json_t *root = NULL;
  ecai_status st = ecai__json_parse(&root, js, len, "guard: PII mapping");
  if (st) return st;
  ecai_guard_pii *m = NULL;
  if ((st = ecai_guard_pii_new(&m))) goto done;
  json_t *items = json_object_get(root, "items"), *tags = json_object_get(root, "tags");
  if (!json_is_object(root) || (items && !json_is_array(items)) || (tags && !json_is_array(tags))) {
    st = ecai__err(ECAI_EPARSE, "guard: PII mapping: expected {\"items\":[...],\"tags\":[...]}");
    goto done;
  }
  size_t i;
  json_t *e;
  json_array_foreach(items, i, e) {
    const char *ph = json_string_value(json_object_get(e, "placeholder"));
    const char *ty = json_string_value(json_object_get(e, "type"));
    const char *va = json_string_value(json_object_get(e, "value"));
    int t = -1;
    for (int k = 0; ty && k < G_PII_ORDER; k++)
      if (!strcmp(ty, TYPE_NAMES[k])) t = k;
    if (!ph || !va || t < 0 || strlen(ph) >= 32 || ph[0] != '[' || ph[strlen(ph) - 1] != ']') {
      st = ecai__err(ECAI_EPARSE, "guard: PII mapping: item %zu needs placeholder, known type and value", i);
      goto done;
    }
    if ((st = add_item(m, (ecai__pii_type)t, va, strlen(va), ph, NULL))) goto done;
  }
  json_array_foreach(tags, i, e) {
    const char *va = json_string_value(json_object_get(e, "value"));
    if (!va) {
      st = ecai__err(ECAI_EPARSE, "guard: PII mapping: tag %zu needs a value", i);
      goto done;
    }
    if ((st = add_tag(m, va, strlen(va)))) goto done;
  }
done:
  json_decref(root);
  if (st) ecai_guard_pii_free(m);
  else *out = m;
  return st;
}
