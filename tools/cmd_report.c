/* cmd_report.c: `zabsim report` (placeholder until its issue lands). */
#include "tools/cli.h"

#include <stdio.h>

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "zabsim report: not implemented yet\n");
    return EXIT_BAD_INPUT;
}
