/* dwarf_query's header: one function inlined only, one with a copy. */
extern int g;
static inline int h_inl(int x) { return x + 1; }
static __attribute__((noinline)) int h_out(int x) { g ^= x; return g; }
