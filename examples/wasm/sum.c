/* A WASI command: reads the task's arguments (JSON, e.g. [[1, 2, 3.5]]) from stdin and prints the sum of every
 * number in them as its last line, which becomes the task's value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  static char input[1 << 20];
  size_t length = fread(input, 1, sizeof input - 1, stdin);
  input[length] = '\0';
  double total = 0;
  long count = 0;
  for (char *p = input; *p;) {
    if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '.') {
      char *end;
      total += strtod(p, &end);
      count++;
      p = end > p ? end : p + 1;
    } else {
      p++;
    }
  }
  fprintf(stderr, "summed %ld numbers\n", count);
  printf("%.17g\n", total);
  return 0;
}
