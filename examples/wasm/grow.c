/* Allocates 1 MiB at a time, keeps every block and touches it, until the allocator says no, then aborts: at an
 * endpoint it fails with out-of-memory at its memory cap, however much memory the machine has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct block {
  struct block *next;
  char bytes[(1 << 20) - sizeof(struct block *)];
};

int main(void) {
  struct block *kept = NULL;
  unsigned long mib = 0;
  for (;;) {
    struct block *block = malloc(sizeof *block);
    if (!block) {
      fprintf(stderr, "malloc failed after %lu MiB\n", mib);
      abort();
    }
    memset(block->bytes, (int)mib, sizeof block->bytes);
    block->next = kept;
    kept = block;
    mib++;
    if (kept->bytes[mib % sizeof kept->bytes] == 42 && mib > 1u << 30) printf("%p\n", (void *)kept);
  }
}
