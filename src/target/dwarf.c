/* dwarf: the kernel's DWARF debuginfo, for choosing functions by the
 * source file and line of their declaration (kernel.function("*@net/socket.c"),
 * "vfs_read@fs/read_write.c:450").
 *
 * The debuginfo vmlinux is looked for where distributions install it, in
 * the unpacked packages' root (the kernel cache), then in the build tree
 * and beside the image.  Its index (function name, declaration file, line)
 * is built once per Target, on the first spec that names a file: every
 * CU's top-level subprograms only (dwarf_child, then dwarf_siblingof, which
 * follows DW_AT_sibling over the bodies), about 230,000 DIEs for Debian's
 * 6.1 kernel.  libdw's dwarf_decl_file decodes a CU's whole line program to
 * learn its file names (elfutils 0.188), which made the scan five times
 * slower, so the file tables are read here from the line programs' headers
 * (DWARF 2-5); a header this reader does not understand falls back to
 * dwarf_decl_file for that CU.  The index keeps its strings in the arena,
 * so that the Dwarf handle (and libdw's memory) is released at once. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "target/target.h"

/* One function of the index (target.h: TargetFunc), and how many
 * copies of its code the kernel has. */
typedef struct DwarfFunc {
  TargetFunc f;     /* name and file interned: equal ones are one pointer */
  uint32_t copies;  /* out-of-line copies of its code (0: inlined only) */
  bool init;        /* its code is init code (.init.text), gone after boot */
} DwarfFunc;

struct TargetDwarf {
  DwarfFunc *funcs; /* sorted by name pointer: one name's are together */
  size_t n;
};

/* ---- Finding the debuginfo ---- */

/* Does the ELF file at path carry DWARF (a .debug_info with contents)? */
static bool has_debug_info(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  elf_version(EV_CURRENT);
  Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  size_t shstrndx;
  bool found = false;
  if (e && elf_kind(e) == ELF_K_ELF && elf_getshdrstrndx(e, &shstrndx) == 0) {
    for (Elf_Scn *s = NULL; !found && (s = elf_nextscn(e, s)) != NULL;) {
      GElf_Shdr sh;
      const char *name = gelf_getshdr(s, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
      found = name && sh.sh_type != SHT_NOBITS && sh.sh_size > 0 &&
              (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0);
    }
  }
  if (e) elf_end(e);
  close(fd);
  return found;
}

const char *target_dwarf_vmlinux(Target *t, const char **err) {
  if (!t->dwarf_tried) {
    t->dwarf_tried = true;
    const TargetKernel *k = t->kernel;
    const char *r = k->release;
    const char *paths[7];
    int n = 0;
    paths[n++] = arena_printf(t->arena, "/usr/lib/debug/boot/vmlinux-%s", r);
    paths[n++] = arena_printf(t->arena, "/usr/lib/debug/lib/modules/%s/vmlinux", r);
    if (k->root[0]) { /* unpacked packages: the kernel cache's CACHE/R/root */
      paths[n++] = arena_printf(t->arena, "%s/usr/lib/debug/boot/vmlinux-%s", k->root, r);
      paths[n++] = arena_printf(t->arena, "%s/usr/lib/debug/lib/modules/%s/vmlinux", k->root, r);
    }
    paths[n++] = arena_printf(t->arena, "%s/vmlinux", k->build_dir);
    paths[n++] = arena_printf(t->arena, "/boot/vmlinux-%s", r);
    paths[n++] = arena_printf(t->arena, "/lib/modules/%s/vmlinux", r);
    StrBuf tried;
    sb_init(&tried);
    for (int i = 0; i < n && !t->dwarf_path; i++) {
      struct stat st;
      bool exists = stat(paths[i], &st) == 0 && S_ISREG(st.st_mode);
      if (exists && has_debug_info(paths[i])) {
        t->dwarf_path = paths[i];
        break;
      }
      sb_cat(&tried, i ? ", " : "", paths[i], exists ? " (no .debug_info)" : "", NULL);
    }
    if (!t->dwarf_path)
      t->dwarf_error = arena_printf(t->arena, "a vmlinux with .debug_info; none at %s",
                                    sb_cstr(&tried));
    sb_free(&tried);
  }
  if (err) *err = t->dwarf_error;
  return t->dwarf_path;
}

/* ---- The line programs' file tables ---- */

typedef struct Bytes {
  const unsigned char *data;
  size_t size;
} Bytes;

/* The sections a line program header refers to. */
typedef struct Sections {
  Bytes line, line_str, str;
  bool big_endian;
} Sections;

typedef struct Reader {
  const unsigned char *p, *end;
  bool big_endian;
  bool bad; /* ran off the end, or met something not understood */
} Reader;

static uint64_t rd_uint(Reader *r, int n) {
  if (r->bad || (size_t)(r->end - r->p) < (size_t)n) {
    r->bad = true;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v |= (uint64_t)r->p[r->big_endian ? n - 1 - i : i] << (8 * i);
  r->p += n;
  return v;
}

static uint64_t rd_uleb(Reader *r) {
  uint64_t v = 0;
  for (int shift = 0; !r->bad && r->p < r->end; shift += 7) {
    unsigned char b = *r->p++;
    if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  r->bad = true;
  return 0;
}

static const char *rd_cstr(Reader *r) {
  const unsigned char *nul = r->bad ? NULL : memchr(r->p, 0, (size_t)(r->end - r->p));
  if (!nul) {
    r->bad = true;
    return "";
  }
  const char *s = (const char *)r->p;
  r->p = nul + 1;
  return s;
}

static const char *str_at(Reader *r, const Bytes *sec, uint64_t off) {
  const unsigned char *nul = off < sec->size ? memchr(sec->data + off, 0, sec->size - off) : NULL;
  if (!nul) {
    r->bad = true;
    return "";
  }
  return (const char *)sec->data + off;
}

/* One attribute of a DWARF 5 directory or file entry: a string into *s or
 * a number into *num. */
static void rd_form(Reader *r, const Sections *sec, uint64_t form, int offset_size,
                    const char **s, uint64_t *num) {
  switch (form) {
  case DW_FORM_string: *s = rd_cstr(r); break;
  case DW_FORM_line_strp: *s = str_at(r, &sec->line_str, rd_uint(r, offset_size)); break;
  case DW_FORM_strp: *s = str_at(r, &sec->str, rd_uint(r, offset_size)); break;
  case DW_FORM_udata: *num = rd_uleb(r); break;
  case DW_FORM_data1: *num = rd_uint(r, 1); break;
  case DW_FORM_data2: *num = rd_uint(r, 2); break;
  case DW_FORM_data4: *num = rd_uint(r, 4); break;
  case DW_FORM_data8: *num = rd_uint(r, 8); break;
  case DW_FORM_data16: rd_uint(r, 8), rd_uint(r, 8); break;
  case DW_FORM_block: {
    uint64_t n = rd_uleb(r);
    if (n > (uint64_t)(r->end - r->p)) r->bad = true;
    else r->p += n;
    break;
  }
  default: r->bad = true; /* strx needs the CU's string offsets: not here */
  }
}

/* A CU's file table: entry i is what DW_AT_decl_file i names. */
typedef struct FileTable {
  const char **dirs;
  size_t ndirs, cap_dirs;
  struct FileEntry {
    const char *name;
    uint64_t dir;
    const char *path; /* resolved on first use, interned */
  } *files;
  size_t nfiles, cap_files;
} FileTable;

static void ft_dir(FileTable *ft, const char *d) {
  if (ft->ndirs == ft->cap_dirs) {
    ft->cap_dirs = ft->cap_dirs ? 2 * ft->cap_dirs : 32;
    ft->dirs = xrealloc(ft->dirs, ft->cap_dirs * sizeof *ft->dirs);
  }
  ft->dirs[ft->ndirs++] = d;
}

static void ft_file(FileTable *ft, const char *name, uint64_t dir) {
  if (ft->nfiles == ft->cap_files) {
    ft->cap_files = ft->cap_files ? 2 * ft->cap_files : 64;
    ft->files = xrealloc(ft->files, ft->cap_files * sizeof *ft->files);
  }
  ft->files[ft->nfiles++] = (struct FileEntry){name, dir, NULL};
}

/* DWARF 5: a count of (content type, form) pairs, a count of entries, the
 * entries; only DW_LNCT_path and DW_LNCT_directory_index are kept. */
static void read_entries(Reader *r, const Sections *sec, int offset_size, FileTable *ft,
                         bool dirs) {
  unsigned nfmt = (unsigned)rd_uint(r, 1);
  uint64_t fmt[2 * 255];
  for (unsigned i = 0; i < nfmt; i++) {
    fmt[2 * i] = rd_uleb(r);
    fmt[2 * i + 1] = rd_uleb(r);
  }
  uint64_t count = rd_uleb(r);
  for (uint64_t e = 0; e < count && !r->bad; e++) {
    const char *path = NULL;
    uint64_t dir = 0;
    for (unsigned i = 0; i < nfmt && !r->bad; i++) {
      const char *s = NULL;
      uint64_t num = 0;
      rd_form(r, sec, fmt[2 * i + 1], offset_size, &s, &num);
      if (fmt[2 * i] == DW_LNCT_path) path = s;
      else if (fmt[2 * i] == DW_LNCT_directory_index) dir = num;
    }
    if (!path) r->bad = true;
    else if (dirs) ft_dir(ft, path);
    else ft_file(ft, path, dir);
  }
}

/* Read the file table of the line program at off; false if the header is
 * not one this reader understands. */
static bool read_file_table(const Sections *sec, uint64_t off, const char *comp_dir,
                            FileTable *ft) {
  ft->ndirs = ft->nfiles = 0;
  if (off >= sec->line.size) return false;
  Reader r = {sec->line.data + off, sec->line.data + sec->line.size, sec->big_endian, false};
  int offset_size = 4;
  uint64_t len = rd_uint(&r, 4);
  if (len == 0xffffffff) {
    offset_size = 8;
    len = rd_uint(&r, 8);
  }
  if (r.bad || len > (uint64_t)(r.end - r.p)) return false;
  r.end = r.p + len;
  unsigned version = (unsigned)rd_uint(&r, 2);
  if (version < 2 || version > 5) return false;
  if (version == 5) rd_uint(&r, 2); /* address and segment selector sizes */
  uint64_t hlen = rd_uint(&r, offset_size);
  if (r.bad || hlen > (uint64_t)(r.end - r.p)) return false;
  r.end = r.p + hlen; /* the header: the program follows */
  rd_uint(&r, version >= 4 ? 5 : 4); /* min_inst_length, [max_ops,] is_stmt, line_base, line_range */
  unsigned opcode_base = (unsigned)rd_uint(&r, 1);
  if (opcode_base == 0 || (size_t)(r.end - r.p) < opcode_base - 1) return false;
  r.p += opcode_base - 1;
  if (version == 5) {
    read_entries(&r, sec, offset_size, ft, true);
    read_entries(&r, sec, offset_size, ft, false);
  } else {
    /* Directory 0 is the compilation's; file 0 is none (numbers start at 1). */
    ft_dir(ft, comp_dir ? comp_dir : "");
    for (const char *d; !r.bad && *(d = rd_cstr(&r));) ft_dir(ft, d);
    ft_file(ft, "", 0);
    for (const char *f; !r.bad && *(f = rd_cstr(&r));) {
      uint64_t dir = rd_uleb(&r);
      rd_uleb(&r), rd_uleb(&r); /* time, size */
      ft_file(ft, f, dir);
    }
  }
  return !r.bad;
}

/* ---- The index ---- */

typedef struct Builder {
  Target *t;
  HashMap names, paths; /* interned strings */
  DwarfFunc *funcs;
  size_t n, cap;
  StrBuf sb;
  uint64_t text;             /* the address of _text (else of .text) */
  uint64_t init_lo, init_hi; /* .init.text's range */
} Builder;

static const char *intern(Builder *b, HashMap *m, const char *s) {
  size_t n = strlen(s);
  const char *v = hashmap_get(m, s, n);
  if (!v) {
    char *c = arena_strndup(b->t->arena, s, n);
    hashmap_put(m, c, n, c);
    v = c;
  }
  return v;
}

/* A declaration file's path as the tree names it: without the
 * compilation directory and without a leading "./". */
static const char *tree_path(Builder *b, const char *path, const char *comp_dir) {
  size_t n = comp_dir ? strlen(comp_dir) : 0;
  if (n && strncmp(path, comp_dir, n) == 0 && path[n] == '/') path += n + 1;
  while (path[0] == '.' && path[1] == '/') path += 2;
  return intern(b, &b->paths, path);
}

/* File i of the table, joined with its directory, interned; NULL if the
 * table has no such entry. */
static const char *table_path(Builder *b, FileTable *ft, uint64_t i, const char *comp_dir) {
  if (i >= ft->nfiles) return NULL;
  struct FileEntry *f = &ft->files[i];
  if (!f->path) {
    const char *d = f->dir < ft->ndirs ? ft->dirs[f->dir] : "";
    sb_clear(&b->sb);
    if (f->name[0] != '/' && d[0]) sb_cat(&b->sb, d, "/", NULL);
    sb_puts(&b->sb, f->name);
    f->path = tree_path(b, sb_cstr(&b->sb), comp_dir);
  }
  return f->path;
}

/* Add a function; pc is its code's address, 0 for an inlined-only one. */
static void add_func(Builder *b, const char *name, const char *file, int line, uint64_t pc) {
  if (b->n == b->cap) {
    b->cap = b->cap ? 2 * b->cap : 65536;
    b->funcs = xrealloc(b->funcs, b->cap * sizeof *b->funcs);
  }
  bool init = pc && pc >= b->init_lo && pc < b->init_hi;
  b->funcs[b->n++] = (DwarfFunc){
      .f = {intern(b, &b->names, name), file, line, pc > b->text ? pc - b->text : 0},
      .copies = pc != 0, .init = init};
}

/* Where the code is: _text (the symbol KASLR moves the kernel by; else
 * .text's start) and .init.text's range, from the section headers and the
 * symbol table, which a debuginfo file keeps. */
static void find_text(Builder *b, Dwarf *dw) {
  Elf *e = dwarf_getelf(dw);
  size_t shstrndx;
  if (!e || elf_getshdrstrndx(e, &shstrndx) != 0) return;
  for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s)) != NULL;) {
    GElf_Shdr sh;
    const char *name = gelf_getshdr(s, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
    if (!name) continue;
    if (!strcmp(name, ".text") && !b->text) b->text = sh.sh_addr;
    if (!strcmp(name, ".init.text")) {
      b->init_lo = sh.sh_addr;
      b->init_hi = sh.sh_addr + sh.sh_size;
    }
    if (sh.sh_type != SHT_SYMTAB) continue;
    Elf_Data *d = elf_getdata(s, NULL);
    size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    for (size_t i = 0; i < n; i++) {
      GElf_Sym sym;
      const char *sn = gelf_getsym(d, (int)i, &sym) ? elf_strptr(e, sh.sh_link, sym.st_name) : NULL;
      if (sn && !strcmp(sn, "_text")) {
        b->text = sym.st_value;
        break;
      }
    }
  }
}

static bool find_sections(Dwarf *dw, Sections *sec) {
  Elf *e = dwarf_getelf(dw);
  size_t shstrndx;
  memset(sec, 0, sizeof *sec);
  if (!e || elf_getshdrstrndx(e, &shstrndx) != 0) return false;
  const char *ident = elf_getident(e, NULL);
  sec->big_endian = ident && ident[EI_DATA] == ELFDATA2MSB;
  for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s)) != NULL;) {
    GElf_Shdr sh;
    const char *name = gelf_getshdr(s, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
    Bytes *want = !name                               ? NULL
                  : strcmp(name, ".debug_line") == 0     ? &sec->line
                  : strcmp(name, ".debug_line_str") == 0 ? &sec->line_str
                  : strcmp(name, ".debug_str") == 0      ? &sec->str
                                                         : NULL;
    if (!want) continue;
    if (sh.sh_flags & SHF_COMPRESSED) return false; /* libdw's copy is the readable one */
    Elf_Data *d = elf_rawdata(s, NULL);
    if (d) *want = (Bytes){d->d_buf, d->d_size};
  }
  return sec->line.data != NULL;
}

static int cmp_func(const void *pa, const void *pb) {
  const TargetFunc *a = &((const DwarfFunc *)pa)->f, *b = &((const DwarfFunc *)pb)->f;
  if (a->name != b->name) return (uintptr_t)a->name < (uintptr_t)b->name ? -1 : 1;
  if (a->file != b->file) return (uintptr_t)a->file < (uintptr_t)b->file ? -1 : 1;
  return (a->line > b->line) - (a->line < b->line);
}

/* Every CU's top-level subprograms that are functions: with code, or
 * abstract instances of inlined functions (kept here; the query keeps only
 * names that are text symbols).  Declarations are not. */
static void scan(Builder *b, Dwarf *dw) {
  Sections sec;
  bool raw_ok = find_sections(dw, &sec);
  FileTable ft = {0};
  Dwarf_Off off = 0, next;
  size_t hsize;
  while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
    Dwarf_Die cu, die;
    Dwarf_Attribute at;
    if (!dwarf_offdie(dw, off + hsize, &cu) || dwarf_child(&cu, &die) != 0) {
      off = next;
      continue;
    }
    const char *comp_dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &at));
    Dwarf_Word stmt = 0;
    bool table = false, table_tried = false;
    do {
      if (dwarf_tag(&die) != DW_TAG_subprogram || dwarf_hasattr(&die, DW_AT_declaration))
        continue;
      if (!dwarf_hasattr(&die, DW_AT_low_pc) && !dwarf_hasattr(&die, DW_AT_ranges) &&
          !dwarf_hasattr(&die, DW_AT_inline))
        continue;
      const char *name = dwarf_diename(&die);
      Dwarf_Word fileno = 0;
      if (!name || !dwarf_attr_integrate(&die, DW_AT_decl_file, &at) ||
          dwarf_formudata(&at, &fileno) != 0)
        continue;
      if (!table_tried) {
        table_tried = true;
        Dwarf_Attribute sl;
        table = raw_ok && dwarf_formudata(dwarf_attr(&cu, DW_AT_stmt_list, &sl), &stmt) == 0 &&
                read_file_table(&sec, stmt, comp_dir, &ft);
      }
      const char *file = NULL;
      if (table && at.cu == die.cu) {
        file = table_path(b, &ft, fileno, comp_dir);
      } else {
        /* libdw's way: an attribute from another unit, or a header not read here */
        const char *f = dwarf_decl_file(&die);
        if (f) file = tree_path(b, f, comp_dir);
      }
      if (!file) continue;
      int line = 0;
      dwarf_decl_line(&die, &line);
      Dwarf_Addr pc = 0;
      if (dwarf_hasattr(&die, DW_AT_low_pc) || dwarf_hasattr(&die, DW_AT_ranges))
        dwarf_entrypc(&die, &pc);
      add_func(b, name, file, line, pc);
    } while (dwarf_siblingof(&die, &die) == 0);
    off = next;
  }
  free(ft.dirs);
  free(ft.files);
}

static struct TargetDwarf *dwarf_index(Target *t, const char **err) {
  if (t->dwarf || t->dwarf_index_error) {
    if (err) *err = t->dwarf_index_error;
    return t->dwarf;
  }
  const char *why = NULL;
  const char *path = target_dwarf_vmlinux(t, &why);
  if (!path) {
    t->dwarf_index_error = why;
    if (err) *err = why;
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  Dwarf *dw = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : NULL;
  if (!dw) {
    t->dwarf_index_error = arena_printf(t->arena, "%s: %s", path,
                                        fd < 0 ? "cannot be opened" : dwarf_errmsg(-1));
    if (fd >= 0) close(fd);
    if (err) *err = t->dwarf_index_error;
    return NULL;
  }
  Builder b = {.t = t};
  sb_init(&b.sb);
  find_text(&b, dw);
  scan(&b, dw);
  dwarf_end(dw);
  close(fd);
  /* One entry per (name, file, line): inline functions of headers are in
   * every CU that uses them, some with a copy of their code in several.
   * An entry keeps its copies' count and the first copy's address;
   * init code only if every copy is. */
  if (b.n) qsort(b.funcs, b.n, sizeof *b.funcs, cmp_func);
  size_t k = 0;
  for (size_t i = 0; i < b.n; i++) {
    DwarfFunc *x = &b.funcs[i], *last = k ? &b.funcs[k - 1] : NULL;
    if (!last || cmp_func(last, x) != 0) {
      b.funcs[k++] = *x;
    } else if (x->copies && !last->copies) {
      last->f.entry = x->f.entry;
      last->init = x->init;
      last->copies = 1;
    } else if (x->copies && x->f.entry != last->f.entry) {
      last->copies++;
      last->init &= x->init;
    }
  }
  struct TargetDwarf *d = arena_alloc(t->arena, sizeof *d);
  d->n = k;
  d->funcs = arena_alloc(t->arena, (k ? k : 1) * sizeof *d->funcs);
  if (k) memcpy(d->funcs, b.funcs, k * sizeof *d->funcs);
  free(b.funcs);
  hashmap_free(&b.names);
  hashmap_free(&b.paths);
  sb_free(&b.sb);
  t->dwarf = d;
  if (err) *err = NULL;
  return d;
}

/* ---- Queries ---- */

static int cmp_result(const void *pa, const void *pb) {
  const TargetFunc *a = *(const TargetFunc *const *)pa, *b = *(const TargetFunc *const *)pb;
  int c = strcmp(a->name, b->name);
  if (!c) c = strcmp(a->file, b->file);
  return c ? c : (a->line > b->line) - (a->line < b->line);
}

static bool matches(const DwarfFunc *d, const char *file_glob, const char *abs_glob, int line,
                    int line_end) {
  const TargetFunc *f = &d->f;
  if (line > 0 && (f->line < line || f->line > line_end)) return false;
  return fnmatch(file_glob, f->file, 0) == 0 ||
         (abs_glob && f->file[0] == '/' && fnmatch(abs_glob, f->file, 0) == 0);
}

static void push(Target *t, Vec *out, const DwarfFunc *d, uint64_t entry) {
  TargetFunc *r = arena_alloc(t->arena, sizeof *r);
  *r = d->f;
  r->entry = entry;
  vec_push(out, t->arena, r);
}

bool target_functions_by_file(Target *t, const char *glob, const char *file_glob, int line,
                              int line_end, Vec *out, const char **err) {
  struct TargetDwarf *d = dwarf_index(t, err);
  if (!d) return false;
  bool name_glob = strpbrk(glob, "*?[") != NULL;
  /* A path the compiler left absolute (outside the tree, or a tree that
   * was not the compilation directory) matches by its end. */
  const char *abs_glob = file_glob[0] == '/' ? NULL : arena_printf(t->arena, "*/%s", file_glob);
  size_t first = out->len;
  for (size_t i = 0, j; i < d->n; i = j) {
    /* one name's entries: [i, j) */
    const char *name = d->funcs[i].f.name;
    uint32_t copies = 0;
    const DwarfFunc *code = NULL; /* its code, when it has one copy */
    for (j = i; j < d->n && d->funcs[j].f.name == name; j++) {
      copies += d->funcs[j].copies;
      if (d->funcs[j].copies) code = &d->funcs[j];
    }
    if (name_glob ? fnmatch(glob, name, 0) != 0 : strcmp(glob, name) != 0) continue;
    if (!target_function_exists(t, name)) continue;
    if (copies <= 1) {
      /* the only function of its name: by name, unless it is init code */
      if (code && code->init) continue;
      for (size_t k = i; k < j; k++)
        if (matches(&d->funcs[k], file_glob, abs_glob, line, line_end)) {
          push(t, out, &d->funcs[k], 0);
          break;
        }
      continue;
    }
    /* Several functions of this name (static ones of other files): each
     * chosen one by its address.  A header's function with copies in
     * several files stands for every function of its name. */
    bool all = false;
    for (size_t k = i; k < j; k++) {
      const DwarfFunc *f = &d->funcs[k];
      if (!f->copies || f->init || !matches(f, file_glob, abs_glob, line, line_end)) continue;
      if (f->copies == 1) push(t, out, f, f->f.entry);
      else if (!all) push(t, out, f, 0), all = true;
    }
  }
  if (out->len > first)
    qsort(out->items + first, out->len - first, sizeof(void *), cmp_result);
  return true;
}
