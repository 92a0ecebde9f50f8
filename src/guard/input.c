/* Guard: input checks — injection / jailbreak, other customers' data, human request,
 * action required, frustration, length, PII presence. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard/guard_internal.h"

#define DATA_WORDS                                                                                  \
  "order*|address*|purchas*|bought|email*|phone*|detail*|info*|histor*|card*|data|name*|payment*|" \
  "record*|profile*|number*|account*|transaction*|invoice*|receipt*|package*|parcel*|deliver*|shipment*|status"
#define OTHERS "other|another|different|someone|somebody|anyone|anybody|everyone|everybody|random"
#define PEOPLE "customer*|user*|client*|people|person*|buyer*|shopper*|member*|account*|guest*"

const ecai__gpattern ecai__guard_patterns[] = {
    /* ---- prompt injection / jailbreak ---- */
    {"injection", "ignore|ignoring|disregard|forget|skip|override|bypass|drop|abandon|discard|neglect ~4 "
                  "previous|prior|above|earlier|preceding|all|any|your|system|initial|original|existing|"
                  "safety|these|those|the ~3 instruction*|rule*|prompt*|direction*|guideline*|polic*|"
                  "constraint*|restriction*|guardrail*|filter*|programming|command*|directive*"},
    {"injection", "ignore|disregard|forget|override|bypass ~2 everything|anything ~3 above|before|previous|prior|said|told"},
    {"injection", "reveal|show|print|display|repeat|output|tell|give|leak|dump|share|expose|recite|write|list|"
                  "what|whats|read|paste|send ~5 system|hidden|initial|secret|original|internal|developer|"
                  "confidential|underlying|pre ~2 prompt*|instruction*|message|rule*|configuration|guideline*|"
                  "directive*|setup"},
    {"injection", "system ~0 prompt|prompts"},
    {"injection", "systemprompt*"},
    {"injection", "your ~2 instructions|prompt|programming|directives|guidelines ~3 are|were|say|says|verbatim"},
    {"injection", "you|youre|u ~2 are|r ~1 now ~3 dan|unrestricted|unfiltered|jailbroken|evil|free|uncensored|"
                  "developer|admin|root|god|different|new|my"},
    {"injection", "do anything now"},
    {"injection", "dan ~2 mode|jailbreak|prompt|anything"},
    {"injection", "jailbreak*|jailbroken|jailbroke"},
    {"injection", "developer|god|admin|debug|sudo|unrestricted|dan|maintenance|root|evil|unfiltered ~0 mode"},
    {"injection", "act|acting ~0 as ~0 a|an|my|the|if|though|dan|root|admin*|system|developer"},
    {"injection", "pretend|pretending ~2 you|to|that|youre|u"},
    {"injection", "role ~0 play|playing|plays|roleplay|roleplaying|impersonate|impersonating"},
    {"injection", "from ~0 now ~0 on ~4 you|your|respond|answer|reply|act|behave|always|only|ignore|forget"},
    {"injection", "new|updated|revised|real|actual|secret ~1 instruction*|directive*|system"},
    {"injection", "respond|answer|reply|act|talk|speak|operate|behave|work ~4 no|without ~2 restriction*|rule*|"
                  "limit*|filter*|guideline*|censor*|boundar*|guardrail*|polic*|ethic*"},
    {"injection", "unfiltered|uncensored|unrestricted|unlimited|unbound ~2 mode|ai|assistant|response*|answer*|"
                  "version|chatbot|bot|model"},
    {"injection", "pretend|imagine|hypothetical*|story|fiction*|fictional|roleplay|game|novel|movie|dream|"
                  "scenario|universe|world ~8 no|without|ignore|bypass|unrestricted|break|broke|free ~3 rule*|"
                  "restriction*|filter*|limit*|polic*|guideline*|constraint*|law*|ethic*"},
    {"injection", "grandma|grandmother|granny ~8 used ~0 to"},
    {"injection", "rule*|restriction*|polic*|law*|guideline*|limit* ~2 dont|doesnt|didnt|wont ~1 exist|apply|matter|count"},
    {"injection", "rule*|restriction*|polic*|law*|guideline*|limit* ~2 do|does|no ~0 not|longer ~1 exist|apply|matter|count"},
    {"injection", "system|admin|administrator|developer|root|sudo|operator ~0 override|command|access|message|"
                  "note|instruction*|privilege*|update|mode"},
    {"injection", "repeat|print|output|copy|echo|recite|reproduce ~6 above|verbatim|preceding|earlier"},
    {"injection", "word ~0 for ~0 word"},
    {"injection", "disable|deactivate|lift|circumvent|evade|remove|bypass|break ~3 safety|filter*|guardrail*|"
                  "restriction*|moderation|censor*|safeguard*|protection*"},
    {"injection", "turn|switch ~0 off ~3 safety|filter*|guardrail*|restriction*|moderation|censor*|safeguard*|rule*"},
    {"injection", "obey|comply ~3 me|my|command*|instruction*|orders"},
    {"injection", "legally ~0 binding"},
    {"injection", "no ~0 takesies"},
    {"injection", "end ~0 of ~0 prompt|instructions|system"},
    {"injection", "previous ~0 instructions|prompt|rules ~0 are|were ~0 wrong|void|cancelled|canceled|obsolete|outdated"},
    {"injection", "base64|rot13|hex ~4 decode*|decoding|encoded|instruction*|follow|execute"},
    /* ---- other customers' data ---- */
    {"other_customer_data", OTHERS " ~2 " PEOPLE " ~6 " DATA_WORDS "|buy|bought|ordered|purchased|live*"},
    {"other_customer_data", DATA_WORDS " ~3 of|for|from|belonging|to|by|under|about ~3 " OTHERS " ~2 " PEOPLE "|else|elses"},
    {"other_customer_data", "someone|somebody|anybody|anyone ~0 elses ~2 " DATA_WORDS},
    {"other_customer_data", "what|which ~3 did|has|have|does|do ~2 customer*|user*|client*|member*|he|she|they|"
                            "neighbor*|neighbour*|people|others|person ~4 buy|bought|order*|purchas*|spend|spent|pay|paid"},
    {"other_customer_data", "who ~1 bought|ordered|purchased|buys ~8 name*|email*|address*|phone*|contact*|details|info*|number*"},
    {"other_customer_data", "name*|email*|address*|phone*|contact*|number*|details ~6 person|customer|buyer|guy|lady|"
                            "man|woman|someone|people ~2 who ~1 bought|ordered|purchased"},
    {"other_customer_data", "show|list|give|tell|find|look|get|pull|fetch|see|check|display|view|access|share|send ~5 "
                            DATA_WORDS " ~3 of|for|from|belonging|under ~1 customer*|user*|client*|member*|mr|mrs|ms|miss"},
    {"other_customer_data", "customer*|user*|client*|person|someone|somebody|guy|lady|account ~1 named|called"},
    {"other_customer_data", "list|export|dump|download|show ~3 all|every ~2 customer*|user*|client*|order*|account*|email*"},
    {"other_customer_data", "what|whats|show|give|tell|check|see|find|look|access|send|share|change|cancel ~2 his|her|their ~1 " DATA_WORDS},
    {"other_customer_data", "my ~0 neighbor*|neighbour*|wife*|husband*|friend*|boss*|ex|brother*|sister*|mother*|"
                            "father*|mom*|dad*|colleague*|coworker*|roommate*|partner* ~3 " DATA_WORDS},
    /* ---- human requested ---- */
    {"human_requested", "talk|speak|chat|connect|transfer|put|escalate|forward|redirect|pass|switch|hand ~4 human|"
                        "humans|person|agent|representative|rep|operator|manager|supervisor|somebody|staff|"
                        "employee|associate|advisor|adviser|specialist|people|humanbeing|someone"},
    {"human_requested", "get|give|want|need|request*|call|reach ~3 human|humans|person|agent|representative|rep|"
                        "operator|manager|supervisor|staff|employee|associate|advisor|adviser|specialist|humanbeing"},
    {"human_requested", "real|live|actual|human ~1 person|human|agent|people|representative|operator|someone|"
                        "somebody|support|being"},
    {"human_requested", "human ~2 please|agent|being|operator|representative|now|pls|plz"},
    {"human_requested", "customer ~0 service|support|care ~0 agent|agents|representative|rep|person|human|staff"},
    {"human_requested", "team ~0 member|leader|lead"},
    {"human_requested", "transfer ~2 me"},
    {"human_requested", "escalate|escalation"},
    {"human_requested", "call ~0 me"},
    {"human_requested", "your ~0 supervisor|manager|boss"},
    {"human_requested", "not ~2 a|an ~0 bot|robot|machine|ai"},
    /* ---- action required (candidates; see input.c for imperative vs how-to) ---- */
    {"action_required", "cancel*|refund*|return|exchange*|replace|change|modify|update|edit|switch|delete|remove|"
                        "reset|reverse|redirect|reroute|expedite|reship|resend|void|stop|credit|compensate|"
                        "reimburse|close|deactivate|unsubscribe|upgrade|downgrade|apply|waive ~4 order*|"
                        "address*|payment*|card|item*|purchase*|shipment*|delivery|package|parcel|subscription|"
                        "account|password|email|it|this|that|me|money|charge*|fee|shipping|w|discount|coupon"},
    {"action_required", "give|send|get|want|need|issue|provide ~3 me|a|an|my ~3 discount*|coupon*|voucher*|promo*|"
                        "refund*|credit*|compensation|gift|freebie|code"},
    {"action_required", "double|twice ~0 charged|charge|billed|billing"},
    {"action_required", "charged|billed ~2 twice|double|two|wrong|incorrect|too|extra|again"},
    {"action_required", "overcharged|overbilled|chargeback|chargebacks"},
    {"action_required", "unauthorized|unauthorised|fraudulent|unknown|unrecognized|unrecognised ~1 charge*|"
                        "transaction*|payment*|purchase*"},
    /* ---- frustration ---- */
    {"frustration", "stupid|useless|idiot*|ridiculous|pathetic|incompetent|disgusting|furious|livid|outraged|"
                    "scam*|ripoff|garbage|trash|crap|crappy|damn|wtf|fuck*|shit*|bullshit|lawyer*|"
                    "sue|suing|bbb|unacceptable|horrible|terrible|awful|worst|hopeless|joke|infuriating|"
                    "disgrace*|shameful|rubbish|nonsense|angry|annoyed|frustrated|frustrating|fed|sick"},
    {"frustration", "asked|told|called|written|wrote|emailed|contacted|tried|explained|said ~4 times|already|"
                    "twice|before|again"},
    {"frustration", "again ~0 and ~0 again"},
    {"frustration", "how ~0 many ~0 times"},
    {"frustration", "second|third|fourth|fifth|3rd|4th|5th|last|umpteenth|nth ~0 time"},
    {"frustration", "still ~3 no|not|nothing|waiting|havent|hasnt|didnt|dont|doesnt|broken"},
    {"frustration", "rip ~0 off"},
    {"frustration", "waste ~1 of ~2 time"},
};
const size_t ecai__guard_npatterns = sizeof ecai__guard_patterns / sizeof ecai__guard_patterns[0];

/* ---- compiled patterns ------------------------------------------------------------ */

typedef struct {
  uint64_t *exact; /* sorted */
  size_t n_exact;
  char **prefix;
  size_t n_prefix;
  int gap; /* tokens allowed before the NEXT element */
} gelem;

struct ecai__gcpat {
  const char *category;
  gelem *el;
  size_t n;
};

static uint64_t h64(const char *s, size_t n) { return XXH3_64bits(s, n); }

static void free_pat(ecai__gcpat *p) {
  for (size_t i = 0; i < p->n; i++) {
    ecai__free(p->el[i].exact);
    for (size_t k = 0; k < p->el[i].n_prefix; k++) ecai__free(p->el[i].prefix[k]);
    ecai__free(p->el[i].prefix);
  }
  ecai__free(p->el);
}

void ecai__guard_patterns_free(ecai__gcpat *p, size_t n) {
  if (!p) return;
  for (size_t i = 0; i < n; i++) free_pat(&p[i]);
  ecai__free(p);
}

static ecai_status compile_one(ecai__gcpat *cp, const char *cat, const char *pat) {
  memset(cp, 0, sizeof *cp);
  cp->category = cat;
  size_t cap = 0;
  const char *s = pat;
  while (*s) {
    while (*s == ' ') s++;
    if (!*s) break;
    const char *e = s;
    while (*e && *e != ' ') e++;
    if (*s == '~') {
      if (cp->n) cp->el[cp->n - 1].gap = atoi(s + 1);
      s = e;
      continue;
    }
    if (cp->n == cap) {
      size_t nc = cap ? cap * 2 : 4;
      gelem *ne = ecai__realloc(cp->el, nc * sizeof *ne);
      if (!ne) return ECAI_ENOMEM;
      cp->el = ne;
      cap = nc;
    }
    gelem *g = &cp->el[cp->n++];
    memset(g, 0, sizeof *g);
    size_t nalt = 1;
    for (const char *q = s; q < e; q++)
      if (*q == '|') nalt++;
    g->exact = ecai__calloc(nalt, sizeof *g->exact);
    g->prefix = ecai__calloc(nalt, sizeof *g->prefix);
    if (!g->exact || !g->prefix) return ECAI_ENOMEM;
    const char *a = s;
    while (a < e) {
      const char *b = a;
      while (b < e && *b != '|') b++;
      if (b > a) {
        if (b[-1] == '*') {
          if (!(g->prefix[g->n_prefix++] = ecai__strndup(a, (size_t)(b - a - 1)))) return ECAI_ENOMEM;
        } else {
          g->exact[g->n_exact++] = h64(a, (size_t)(b - a));
        }
      }
      a = b + 1;
    }
    ecai__u64vec tmp = {g->exact, g->n_exact, nalt};
    ecai__u64vec_sort_unique(&tmp);
    g->n_exact = tmp.n;
    s = e;
  }
  return ECAI_OK;
}

ecai_status ecai__guard_patterns_compile(ecai__gcpat **out, size_t *n) {
  ecai__gcpat *p = ecai__calloc(ecai__guard_npatterns, sizeof *p);
  if (!p) return ecai__err(ECAI_ENOMEM, "guard: out of memory");
  for (size_t i = 0; i < ecai__guard_npatterns; i++) {
    if (compile_one(&p[i], ecai__guard_patterns[i].category, ecai__guard_patterns[i].pattern)) {
      ecai__guard_patterns_free(p, i + 1);
      return ecai__err(ECAI_ENOMEM, "guard: out of memory");
    }
  }
  *out = p;
  *n = ecai__guard_npatterns;
  return ECAI_OK;
}

static bool elem_match(const gelem *g, const char *tok, uint64_t th) {
  if (g->n_exact && ecai__u64_sorted_has(g->exact, g->n_exact, th)) return true;
  for (size_t k = 0; k < g->n_prefix; k++) {
    size_t pl = strlen(g->prefix[k]);
    if (!strncmp(tok, g->prefix[k], pl)) return true;
  }
  return false;
}

static bool match_from(const ecai__gcpat *p, size_t e, size_t j, char *const *tok, const uint64_t *th, size_t n) {
  /* element e must match at some position in [j, j + gap of e-1] */
  if (e == p->n) return true;
  size_t lim = e == 0 ? j : j + (size_t)p->el[e - 1].gap;
  for (size_t k = j; k <= lim && k < n; k++)
    if (elem_match(&p->el[e], tok[k], th[k]) && match_from(p, e + 1, k + 1, tok, th, n)) return true;
  return false;
}

/* Index of the first token where the pattern matches, or -1. */
static long pattern_find(const ecai__gcpat *p, char *const *tok, const uint64_t *th, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (match_from(p, 0, i, tok, th, n)) return (long)i;
  return -1;
}

/* ---- helpers -------------------------------------------------------------------------- */

static bool tok_is(const char *t, const char *const *list) {
  for (; *list; list++)
    if (!strcmp(t, *list)) return true;
  return false;
}

static const char *const STOP[] = {"the", "a", "an", "and", "or", "to", "of", "in", "on", "for", "is", "are", "was",
                                   "it", "i", "me", "my", "you", "your", "we", "our", "do", "does", "did", "can",
                                   "could", "would", "will", "be", "this", "that", "with", "at", "from", "by", "as",
                                   "what", "how", "when", "where", "why", "please", "hi", "hello", "there", "have",
                                   "has", "im", "ive", "get", "so", "just", "any", "if", "about", "still", "wheres",
                                   "whats", "hows", "whens", "is", "yet", "again", NULL};

/* Sorted unique hashes of the content tokens (len >= 2, not stop words). */
static ecai_status content_set(ecai__u64vec *out, char *const *tok, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (strlen(tok[i]) < 2 || tok_is(tok[i], STOP)) continue;
    if (!ecai__u64vec_push(out, h64(tok[i], strlen(tok[i])))) return ECAI_ENOMEM;
  }
  ecai__u64vec_sort_unique(out);
  return ECAI_OK;
}

static double jaccard(const ecai__u64vec *a, const ecai__u64vec *b) {
  if (!a->n || !b->n) return 0;
  size_t i = 0, j = 0, inter = 0;
  while (i < a->n && j < b->n) {
    if (a->v[i] < b->v[j]) i++;
    else if (a->v[i] > b->v[j]) j++;
    else inter++, i++, j++;
  }
  return (double)inter / (double)(a->n + b->n - inter);
}

static size_t utf8_count(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
  return n;
}

/* Raw-text markers of chat templates and prompt delimiters. */
static const char *const MARKERS[] = {"<|im_start|>", "<|im_end|>", "<|system|>", "<|assistant|>", "<|user|>",
                                      "[inst]", "[/inst]", "<<sys>>", "### system", "### instruction",
                                      "###instruction", "<system>", "</system>", "[system]", "{{system",
                                      "<|endoftext|>", NULL};

static const char *find_marker(const char *s, size_t len) {
  for (const char *const *m = MARKERS; *m; m++) {
    size_t ml = strlen(*m);
    for (size_t i = 0; i + ml <= len; i++) {
      size_t k = 0;
      while (k < ml && tolower((unsigned char)s[i + k]) == (*m)[k]) k++;
      if (k == ml) return *m;
    }
  }
  /* a line starting with "system:" */
  for (size_t i = 0; i + 7 <= len; i++)
    if ((i == 0 || s[i - 1] == '\n') && !strncasecmp(s + i, "system:", 7)) return "system:";
  return NULL;
}

/* Key phrases written without spaces or with spaced letters ("IgnorePreviousInstructions",
 * "i g n o r e  p r e v i o u s ..."): searched in the letters of the normalised text. */
static const char *const GLUED[] = {"ignorepreviousinstructions", "ignoreallpreviousinstructions",
                                    "ignoreallinstructions", "ignoreyourinstructions", "ignorepriorinstructions",
                                    "disregardpreviousinstructions", "disregardallpreviousinstructions",
                                    "forgetpreviousinstructions", "forgetallpreviousinstructions",
                                    "forgetyourinstructions", "ignoretheabove", "revealyoursystemprompt",
                                    "developermode", "doanythingnow", "jailbreak", NULL};

static const char *find_glued(char *const *tok, size_t n) {
  char buf[2048];
  size_t w = 0;
  for (size_t i = 0; i < n && w < sizeof buf - 1; i++)
    for (const char *p = tok[i]; *p && w < sizeof buf - 1; p++)
      if (*p >= 'a' && *p <= 'z') buf[w++] = *p;
  buf[w] = 0;
  for (const char *const *q = GLUED; *q; q++)
    if (strstr(buf, *q)) return *q;
  return NULL;
}

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '/' || c == '-' || c == '_') return c == '+' || c == '-' ? 62 : 63;
  return -1;
}

/* Decodes base64 runs of >= 16 characters whose decoding is printable ASCII and
 * appends them to b (space-separated). */
static void decode_b64_runs(ecai__buf *b, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    size_t j = i;
    bool has_digit_or_upper = false, has_lower = false;
    while (j < len && (b64val(s[j]) >= 0)) {
      if (isupper((unsigned char)s[j]) || isdigit((unsigned char)s[j])) has_digit_or_upper = true;
      if (islower((unsigned char)s[j])) has_lower = true;
      j++;
    }
    size_t e = j;
    while (e < len && s[e] == '=' && e - j < 2) e++;
    if (j - i >= 16 && has_digit_or_upper && has_lower) {
      char tmp[1024];
      size_t w = 0, printable = 0;
      unsigned acc = 0;
      int bits = 0;
      for (size_t k = i; k < j && w < sizeof tmp - 1; k++) {
        acc = (acc << 6) | (unsigned)b64val(s[k]);
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          char c = (char)((acc >> bits) & 0xFF);
          tmp[w++] = c;
          if ((c >= 32 && c < 127) || c == '\n') printable++;
        }
      }
      if (w >= 8 && printable * 10 >= w * 9) {
        ecai__buf_puts(b, " ");
        ecai__buf_append(b, tmp, w);
      }
    }
    i = e;
  }
}

static const char *const ACTION_FIRST[] = {"cancel", "refund", "return", "exchange", "replace", "change", "modify",
                                           "update", "edit", "switch", "delete", "remove", "reset", "reverse",
                                           "redirect", "reroute", "expedite", "reship", "resend", "void", "stop",
                                           "credit", "give", "send", "issue", "close", "deactivate", "apply",
                                           "waive", "unsubscribe", NULL};
static const char *const HOWTO[] = {"how", "policy", "possible", "allowed", "eligible", "able", "can", "may",
                                    "should", "when", "what", "whats", "if", "is", "are", "does", "do", NULL};

/* Imperative / request markers: an order id, "for me", "(can|could|would|will) you",
 * "please", "i want|need you", "immediately|asap|right now", the message opening with
 * an action verb. How-to questions ("how can I cancel", "can I return") lack them. */
static bool imperative(char *const *tok, size_t n, bool has_order) {
  if (has_order) return true;
  static const char *const SPECIFIC[] = {"my", "our", "this", "that", "it", "the", "me", "both", "all", NULL};
  /* opening with an action verb on a specific object ("cancel my order"), not a topic
   * query ("return a sale item") */
  if (n > 1 && tok_is(tok[0], ACTION_FIRST) && tok_is(tok[1], SPECIFIC)) return true;
  for (size_t i = 0; i + 1 < n; i++) {
    if (!strcmp(tok[i], "for") && !strcmp(tok[i + 1], "me")) return true;
    if ((!strcmp(tok[i], "can") || !strcmp(tok[i], "could") || !strcmp(tok[i], "would") ||
         !strcmp(tok[i], "will")) && !strcmp(tok[i + 1], "you"))
      return true;
    if ((!strcmp(tok[i], "want") || !strcmp(tok[i], "need")) && !strcmp(tok[i + 1], "you")) return true;
    if (!strcmp(tok[i], "right") && !strcmp(tok[i + 1], "now")) return true;
  }
  for (size_t i = 0; i < n; i++) {
    if (!strcmp(tok[i], "immediately") || !strcmp(tok[i], "asap")) return true;
    if (!strcmp(tok[i], "please") && i + 1 < n && tok_is(tok[i + 1], ACTION_FIRST)) return true;
    if (!strcmp(tok[i], "i") && i + 1 < n && tok_is(tok[i + 1], ACTION_FIRST) && i + 1 < n) return true;
  }
  return false;
}

static bool howto(char *const *tok, size_t n) {
  /* "can I / may we ..." asks how; "can you ..." asks for the action */
  if (n > 1 && (!strcmp(tok[0], "can") || !strcmp(tok[0], "could") || !strcmp(tok[0], "may")))
    return !strcmp(tok[1], "i") || !strcmp(tok[1], "we");
  if (n && tok_is(tok[0], HOWTO)) return true;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(tok[i], "how") || !strcmp(tok[i], "policy") || !strcmp(tok[i], "possible") ||
        !strcmp(tok[i], "eligible") || !strcmp(tok[i], "allowed"))
      return true;
  return false;
}

/* Does an e-mail in the text look like somebody else's ("orders of john@x.com")? */
static bool email_of_other(const char *s, size_t len, const ecai__pii_span *sp, size_t ns) {
  static const char *const PREP[] = {"of", "for", "from", "under", "belonging", "linked", "associated", "by",
                                     "whose", "about", "owner", NULL};
  static const char *const FIRST[] = {"my", "i", "me", "mine", "im", "is", "am", "its", NULL};
  for (size_t k = 0; k < ns; k++) {
    if (sp[k].type != G_PII_EMAIL) continue;
    /* up to 4 words before the address */
    char words[4][24];
    int nw = 0;
    size_t p = sp[k].start;
    while (nw < 4 && p > 0) {
      while (p > 0 && !isalnum((unsigned char)s[p - 1])) p--;
      size_t e = p;
      while (p > 0 && isalnum((unsigned char)s[p - 1])) p--;
      size_t wl = e - p;
      if (!wl) break;
      if (wl > 23) wl = 23;
      for (size_t q = 0; q < wl; q++) words[nw][q] = (char)tolower((unsigned char)s[p + q]);
      words[nw][wl] = 0;
      nw++;
    }
    bool prep = false, first = false;
    for (int w = 0; w < nw; w++) {
      if (tok_is(words[w], PREP) && !prep) prep = true;
      if (tok_is(words[w], FIRST) && !prep) first = true;
    }
    if (prep && !first) return true;
  }
  (void)len;
  return false;
}

/* ---- the input check ------------------------------------------------------------------- */

ecai_status ecai__guard_input(ecai_guard_verdict *v, ecai_guard *g, const char *text, size_t len,
                              const char *history, size_t history_len) {
  ecai_status st = ECAI_OK;
  json_t *hist = NULL;
  ecai__gtoks nt = {0}, extra = {0};
  ecai__pii_span *sp = NULL;
  size_t ns = 0;
  uint64_t *th = NULL;
  char **all = NULL;
  ecai__buf dec = {0};
  ecai__u64vec cur = {0}, prev = {0};

  if (history && history_len) {
    if ((st = ecai__json_parse(&hist, history, history_len, "guard: history"))) return st;
    if (!json_is_array(hist)) {
      json_decref(hist);
      return ecai__err(ECAI_EPARSE, "guard: history must be a JSON array of strings or {role, content} objects");
    }
  }
  /* length */
  size_t cps = utf8_count(text, len);
  char detail[160];
  snprintf(detail, sizeof detail, "%zu characters (limit %lld)", cps, (long long)g->max_input);
  bool too_long = (int64_t)cps > g->max_input;
  if ((st = ecai__verdict_add(v, "length", !too_long, too_long ? 1.0 : 0.0, too_long ? "too_long" : NULL, "block",
                              detail)))
    goto done;
  /* normalise (only the first 4 * limit bytes: longer input is blocked anyway) */
  size_t scan = len;
  if (too_long && scan > (size_t)g->max_input * 4) scan = (size_t)g->max_input * 4;
  if ((st = ecai__guard_normalise(&nt, text, scan))) goto done;
  decode_b64_runs(&dec, text, scan);
  if (dec.oom) {
    st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
    goto done;
  }
  if (dec.len && (st = ecai__guard_normalise(&extra, dec.data, dec.len))) goto done;
  size_t n = nt.n + extra.n;
  th = ecai__malloc((n + 1) * sizeof *th);
  all = ecai__malloc((n + 1) * sizeof *all);
  if (!th || !all) {
    st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
    goto done;
  }
  for (size_t i = 0; i < nt.n; i++) all[i] = nt.tok[i];
  for (size_t i = 0; i < extra.n; i++) all[nt.n + i] = extra.tok[i];
  for (size_t i = 0; i < n; i++) th[i] = h64(all[i], strlen(all[i]));

  /* PII (also needed by other checks) */
  if ((st = ecai__pii_find(&sp, &ns, text, scan))) goto done;
  bool has_order = false;
  char pii_detail[160] = "";
  size_t npii = 0;
  unsigned seen = 0;
  for (size_t k = 0; k < ns; k++) {
    if (sp[k].type == G_PII_ORDER) {
      has_order = true;
      continue;
    }
    npii++;
    if (!(seen & (1u << sp[k].type))) {
      seen |= 1u << sp[k].type;
      size_t dl = strlen(pii_detail);
      snprintf(pii_detail + dl, sizeof pii_detail - dl, "%s%s", dl ? "," : "", ecai__pii_type_name(sp[k].type));
    }
  }

  /* pattern categories: first match of each */
  const char *cats[] = {"injection", "other_customer_data", "human_requested", "action_required", "frustration"};
  long hit[5] = {-1, -1, -1, -1, -1};
  const char *hitpat[5] = {0};
  int nhits[5] = {0};
  for (size_t p = 0; p < g->n_pats; p++) {
    int c = 0;
    while (c < 5 && strcmp(cats[c], g->pats[p].category)) c++;
    if (c == 5) continue;
    if (c != 4 && hit[c] >= 0) continue;
    long at = pattern_find(&g->pats[p], all, th, n);
    if (at >= 0) {
      if (hit[c] < 0) {
        hit[c] = at;
        hitpat[c] = ecai__guard_patterns[p].pattern;
      }
      nhits[c]++;
    }
  }
  /* injection: template markers in the raw text as well */
  const char *marker = find_marker(text, scan);
  if (!marker) marker = find_glued(all, n);
  bool inj = hit[0] >= 0 || marker;
  if (inj) snprintf(detail, sizeof detail, "matched %s", marker ? marker : "");
  if (inj && !marker) {
    size_t dl = strlen(detail);
    snprintf(detail + dl, sizeof detail - dl, "\"%.60s\" at word %ld", hitpat[0], hit[0]);
  }
  if ((st = ecai__verdict_add(v, "injection", !inj, inj ? 1.0 : 0.0, inj ? "injection" : NULL, "block",
                              inj ? detail : "")))
    goto done;
  /* other customers' data */
  bool other = hit[1] >= 0 || email_of_other(text, scan, sp, ns);
  snprintf(detail, sizeof detail, "%s", hit[1] >= 0 ? "request names another customer" :
                                        other ? "an e-mail address that is not the customer's own" : "");
  if ((st = ecai__verdict_add(v, "other_customer_data", !other, other ? 1.0 : 0.0,
                              other ? "other_customer_data" : NULL, "block", detail)))
    goto done;
  /* human */
  bool human = hit[2] >= 0;
  if ((st = ecai__verdict_add(v, "human_requested", !human, human ? 1.0 : 0.0, human ? "human_requested" : NULL,
                              "escalate", human ? "the customer asks for a person" : "")))
    goto done;
  /* action required: an action on an order/account, asked for (not a how-to question) */
  bool billing = false;
  if (hit[3] >= 0) {
    /* the billing patterns (double charge, unauthorised) fire on their own */
    for (size_t p = 0; p < g->n_pats; p++) {
      if (strcmp(g->pats[p].category, "action_required") || !strstr(ecai__guard_patterns[p].pattern, "charge"))
        continue;
      if (strstr(ecai__guard_patterns[p].pattern, "cancel*")) continue;
      if (pattern_find(&g->pats[p], all, th, n) >= 0) billing = true;
    }
  }
  bool action = hit[3] >= 0 && (billing || (imperative(nt.tok, nt.n, has_order) && !(howto(nt.tok, nt.n) && !has_order)));
  if ((st = ecai__verdict_add(v, "action_required", !action, action ? 1.0 : 0.0, action ? "action_required" : NULL,
                              "escalate", action ? (billing ? "billing dispute" : "asks for an account or order action")
                                                 : "")))
    goto done;
  /* frustration: angry wording, repetition, shouting, a repeated question */
  double fr = 0;
  if (hit[4] >= 0) fr += 1.0 * nhits[4];
  size_t upper = 0, letters = 0, bangs = 0;
  for (size_t i = 0; i < scan; i++) {
    if (isalpha((unsigned char)text[i])) {
      letters++;
      if (isupper((unsigned char)text[i])) upper++;
    }
    if (text[i] == '!' || text[i] == '?') bangs++;
  }
  if (letters >= 12 && upper * 10 >= letters * 7) fr += 0.5;
  if (bangs >= 3) fr += 0.5;
  double best_rep = 0;
  int nrep = 0;
  if (hist) {
    if ((st = content_set(&cur, nt.tok, nt.n))) goto oom;
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e) {
      const char *s = NULL;
      if (json_is_string(e)) s = json_string_value(e);
      else if (json_is_object(e)) {
        const char *role = json_string_value(json_object_get(e, "role"));
        if (role && strcmp(role, "user")) continue;
        s = json_string_value(json_object_get(e, "content"));
      }
      if (!s) continue;
      ecai__gtoks ht;
      if ((st = ecai__guard_normalise(&ht, s, strlen(s)))) goto done;
      prev.n = 0;
      st = content_set(&prev, ht.tok, ht.n);
      ecai__gtoks_free(&ht);
      if (st) goto oom;
      double jv = jaccard(&cur, &prev);
      if (jv > best_rep) best_rep = jv;
      if (jv >= g->repeat_sim) nrep++;
    }
    /* the same question again (twice when it has a single content word) */
    if ((cur.n >= 2 && nrep >= 1) || (cur.n >= 1 && nrep >= 2)) fr += 1.0;
  }
  bool frus = fr >= 1.0;
  snprintf(detail, sizeof detail, "signals %.1f (angry/repeat wording %d, repeated question %.2f)", fr, nhits[4],
           best_rep);
  if ((st = ecai__verdict_add(v, "frustration", !frus, fr > 3 ? 1.0 : fr / 3.0, frus ? "frustration" : NULL,
                              "escalate", detail)))
    goto done;
  /* PII present: informational (redact before sending anywhere) */
  if ((st = ecai__verdict_add(v, "pii", npii == 0, npii ? 1.0 : 0.0, npii ? "pii" : NULL, "info", pii_detail)))
    goto done;
  goto done;
oom:
  st = ecai__err(ECAI_ENOMEM, "guard: out of memory");
done:
  json_decref(hist);
  ecai__gtoks_free(&nt);
  ecai__gtoks_free(&extra);
  ecai__free(sp);
  ecai__free(th);
  ecai__free(all);
  ecai__buf_free(&dec);
  ecai__u64vec_free(&cur);
  ecai__u64vec_free(&prev);
  return st;
}

bool ecai__guard_pattern_hit(const ecai__gcpat *p, size_t i, char *const *tok, const uint64_t *th, size_t n) {
  return pattern_find(&p[i], tok, th, n) >= 0;
}
