/* cli.h: the zabsim subcommands (README.md, Commands). main.c only dispatches; each
 * command lives in its own tools/cmd_<name>.c, parses its options with GOptionContext,
 * answers --help, and returns the process exit status:
 *   0  success (for run: invariants hold and expect: is met)
 *   1  the run or check found a violation or an unmet expectation
 *   2  bad input (unreadable or invalid scenario, bad option, unusable database) */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#define EXIT_OK 0
#define EXIT_VIOLATION 1
#define EXIT_BAD_INPUT 2

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_shrink(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_conform(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif
