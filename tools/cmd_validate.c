/* cmd_validate.c: `zabsim validate` (placeholder until its issue lands). */
#include "tools/cli.h"

#include <stdio.h>

int cmd_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "zabsim validate: not implemented yet\n");
    return EXIT_BAD_INPUT;
}
