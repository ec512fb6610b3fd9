#include <ctype.h>
#include "wordstat.h"

size_t split_words(const char *text, const char **starts, size_t *lens, size_t max) {
  size_t n = 0;
  const char *p = text;
  while (*p && n < max) {
    while (*p && !isalpha((unsigned char)*p)) p++;
    const char *s = p;
    while (*p && isalpha((unsigned char)*p)) p++;
    if (p > s) { starts[n] = s; lens[n] = (size_t)(p - s); n++; }
  }
  return n;
}
