#include <stdio.h>
#include <string.h>
#include "wordstat.h"

void report(const struct table *t, size_t top) {
  struct entry copy[512];
  size_t n = t->len < 512 ? t->len : 512;
  for (size_t i = 0; i < n; i++) copy[i] = t->items[i];
  sort_entries(copy, n);
  for (size_t i = 0; i < n && i < top; i++)
    printf("  %-10s %u (hash %08lx)\n", copy[i].word, copy[i].count, hash_word(copy[i].word, strlen(copy[i].word)));
}
