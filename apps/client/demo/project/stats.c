#include <string.h>
#include "wordstat.h"

double mean_length(const struct table *t) {
  double total = 0, words = 0;
  for (size_t i = 0; i < t->len; i++) {
    total += (double)strlen(t->items[i].word) * t->items[i].count;
    words += t->items[i].count;
  }
  return words > 0 ? total / words : 0;
}
