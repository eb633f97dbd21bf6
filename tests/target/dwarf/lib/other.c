/* dwarf_query's second file: a static helper named as main.c's. */
int g;
static __attribute__((noinline)) int helper(int x) { g -= x; return x; }
int o_func(int x) { return helper(x) * 2; }
