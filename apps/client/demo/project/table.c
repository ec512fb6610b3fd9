#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "wordstat.h"

static char *lower_copy(const char *w, size_t n) {
  char *s = malloc(n + 1);
  for (size_t i = 0; i < n; i++) s[i] = (char)tolower((unsigned char)w[i]);
  s[n] = 0;
  return s;
}

void table_add(struct table *t, const char *w, size_t n) {
  char *word = lower_copy(w, n);
  for (size_t i = 0; i < t->len; i++)
    if (strcmp(t->items[i].word, word) == 0) { t->items[i].count++; free(word); return; }
  if (t->len == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 16;
    t->items = realloc(t->items, t->cap * sizeof *t->items);
  }
  t->items[t->len++] = (struct entry){word, 1};
}

void table_free(struct table *t) {
  for (size_t i = 0; i < t->len; i++) free((char *)t->items[i].word);
  free(t->items);
}
