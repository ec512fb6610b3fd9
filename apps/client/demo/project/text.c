#include "wordstat.h"

const char *sample_text(void) {
  return "The weak machine with strong friends hands its compiles to faster machines. "
         "A Raspberry Pi builds its own kernel with one helper, and the helper does the work; "
         "the client only preprocesses, sends, receives and writes. The build never fails because "
         "a helper did: the client compiles locally instead, and says which helper failed and why.";
}
