#include <ctype.h>
#include "wordstat.h"

/* FNV-1a over the lower-cased word. */
unsigned long hash_word(const char *w, size_t n) {
  unsigned long h = 2166136261UL;
  for (size_t i = 0; i < n; i++) { h ^= (unsigned char)tolower((unsigned char)w[i]); h *= 16777619UL; }
  return h;
}
