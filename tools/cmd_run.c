/* cmd_run.c: `zabsim run` (placeholder until its issue lands). */
#include "tools/cli.h"

#include <stdio.h>

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "zabsim run: not implemented yet\n");
    return EXIT_BAD_INPUT;
}
