/* Exits with code 3 after saying why. */
#include <stdio.h>

int main(void) {
  fprintf(stderr, "bad input: nothing to do\n");
  return 3;
}
