/* Runs a fuzz target over files named on the command line, so the seed
 * corpus is replayed by ctest on any compiler (libFuzzer needs clang). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tunepilot/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
    int n = 0;
    for (int i = 1; i < argc; i++) {
        char *data;
        size_t len;
        TpError err;
        if (tp_file_read(argv[i], 64u << 20, &data, &len, &err) != TP_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        free(data);
        n++;
    }
    printf("%d inputs replayed\n", n);
    return 0;
}
