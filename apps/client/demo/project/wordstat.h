#ifndef WORDSTAT_H
#define WORDSTAT_H
#include <stddef.h>

struct entry { const char *word; unsigned count; };
struct table { struct entry *items; size_t len, cap; };

size_t split_words(const char *text, const char **starts, size_t *lens, size_t max);
unsigned long hash_word(const char *w, size_t n);
void table_add(struct table *t, const char *w, size_t n);
void table_free(struct table *t);
void sort_entries(struct entry *e, size_t n);
double mean_length(const struct table *t);
const char *sample_text(void);
void report(const struct table *t, size_t top);
#endif
