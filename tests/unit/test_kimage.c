/* Unit tests of src/target/kimage: BTF out of ELF files and compressed
 * kernel images that the test makes itself (an ELF written with libelf,
 * compressed with each codec, behind a fake x86 boot header or junk), and
 * the exact message for each kind of bad input. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <bpf/btf.h>

#include "target/kimage.h"

#define UNIT "kimage"
#include "unit.h"

static char tmpdir[] = "/tmp/ctap-kimage.XXXXXX";

/* A growable byte buffer for building test inputs. */
typedef struct {
  unsigned char *p; /* bytes (malloc'd, or a literal if cap is 0 and n is not) */
  size_t n;         /* length */
  size_t cap;       /* allocated size of p */
} Bytes;

static char *tmp_path(const char *name) {
  static char buf[8][256];
  static int i;
  char *p = buf[i++ % 8];
  snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
  return p;
}

static void write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    exit(2);
  }
}

static Bytes read_file(const char *path) {
  Bytes b = {0};
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  b.n = (size_t)ftell(f);
  rewind(f);
  b.cap = b.n ? b.n : 1;
  b.p = malloc(b.cap);
  if (!b.p || fread(b.p, 1, b.n, f) != b.n) exit(2);
  fclose(f);
  return b;
}

static void bytes_append(Bytes *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
    if (!b->p) exit(2);
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

/* Deterministic pseudo-random bytes (xorshift). */
static void fill_random(unsigned char *p, size_t n, uint64_t seed) {
  uint64_t x = seed;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = (unsigned char)x;
  }
}

/* A small BTF: int and struct task_struct { int __state; }. */
static Bytes make_btf(void) {
  struct btf *b = btf__new_empty();
  int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
  btf__add_struct(b, "task_struct", 4);
  btf__add_field(b, "__state", int_id, 0, 0);
  __u32 sz = 0;
  const void *raw = btf__raw_data(b, &sz);
  Bytes r = {0};
  bytes_append(&r, raw, sz);
  btf__free(b);
  return r;
}

static void add_section(Elf *e, unsigned name, unsigned type, const void *p, size_t n) {
  Elf_Scn *s = elf_newscn(e);
  Elf_Data *d = elf_newdata(s);
  d->d_buf = (void *)p;
  d->d_size = n;
  d->d_type = ELF_T_BYTE;
  d->d_align = 1;
  d->d_version = EV_CURRENT;
  GElf_Shdr sh;
  gelf_getshdr(s, &sh);
  sh.sh_name = name;
  sh.sh_type = type;
  sh.sh_flags = type == SHT_STRTAB ? 0 : SHF_ALLOC;
  gelf_update_shdr(s, &sh);
}

/* An x86-64 ELF with a 64 KiB random .pad section (so that compressed
 * streams are long enough to corrupt in the middle) and, if btf is not
 * NULL, a .BTF section holding it. */
static Bytes make_elf(const Bytes *btf) {
  static const char shstr[] = "\0.pad\0.BTF\0.shstrtab"; /* names at 1, 6, 11 */
  static unsigned char pad[65536];
  fill_random(pad, sizeof pad, 42);
  const char *path = tmp_path("built.elf");
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
  Elf64_Ehdr *eh = elf64_newehdr(e);
  eh->e_ident[EI_DATA] = ELFDATA2LSB;
  eh->e_type = ET_EXEC;
  eh->e_machine = EM_X86_64;
  eh->e_version = EV_CURRENT;
  add_section(e, 1, SHT_PROGBITS, pad, sizeof pad);
  if (btf) add_section(e, 6, SHT_PROGBITS, btf->p, btf->n);
  add_section(e, 11, SHT_STRTAB, shstr, sizeof shstr);
  eh->e_shstrndx = btf ? 3 : 2;
  if (elf_update(e, ELF_C_WRITE) < 0) {
    fprintf(stderr, "elf_update: %s\n", elf_errmsg(-1));
    exit(2);
  }
  elf_end(e);
  close(fd);
  return read_file(path);
}

static Bytes compress_gzip(const Bytes *in) {
  z_stream z = {0};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  Bytes out = {malloc(deflateBound(&z, in->n) + 64), 0, deflateBound(&z, in->n) + 64};
  z.next_in = in->p;
  z.avail_in = (unsigned)in->n;
  z.next_out = out.p;
  z.avail_out = (unsigned)deflateBound(&z, in->n) + 64;
  deflate(&z, Z_FINISH);
  out.n = z.total_out;
  deflateEnd(&z);
  return out;
}

static Bytes compress_xz(const Bytes *in, bool alone) {
  lzma_stream z = LZMA_STREAM_INIT;
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 6);
  lzma_ret r = alone ? lzma_alone_encoder(&z, &opt) : lzma_easy_encoder(&z, 6, LZMA_CHECK_CRC32);
  if (r != LZMA_OK) exit(2);
  size_t cap = in->n + in->n / 2 + 4096;
  Bytes out = {malloc(cap), 0, cap};
  z.next_in = in->p;
  z.avail_in = in->n;
  z.next_out = out.p;
  z.avail_out = cap;
  while (lzma_code(&z, LZMA_FINISH) == LZMA_OK) {
  }
  out.n = z.total_out;
  lzma_end(&z);
  return out;
}

static Bytes compress_zstd(const Bytes *in) {
  size_t cap = ZSTD_compressBound(in->n);
  Bytes out = {malloc(cap), 0, cap};
  out.n = ZSTD_compress(out.p, cap, in->p, in->n, 3);
  return out;
}

/* Run kimage_read_btf on path; expect failure with exactly `want` (the
 * path is put in front), or with a message starting with it if prefix. */
static void expect_error(const char *name, const char *path, const char *want, bool prefix,
                         int want_rc) {
  void *data = (void *)1;
  size_t size = 1;
  char *err = NULL;
  int rc = kimage_read_btf(path, &data, &size, &err);
  char full[1024];
  snprintf(full, sizeof full, "%s: %s", path, want);
  bool ok = rc == want_rc && data == NULL && size == 0 && err &&
            (prefix ? strncmp(err, full, strlen(full)) == 0 : strcmp(err, full) == 0);
  checkf(name, ok, "rc %d (want %d)\n    expected: %s%s\n    got:      %s", rc, want_rc, full,
        prefix ? "..." : "", err ? err : "(null)");
  free(err);
  if (rc == 0) free(data);
}

/* Expect success with exactly the bytes of want. */
static void expect_btf(const char *name, const char *path, const Bytes *want) {
  void *data = NULL;
  size_t size = 0;
  char *err = NULL;
  int rc = kimage_read_btf(path, &data, &size, &err);
  bool ok = rc == 0 && !err && size == want->n && memcmp(data, want->p, size) == 0;
  if (ok) { /* and libbpf agrees it is BTF */
    struct btf *b = btf__new(data, (__u32)size);
    ok = b && btf__find_by_name_kind(b, "task_struct", BTF_KIND_STRUCT) > 0;
    btf__free(b);
  }
  checkf(name, ok, "rc %d, %zu bytes (want %zu), err %s", rc, size, want->n, err ? err : "(null)");
  free(data);
  free(err);
}

/* A fake bzImage: setup sectors with an x86 boot header (protocol 2.15)
 * whose payload fields point at `payload` (followed by Linux's le32
 * decompressed size), with `decoy` bytes placed before the payload. */
static Bytes make_bzimage(const Bytes *payload, uint32_t plain_size, const Bytes *decoy) {
  Bytes b = {0};
  unsigned char setup[4 * 512] = {0};
  setup[0x1f1] = 3; /* setup_sects: payload base (3 + 1) * 512 */
  memcpy(setup + 0x202, "HdrS", 4);
  setup[0x206] = 0x0f;
  setup[0x207] = 0x02;
  uint32_t poff = 256, plen = (uint32_t)payload->n + 4;
  memcpy(setup + 0x248, &poff, 4);
  memcpy(setup + 0x24c, &plen, 4);
  bytes_append(&b, setup, sizeof setup);
  unsigned char gap[256] = {0};
  if (decoy) memcpy(gap, decoy->p, decoy->n < sizeof gap ? decoy->n : sizeof gap);
  bytes_append(&b, gap, sizeof gap);
  bytes_append(&b, payload->p, payload->n);
  bytes_append(&b, &plain_size, 4);
  unsigned char tail[512];
  fill_random(tail, sizeof tail, 7);
  bytes_append(&b, tail, sizeof tail);
  return b;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0); /* results interleave with sanitizer reports */
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  elf_version(EV_CURRENT);
  Bytes btf = make_btf();
  Bytes elf = make_elf(&btf);
  const char *p;
  char want[256];

  /* ---- inputs that are not kernels ---- */
  p = tmp_path("missing");
  expect_error("missing-file", p, "cannot open: No such file or directory", false, -ENOENT);
  expect_error("directory", tmpdir, "not a regular file", false, -EINVAL);
  p = tmp_path("empty");
  write_file(p, "", 0);
  expect_error("empty-file", p, "empty file", false, -EINVAL);
  p = tmp_path("random");
  static unsigned char rnd[1 << 16];
  fill_random(rnd, sizeof rnd, 1);
  write_file(p, rnd, sizeof rnd);
  expect_error("random-bytes", p,
               "not a kernel image: neither ELF nor BTF, and no gzip, xz, lzma or zstd payload "
               "in it decompresses to an ELF",
               false, -EINVAL);
  p = tmp_path("short");
  write_file(p, "\177EL", 3);
  expect_error("three-bytes", p,
               "not a kernel image: neither ELF nor BTF, and no gzip, xz, lzma or zstd payload "
               "in it decompresses to an ELF",
               false, -EINVAL);
  if (access("/bin/true", R_OK) == 0)
    expect_error("elf-without-btf", "/bin/true",
                 "no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)", false, -ENOENT);
  else
    printf("SKIP: unit/kimage/elf-without-btf (no /bin/true)\n");
  Bytes nobtf = make_elf(NULL);
  p = tmp_path("nobtf.elf");
  write_file(p, nobtf.p, nobtf.n);
  expect_error("built-elf-without-btf", p,
               "no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)", false, -ENOENT);
  Bytes notbtf = {(unsigned char *)"not BTF at all", 14, 0};
  Bytes badelf = make_elf(&notbtf);
  p = tmp_path("badbtf.elf");
  write_file(p, badelf.p, badelf.n);
  expect_error("btf-section-bad-magic", p, "the .BTF section does not hold BTF (no 0xeB9F magic)",
               false, -EINVAL);
  /* The section headers are at the end: cut them off. */
  p = tmp_path("cut.elf");
  write_file(p, elf.p, elf.n - 64);
  snprintf(want, sizeof want, "truncated ELF file (section headers end at byte %zu, the file has %zu)",
           elf.n, elf.n - 64);
  expect_error("truncated-elf", p, want, false, -EINVAL);

  /* ---- ELF and raw BTF ---- */
  p = tmp_path("vmlinux");
  write_file(p, elf.p, elf.n);
  expect_btf("elf-with-btf", p, &btf);
  p = tmp_path("raw.btf");
  write_file(p, btf.p, btf.n);
  expect_btf("raw-btf", p, &btf);

  /* ---- each codec, alone and after junk (found by scanning) ---- */
  Bytes bz;
  Bytes packed[4] = {compress_gzip(&elf), compress_xz(&elf, false), compress_zstd(&elf),
                     compress_xz(&elf, true)};
  const char *codec[4] = {"gzip", "xz", "zstd", "lzma"};
  for (int c = 0; c < 4; c++) {
    char name[64], file[64];
    snprintf(file, sizeof file, "payload.%s", codec[c]);
    p = tmp_path(file);
    write_file(p, packed[c].p, packed[c].n);
    snprintf(name, sizeof name, "%s-elf", codec[c]);
    expect_btf(name, p, &btf);

    /* Junk with every magic number in it, then the payload, then junk. */
    Bytes img = {0};
    unsigned char junk[3000];
    fill_random(junk, sizeof junk, 3);
    bytes_append(&img, junk, sizeof junk);
    bytes_append(&img, "\x1f\x8b\x08\x00\xfd" "7zXZ\x00\x00\x28\xb5\x2f\xfd\x5d\x00\x00", 17);
    bytes_append(&img, packed[c].p, packed[c].n);
    bytes_append(&img, junk, 100);
    snprintf(file, sizeof file, "scan.%s", codec[c]);
    p = tmp_path(file);
    write_file(p, img.p, img.n);
    snprintf(name, sizeof name, "%s-after-junk", codec[c]);
    expect_btf(name, p, &btf);
    free(img.p);

    /* Behind a boot header, with a decoy of another codec before it. */
    Bytes decoy = packed[(c + 1) % 4];
    bz = make_bzimage(&packed[c], (uint32_t)elf.n, &decoy);
    snprintf(file, sizeof file, "bzImage.%s", codec[c]);
    p = tmp_path(file);
    write_file(p, bz.p, bz.n);
    snprintf(name, sizeof name, "%s-bzimage", codec[c]);
    expect_btf(name, p, &btf);
    free(bz.p);
  }

  /* ---- damaged payloads ---- */
  size_t decoded = 0;
  for (int c = 0; c < 4; c++) {
    char name[64], file[64];
    snprintf(file, sizeof file, "cut.%s", codec[c]);
    p = tmp_path(file);
    write_file(p, packed[c].p, packed[c].n / 2);
    snprintf(name, sizeof name, "truncated-%s", codec[c]);
    snprintf(want, sizeof want, "the %s payload at offset 0 is truncated (", codec[c]);
    expect_error(name, p, want, true, -EINVAL);
  }
  /* A flipped run of bytes in the middle of the xz stream. */
  Bytes bad = {0};
  bytes_append(&bad, packed[1].p, packed[1].n);
  for (size_t i = 0; i < 16; i++) bad.p[bad.n / 2 + i] ^= 0x55;
  p = tmp_path("corrupt.xz");
  write_file(p, bad.p, bad.n);
  void *data = NULL;
  size_t size = 0;
  char *err = NULL;
  int rc = kimage_read_btf(p, &data, &size, &err);
  snprintf(want, sizeof want, "%s: the xz payload at offset 0 is corrupt (", p);
  size_t wn = strlen(want);
  checkf("corrupt-xz",
        rc == -EINVAL && err && strncmp(err, want, wn) == 0 &&
            sscanf(err + wn, "%zu bytes of ELF decoded)", &decoded) == 1 && decoded > 0 &&
            decoded <= elf.n && !data,
        "got: %s", err ? err : "(null)");
  free(err);
  free(bad.p);

  /* "5d 00 00" is no lzma candidate unless the rest of the header is
   * plausible (else every such triple would cost a dictionary). */
  Bytes triples = {0};
  while (triples.n < (1 << 16)) bytes_append(&triples, "\x5d\x00\x00", 3);
  p = tmp_path("lzma-magics");
  write_file(p, triples.p, triples.n);
  expect_error("implausible-lzma-headers", p,
               "not a kernel image: neither ELF nor BTF, and no gzip, xz, lzma or zstd payload "
               "in it decompresses to an ELF",
               false, -EINVAL);
  free(triples.p);

  /* A boot header whose payload runs past the end of the file. */
  bz = make_bzimage(&packed[1], (uint32_t)elf.n, NULL);
  p = tmp_path("bzImage.cut");
  write_file(p, bz.p, 4 * 512 + 256 + 1000);
  snprintf(want, sizeof want,
           "truncated kernel image (its boot header puts the payload at bytes %d-%zu, the file "
           "has %d)",
           4 * 512 + 256, 4 * 512 + 256 + packed[1].n + 4, 4 * 512 + 256 + 1000);
  expect_error("truncated-bzimage", p, want, false, -EINVAL);
  free(bz.p);

  /* Work is bounded: gzip headers whose file names run to the end of the
   * file (each makes zlib read all the rest), and a crowd of gzip headers
   * (each followed by an invalid deflate block). */
  Bytes names = {0};
  while (names.n < (1 << 20)) bytes_append(&names, "\x1f\x8b\x08\x08\x01\x01\x01\x01\x02\x03", 10);
  p = tmp_path("gzip-names");
  write_file(p, names.p, names.n);
  expect_error("scan-input-budget", p, "not a kernel image: gave up after ", true, -EINVAL);
  free(names.p);
  Bytes magics = {0};
  while (magics.n < (1 << 20))
    bytes_append(&magics, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  p = tmp_path("gzip-headers");
  write_file(p, magics.p, magics.n);
  expect_error("scan-candidate-limit", p,
               "not a kernel image: gave up after 4096 compressed-data candidates, none of which "
               "decompresses to an ELF",
               false, -EINVAL);
  free(magics.p);

  /* A boot header pointing at a bzip2 payload. */
  Bytes bz2 = {(unsigned char *)"BZh91AY&SY0123456789", 20, 0};
  Bytes img = make_bzimage(&bz2, 1000, NULL);
  p = tmp_path("bzImage.bzip2");
  write_file(p, img.p, img.n);
  expect_error("unsupported-bzip2", p,
               "the kernel payload is bzip2-compressed; only gzip, xz, lzma and zstd payloads "
               "can be read",
               false, -ENOTSUP);
  free(img.p);

  /* A boot header whose payload is a compressed non-ELF. */
  Bytes text = {(unsigned char *)"just some text, not a kernel", 28, 0};
  Bytes gz = compress_gzip(&text);
  img = make_bzimage(&gz, 28, NULL);
  p = tmp_path("bzImage.text");
  write_file(p, img.p, img.n);
  expect_error("payload-not-elf", p,
               "not a kernel image: neither ELF nor BTF, and no gzip, xz, lzma or zstd payload "
               "in it decompresses to an ELF",
               false, -EINVAL);
  free(img.p);
  free(gz.p);

  for (int c = 0; c < 4; c++) free(packed[c].p);
  free(btf.p);
  free(elf.p);
  free(nobtf.p);
  free(badelf.p);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
  return failures ? 1 : 0;
}
