/* dwarf_query's program (tests/target/run.sh): lines matter. */
#include "h.h"
int o_func(int x); /* a declaration here, defined in lib/other.c */
static __attribute__((noinline)) int helper(int x) { g += x; return x * 3; }
int f_main(int a) { return helper(a) + h_inl(a) + h_out(a) + o_func(a); }
int main(void) { return f_main(g); }
