/* cmd_sweep.c: `zabsim sweep` (placeholder until its issue lands). */
#include "tools/cli.h"

#include <stdio.h>

int cmd_sweep(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "zabsim sweep: not implemented yet\n");
    return EXIT_BAD_INPUT;
}
