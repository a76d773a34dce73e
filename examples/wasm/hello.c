/* Prints three lines, the second after a pause, to stdout and one to stderr; its value is the last line. */
#include <stdio.h>
#include <time.h>

int main(void) {
  printf("hello from WebAssembly\n");
  fflush(stdout);
  fprintf(stderr, "a line on stderr\n");
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  printf("after a pause\n");
  printf("{\"greeted\": true}\n");
  return 0;
}
