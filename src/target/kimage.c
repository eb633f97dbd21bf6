/* kimage: see kimage.h.  A bzImage carries the kernel as a compressed
 * payload somewhere after its setup code; we look for the magic numbers of
 * the compressors Linux uses, decompress each candidate until one yields
 * an ELF, and read its .BTF section with libelf. */
#include "target/kimage.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define KIMAGE_MAX_OUT ((size_t)1 << 30) /* decompressed size bound */

static char *msg(const char *path, const char *what) {
  size_t n = strlen(path) + strlen(what) + 4;
  char *m = malloc(n);
  if (m) snprintf(m, n, "%s: %s", path, what);
  return m;
}

static int read_all(const char *path, unsigned char **buf, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return -errno;
  size_t cap = 1 << 20, n = 0;
  unsigned char *b = malloc(cap);
  for (;;) {
    if (!b) {
      fclose(fp);
      return -ENOMEM;
    }
    n += fread(b + n, 1, cap - n, fp);
    if (n < cap) break;
    cap *= 2;
    unsigned char *nb = realloc(b, cap);
    if (!nb) free(b);
    b = nb;
  }
  fclose(fp);
  *buf = b;
  *len = n;
  return 0;
}

/* Grow *out for the decompressors; false past the bound. */
static bool grow(unsigned char **out, size_t *cap) {
  size_t ncap = *cap ? *cap * 2 : 64 << 20;
  if (ncap > KIMAGE_MAX_OUT) return false;
  unsigned char *n = realloc(*out, ncap);
  if (!n) return false;
  *out = n;
  *cap = ncap;
  return true;
}

static size_t inflate_gzip(const unsigned char *in, size_t len, unsigned char **out) {
  z_stream z = {0};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return 0;
  size_t cap = 0;
  z.next_in = (unsigned char *)in;
  z.avail_in = (unsigned)(len > UINT32_MAX ? UINT32_MAX : len);
  int r = Z_OK;
  while (r == Z_OK) {
    if (z.total_out == cap && !grow(out, &cap)) break;
    z.next_out = *out + z.total_out;
    z.avail_out = (unsigned)(cap - z.total_out);
    r = inflate(&z, Z_NO_FLUSH);
  }
  size_t n = z.total_out;
  inflateEnd(&z);
  return r == Z_STREAM_END || r == Z_BUF_ERROR ? n : (r == Z_DATA_ERROR && n > 64 ? n : 0);
}

static size_t inflate_xz(const unsigned char *in, size_t len, unsigned char **out, bool lzma_alone) {
  lzma_stream z = LZMA_STREAM_INIT;
  if ((lzma_alone ? lzma_alone_decoder(&z, UINT64_MAX)
                  : lzma_stream_decoder(&z, UINT64_MAX, LZMA_CONCATENATED)) != LZMA_OK)
    return 0;
  size_t cap = 0;
  z.next_in = in;
  z.avail_in = len;
  lzma_ret r = LZMA_OK;
  while (r == LZMA_OK) {
    if (z.total_out == cap && !grow(out, &cap)) break;
    z.next_out = *out + z.total_out;
    z.avail_out = cap - z.total_out;
    r = lzma_code(&z, LZMA_FINISH);
  }
  size_t n = z.total_out;
  lzma_end(&z);
  return r == LZMA_STREAM_END || (n > 64 && r != LZMA_MEM_ERROR) ? n : 0;
}

static size_t inflate_zstd(const unsigned char *in, size_t len, unsigned char **out) {
  ZSTD_DStream *z = ZSTD_createDStream();
  if (!z) return 0;
  ZSTD_initDStream(z);
  ZSTD_inBuffer ib = {in, len, 0};
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap && !grow(out, &cap)) break;
    ZSTD_outBuffer ob = {*out, cap, n};
    size_t r = ZSTD_decompressStream(z, &ob, &ib);
    n = ob.pos;
    if (ZSTD_isError(r)) break;
    if (r == 0 || (ib.pos == ib.size && ob.pos < ob.size)) break;
  }
  ZSTD_freeDStream(z);
  return n;
}

/* Copy the .BTF section of the ELF image in buf, or report why not. */
static int elf_btf(const char *path, unsigned char *buf, size_t len, void **data, size_t *size,
                   char **err) {
  elf_version(EV_CURRENT);
  Elf *elf = elf_memory((char *)buf, len);
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    if (elf) elf_end(elf);
    *err = msg(path, "not an ELF file");
    return -EINVAL;
  }
  size_t shstrndx;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    elf_end(elf);
    *err = msg(path, "ELF file without section names");
    return -EINVAL;
  }
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (!name || strcmp(name, ".BTF") != 0) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d || !d->d_buf || !d->d_size) break;
    *data = malloc(d->d_size);
    if (!*data) {
      elf_end(elf);
      return -ENOMEM;
    }
    memcpy(*data, d->d_buf, d->d_size);
    *size = d->d_size;
    elf_end(elf);
    return 0;
  }
  elf_end(elf);
  *err = msg(path, "the kernel has no .BTF section (built without CONFIG_DEBUG_INFO_BTF?)");
  return -ENOENT;
}

int kimage_read_btf(const char *path, void **data, size_t *size, char **err) {
  unsigned char *buf = NULL;
  size_t len = 0;
  *err = NULL;
  int rc = read_all(path, &buf, &len);
  if (rc < 0) {
    *err = msg(path, strerror(-rc));
    return rc;
  }
  if (len >= 4 && memcmp(buf, "\177ELF", 4) == 0) {
    rc = elf_btf(path, buf, len, data, size, err);
    free(buf);
    return rc;
  }
  static const struct {
    const unsigned char magic[6];
    size_t n;
    int kind; /* 0 gzip, 1 xz, 2 zstd, 3 lzma */
  } magics[] = {{{0x1f, 0x8b, 0x08}, 3, 0},
                {{0xfd, '7', 'z', 'X', 'Z', 0x00}, 6, 1},
                {{0x28, 0xb5, 0x2f, 0xfd}, 4, 2},
                {{0x5d, 0x00, 0x00}, 3, 3}};
  for (size_t m = 0; m < sizeof magics / sizeof *magics; m++) {
    for (size_t off = 0; off + magics[m].n <= len; off++) {
      if (memcmp(buf + off, magics[m].magic, magics[m].n) != 0) continue;
      unsigned char *out = NULL;
      size_t n = 0;
      switch (magics[m].kind) {
      case 0: n = inflate_gzip(buf + off, len - off, &out); break;
      case 1: n = inflate_xz(buf + off, len - off, &out, false); break;
      case 2: n = inflate_zstd(buf + off, len - off, &out); break;
      default: n = inflate_xz(buf + off, len - off, &out, true); break;
      }
      if (n >= 4 && memcmp(out, "\177ELF", 4) == 0) {
        char *e2 = NULL;
        rc = elf_btf(path, out, n, data, size, &e2);
        free(out);
        free(buf);
        *err = e2;
        return rc;
      }
      free(out);
    }
  }
  free(buf);
  *err = msg(path, "neither an ELF vmlinux nor a compressed kernel image with one inside");
  return -EINVAL;
}
