/* Never returns: the endpoint stops it at its time limit. */
#include <stdio.h>

int main(void) {
  printf("starting to loop\n");
  fflush(stdout);
  volatile unsigned long spins = 0;
  for (;;) spins++;
}
