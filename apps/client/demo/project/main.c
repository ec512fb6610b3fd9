#include <stdio.h>
#include "wordstat.h"

int main(void) {
  const char *starts[512];
  size_t lens[512];
  struct table t = {0};
  size_t n = split_words(sample_text(), starts, lens, 512);
  for (size_t i = 0; i < n; i++) table_add(&t, starts[i], lens[i]);
  printf("%zu words, %zu distinct, mean length %.2f\n", n, t.len, mean_length(&t));
  report(&t, 5);
  table_free(&t);
  return 0;
}
