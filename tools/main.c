#include <stdio.h>
int main(void) { puts("zabsim " ZABSIM_VERSION); return 0; }
