/* cmd_check.c: `zabsim check` (placeholder until its issue lands). */
#include "tools/cli.h"

#include <stdio.h>

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "zabsim check: not implemented yet\n");
    return EXIT_BAD_INPUT;
}
