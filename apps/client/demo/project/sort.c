#include <stdlib.h>
#include <string.h>
#include "wordstat.h"

static int by_count(const void *a, const void *b) {
  const struct entry *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

void sort_entries(struct entry *e, size_t n) { qsort(e, n, sizeof *e, by_count); }
