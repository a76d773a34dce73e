/* Tries to read files outside its scratch directory; prints what it could do, one line each, as JSON at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int try_open(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    char buffer[64];
    ssize_t n = read(fd, buffer, sizeof buffer);
    close(fd);
    printf("READ %s (%zd bytes)\n", path, n);
    return 1;
  }
  printf("denied %s: %s\n", path, strerror(errno));
  return 0;
}

int main(int argc, char **argv) {
  int opened = 0;
  opened += try_open("/etc/passwd");
  opened += try_open("../../../../../../etc/passwd");
  opened += try_open("/scratch/../../etc/passwd");
  /* A symlink in the scratch directory pointing out of it. */
  int linked = symlink("/etc/passwd", "/scratch/link") == 0;
  printf("symlink %s\n", linked ? "made" : strerror(errno));
  if (linked) opened += try_open("/scratch/link");
  /* The scratch directory itself is writable and empty. */
  FILE *note = fopen("/scratch/note.txt", "w");
  int wrote = note != NULL && fputs("kept for this task only\n", note) >= 0;
  if (note) fclose(note);
  printf("{\"opened\": %d, \"wrote_scratch\": %s, \"environ\": %s}\n", opened, wrote ? "true" : "false",
         getenv("HOME") == NULL && getenv("PATH") == NULL ? "\"empty\"" : "\"present\"");
  return 0;
}
