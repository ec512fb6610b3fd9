/* The file examples/compile-with-distccd.mjs compiles through a real distccd. */
#include <stdio.h>
#include <string.h>

static const char *greeting = "hello from a remote compile";

int shout(char *buf, size_t n) {
  size_t len = strlen(greeting);
  if (len + 1 > n) return -1;
  for (size_t i = 0; i <= len; i++) buf[i] = (char)(greeting[i] >= 'a' && greeting[i] <= 'z' ? greeting[i] - 32 : greeting[i]);
  return (int)len;
}

int main(void) {
  char buf[64];
  if (shout(buf, sizeof buf) < 0) return 1;
  puts(buf);
  return 0;
}
