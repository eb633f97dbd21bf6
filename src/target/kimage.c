/* kimage: see kimage.h.  An ELF vmlinux is read in place with libelf.  A
 * bzImage carries the kernel as a compressed payload after its setup code:
 * the x86 boot header (protocol 2.08 and later) says where; otherwise, or if
 * that fails, we scan for the magic numbers of the compressors Linux uses
 * and decompress each candidate until one yields an ELF.  The first few KiB
 * of output decide whether a candidate is an ELF, so false matches inside
 * compressed data cost little.  Every size is bounded and every failure is a
 * message naming the file; nothing in the input can crash us. */
#include "target/kimage.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
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
#include <zstd_errors.h>

#define KIMAGE_MAX_OUT ((size_t)1 << 30)    /* bound on a decompressed kernel */
#define KIMAGE_MAX_IN ((size_t)1 << 30)     /* bound on a compressed image read whole */
#define KIMAGE_PROBE_OUT ((size_t)4096)     /* first output, checked for the ELF magic */
#define KIMAGE_MAX_TRIES 4096               /* bound on payload candidates tried */
#define KIMAGE_XZ_MEMLIMIT ((uint64_t)1 << 28) /* xz/lzma decoder memory (dictionary) */

/* The compressors a kernel payload may use that we can read. */
typedef enum { KIMAGE_GZIP, KIMAGE_XZ, KIMAGE_ZSTD, KIMAGE_LZMA, KIMAGE_NCODECS } KimageCodec;

static const struct {
  const char *name;        /* for messages: "the xz payload at offset N" */
  unsigned char magic[6];  /* the stream's first bytes */
  size_t len;              /* how many of them */
} kimage_codecs[KIMAGE_NCODECS] = {
    [KIMAGE_GZIP] = {"gzip", {0x1f, 0x8b, 0x08}, 3},
    [KIMAGE_XZ] = {"xz", {0xfd, '7', 'z', 'X', 'Z', 0x00}, 6},
    [KIMAGE_ZSTD] = {"zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4},
    [KIMAGE_LZMA] = {"lzma", {0x5d, 0x00, 0x00}, 3},
};

/* Compressors Linux also offers that we do not read: named in the message
 * when the boot header points at one. */
static const struct {
  const char *name;        /* compressor name */
  unsigned char magic[4];  /* its stream's first bytes */
  size_t len;              /* how many of them */
} kimage_unsupported[] = {
    {"bzip2", {'B', 'Z', 'h'}, 3},
    {"lzo", {0x89, 'L', 'Z', 'O'}, 4},
    {"lz4", {0x02, 0x21, 0x4c, 0x18}, 4},
};

/* How one decompression attempt ended. */
typedef enum {
  KIMAGE_DEC_ELF,       /* the whole stream decoded, and it is an ELF */
  KIMAGE_DEC_NOT_ELF,   /* an error, or output not starting with the ELF magic */
  KIMAGE_DEC_TRUNCATED, /* ELF output, but the input ended inside the stream */
  KIMAGE_DEC_CORRUPT,   /* ELF output, then a decoding error */
  KIMAGE_DEC_TOO_BIG,   /* ELF output growing past KIMAGE_MAX_OUT */
  KIMAGE_DEC_NOMEM,     /* allocation failed */
} KimageDec;

/* A decompressor's output buffer. */
typedef struct {
  unsigned char *buf; /* the bytes produced (malloc'd) */
  size_t len;         /* how many */
  size_t cap;         /* allocated size of buf */
  size_t hint;        /* expected final size (from the payload), or 0 */
  bool is_elf;        /* the first bytes were checked and are "\177ELF" */
  size_t used;        /* input consumed, for the scan's work budget */
} KimageOut;

/* A malloc'd "what: message", or NULL if memory ran out. */
static char *kimage_msg(const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *tail = NULL;
  int n = vasprintf(&tail, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *m = NULL;
  n = asprintf(&m, "%s: %s", what, tail);
  free(tail);
  return n < 0 ? NULL : m;
}

/* Make room for more output: a small first chunk (most candidates are not
 * ELF and stop there), then the hinted size, then doubling.  Returns
 * KIMAGE_DEC_ELF ("go on") when there is room, else why not. */
static KimageDec kimage_out_room(KimageOut *o) {
  if (o->len < o->cap) return KIMAGE_DEC_ELF;
  size_t ncap;
  if (!o->cap) ncap = KIMAGE_PROBE_OUT;
  else if (o->hint > o->cap) ncap = o->hint + 1; /* +1: see the end without another grow */
  else ncap = o->cap * 2;
  if (o->len >= KIMAGE_MAX_OUT) return KIMAGE_DEC_TOO_BIG;
  if (ncap > KIMAGE_MAX_OUT) ncap = KIMAGE_MAX_OUT;
  unsigned char *n = realloc(o->buf, ncap);
  if (!n) return KIMAGE_DEC_NOMEM;
  o->buf = n;
  o->cap = ncap;
  return KIMAGE_DEC_ELF;
}

/* After each step: false once the output is known not to be an ELF. */
static bool kimage_out_maybe_elf(KimageOut *o) {
  if (o->is_elf || o->len < 4) return true;
  o->is_elf = memcmp(o->buf, ELFMAG, SELFMAG) == 0;
  return o->is_elf;
}

/* The status for a stream that stopped early with `why`: a candidate that
 * never produced an ELF header is simply not the payload. */
static KimageDec kimage_out_fail(const KimageOut *o, KimageDec why) {
  if (why == KIMAGE_DEC_NOMEM) return why;
  return o->is_elf ? why : KIMAGE_DEC_NOT_ELF;
}

static KimageDec kimage_gunzip(const unsigned char *in, size_t len, KimageOut *o) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return KIMAGE_DEC_NOMEM;
  size_t used = 0; /* input handed to zlib so far (avail_in is 32 bits) */
  KimageDec st;
  for (;;) {
    if ((st = kimage_out_room(o)) != KIMAGE_DEC_ELF) break;
    if (z.avail_in == 0 && used < len) {
      size_t chunk = len - used > UINT_MAX ? UINT_MAX : len - used;
      z.next_in = (unsigned char *)in + used;
      z.avail_in = (unsigned)chunk;
      used += chunk;
    }
    size_t room = o->cap - o->len > UINT_MAX ? UINT_MAX : o->cap - o->len;
    z.next_out = o->buf + o->len;
    z.avail_out = (unsigned)room;
    int r = inflate(&z, Z_NO_FLUSH);
    o->len += room - z.avail_out;
    if (!kimage_out_maybe_elf(o)) {
      st = KIMAGE_DEC_NOT_ELF;
      break;
    }
    if (r == Z_STREAM_END) {
      st = o->is_elf ? KIMAGE_DEC_ELF : KIMAGE_DEC_NOT_ELF;
      break;
    }
    if (r == Z_OK || (r == Z_BUF_ERROR && z.avail_out == 0)) continue;
    if (r == Z_BUF_ERROR && z.avail_in == 0 && used == len) st = KIMAGE_DEC_TRUNCATED;
    else if (r == Z_MEM_ERROR) st = KIMAGE_DEC_NOMEM;
    else st = KIMAGE_DEC_CORRUPT;
    break;
  }
  o->used = (size_t)z.total_in;
  inflateEnd(&z);
  return st == KIMAGE_DEC_ELF ? st : kimage_out_fail(o, st);
}

/* xz (alone = false) or the older lzma_alone format. */
static KimageDec kimage_unxz(const unsigned char *in, size_t len, KimageOut *o, bool alone) {
  lzma_stream z = LZMA_STREAM_INIT;
  lzma_ret r = alone ? lzma_alone_decoder(&z, KIMAGE_XZ_MEMLIMIT)
                     : lzma_stream_decoder(&z, KIMAGE_XZ_MEMLIMIT, 0);
  if (r != LZMA_OK) return r == LZMA_MEM_ERROR ? KIMAGE_DEC_NOMEM : KIMAGE_DEC_NOT_ELF;
  z.next_in = in;
  z.avail_in = len;
  KimageDec st;
  for (;;) {
    if ((st = kimage_out_room(o)) != KIMAGE_DEC_ELF) break;
    z.next_out = o->buf + o->len;
    z.avail_out = o->cap - o->len;
    r = lzma_code(&z, LZMA_FINISH);
    o->len = o->cap - z.avail_out;
    if (!kimage_out_maybe_elf(o)) {
      st = KIMAGE_DEC_NOT_ELF;
      break;
    }
    if (r == LZMA_STREAM_END) {
      st = o->is_elf ? KIMAGE_DEC_ELF : KIMAGE_DEC_NOT_ELF;
      break;
    }
    if (r == LZMA_OK) continue;
    if (r == LZMA_BUF_ERROR && z.avail_in == 0) st = KIMAGE_DEC_TRUNCATED;
    else if (r == LZMA_MEM_ERROR) st = KIMAGE_DEC_NOMEM;
    else st = KIMAGE_DEC_CORRUPT;
    break;
  }
  o->used = (size_t)z.total_in;
  lzma_end(&z);
  return st == KIMAGE_DEC_ELF ? st : kimage_out_fail(o, st);
}

static KimageDec kimage_unzstd(const unsigned char *in, size_t len, KimageOut *o) {
  ZSTD_DCtx *z = ZSTD_createDCtx();
  if (!z) return KIMAGE_DEC_NOMEM;
  ZSTD_inBuffer ib = {in, len, 0};
  KimageDec st;
  for (;;) {
    if ((st = kimage_out_room(o)) != KIMAGE_DEC_ELF) break;
    ZSTD_outBuffer ob = {o->buf, o->cap, o->len};
    size_t r = ZSTD_decompressStream(z, &ob, &ib);
    o->len = ob.pos;
    if (!kimage_out_maybe_elf(o)) {
      st = KIMAGE_DEC_NOT_ELF;
      break;
    }
    if (ZSTD_isError(r)) {
      st = ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? KIMAGE_DEC_NOMEM
                                                                 : KIMAGE_DEC_CORRUPT;
      break;
    }
    if (r == 0) { /* a frame is complete; what follows is not ours */
      st = o->is_elf ? KIMAGE_DEC_ELF : KIMAGE_DEC_NOT_ELF;
      break;
    }
    if (ib.pos == ib.size && ob.pos < ob.size) {
      st = KIMAGE_DEC_TRUNCATED;
      break;
    }
  }
  o->used = ib.pos;
  ZSTD_freeDCtx(z);
  return st == KIMAGE_DEC_ELF ? st : kimage_out_fail(o, st);
}

static KimageDec kimage_decompress(KimageCodec c, const unsigned char *in, size_t len,
                                   KimageOut *o) {
  switch (c) {
  case KIMAGE_GZIP: return kimage_gunzip(in, len, o);
  case KIMAGE_XZ: return kimage_unxz(in, len, o, false);
  case KIMAGE_ZSTD: return kimage_unzstd(in, len, o);
  default: return kimage_unxz(in, len, o, true);
  }
}

/* libelf's reason for the last failure (some failures set none). */
static const char *kimage_elf_why(void) {
  int e = elf_errno();
  return e ? elf_errmsg(e) : "malformed header";
}

/* A malloc'd copy of the BTF in `elf` (an image of `len` bytes), or a
 * message naming `what`. */
static int kimage_elf_btf(const char *what, Elf *elf, size_t len, void **data, size_t *size,
                          char **err) {
  GElf_Ehdr eh;
  (void)elf_errno(); /* start clean: the reasons below are for this file */
  if (elf_kind(elf) != ELF_K_ELF) {
    *err = kimage_msg(what, "invalid ELF file: unknown ELF class or version");
    return -EINVAL;
  }
  if (!gelf_getehdr(elf, &eh)) {
    *err = kimage_msg(what, "invalid ELF file: %s", kimage_elf_why());
    return -EINVAL;
  }
  /* libelf quietly drops the section headers past the end of a file. */
  uint64_t shend = eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
  if (eh.e_shoff > len || shend > len) {
    *err = kimage_msg(what, "truncated ELF file (section headers end at byte %llu, the file has %zu)",
                      (unsigned long long)shend, len);
    return -EINVAL;
  }
  size_t shstrndx;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
    *err = kimage_msg(what, "invalid ELF file: %s", kimage_elf_why());
    return -EINVAL;
  }
  Elf_Scn *scn = NULL;
  GElf_Shdr sh;
  while ((scn = elf_nextscn(elf, scn)) != NULL) {
    if (!gelf_getshdr(scn, &sh)) {
      *err = kimage_msg(what, "invalid ELF section header: %s", kimage_elf_why());
      return -EINVAL;
    }
    const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (!name) {
      *err = kimage_msg(what, "invalid ELF section name: %s", kimage_elf_why());
      return -EINVAL;
    }
    if (strcmp(name, ".BTF") == 0) break;
  }
  if (!scn) {
    *err = kimage_msg(what, "no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)");
    return -ENOENT;
  }
  if (sh.sh_type == SHT_NOBITS) {
    *err = kimage_msg(what, "the .BTF section has no data (SHT_NOBITS)");
    return -EINVAL;
  }
  Elf_Data *d = elf_rawdata(scn, NULL);
  if (!d) {
    *err = kimage_msg(what, "cannot read the .BTF section: %s", kimage_elf_why());
    return -EINVAL;
  }
  const unsigned char *b = d->d_buf;
  if (d->d_size < 4 || !b || !((b[0] == 0x9f && b[1] == 0xeb) || (b[0] == 0xeb && b[1] == 0x9f))) {
    *err = kimage_msg(what, "the .BTF section does not hold BTF (no 0xeB9F magic)");
    return -EINVAL;
  }
  *data = malloc(d->d_size);
  if (!*data) {
    *err = kimage_msg(what, "out of memory");
    return -ENOMEM;
  }
  memcpy(*data, d->d_buf, d->d_size);
  *size = d->d_size;
  return 0;
}

/* The ELF file open on fd, read in place (a vmlinux with debuginfo is
 * hundreds of MB; only its section headers and .BTF are touched). */
static int kimage_btf_from_fd(const char *path, int fd, size_t len, void **data, size_t *size,
                              char **err) {
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  if (!elf) {
    *err = kimage_msg(path, "invalid ELF file: %s", kimage_elf_why());
    return -EINVAL;
  }
  int rc = kimage_elf_btf(path, elf, len, data, size, err);
  elf_end(elf);
  return rc;
}

/* The whole of a regular file, bounded by KIMAGE_MAX_IN. */
static int kimage_slurp(const char *path, int fd, const struct stat *st, unsigned char **buf,
                        size_t *len, char **err) {
  if ((uint64_t)st->st_size > KIMAGE_MAX_IN) {
    *err = kimage_msg(path, "too large for a compressed kernel image (over %zu MiB)",
                      KIMAGE_MAX_IN >> 20);
    return -EFBIG;
  }
  size_t cap = (size_t)st->st_size + 1, n = 0; /* +1: sysfs sizes can be short */
  unsigned char *b = malloc(cap);
  for (;;) {
    if (!b) {
      *err = kimage_msg(path, "out of memory");
      return -ENOMEM;
    }
    if (n == cap) {
      if (cap > KIMAGE_MAX_IN) {
        free(b);
        *err = kimage_msg(path, "too large for a compressed kernel image (over %zu MiB)",
                          KIMAGE_MAX_IN >> 20);
        return -EFBIG;
      }
      unsigned char *nb = realloc(b, cap * 2);
      if (!nb) free(b);
      b = nb;
      cap *= 2;
      continue;
    }
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      free(b);
      *err = kimage_msg(path, "cannot read: %s", strerror(e));
      return -e;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  *buf = b;
  *len = n;
  return 0;
}

/* Decompress the candidate at `off` and take the BTF of the ELF it holds;
 * add the input it consumed to *used.  Returns 1 if the candidate is not an
 * ELF payload (try the next one), else 0 or a negative errno with *err set. */
static int kimage_try_payload(const char *path, const unsigned char *buf, size_t len, size_t off,
                              KimageCodec c, size_t hint, size_t *used, void **data, size_t *size,
                              char **err) {
  KimageOut o = {.hint = hint <= KIMAGE_MAX_OUT ? hint : 0};
  KimageDec st = kimage_decompress(c, buf + off, len - off, &o);
  *used += o.used;
  const char *cn = kimage_codecs[c].name;
  int rc = 0;
  switch (st) {
  case KIMAGE_DEC_NOT_ELF: rc = 1; break;
  case KIMAGE_DEC_TRUNCATED:
    *err = kimage_msg(path, "the %s payload at offset %zu is truncated (%zu bytes of ELF decoded)",
                      cn, off, o.len);
    rc = -EINVAL;
    break;
  case KIMAGE_DEC_CORRUPT:
    *err = kimage_msg(path, "the %s payload at offset %zu is corrupt (%zu bytes of ELF decoded)",
                      cn, off, o.len);
    rc = -EINVAL;
    break;
  case KIMAGE_DEC_TOO_BIG:
    *err = kimage_msg(path, "the %s payload at offset %zu decompresses to more than %zu MiB", cn,
                      off, KIMAGE_MAX_OUT >> 20);
    rc = -EFBIG;
    break;
  case KIMAGE_DEC_NOMEM:
    *err = kimage_msg(path, "out of memory decompressing the %s payload at offset %zu", cn, off);
    rc = -ENOMEM;
    break;
  case KIMAGE_DEC_ELF: {
    char *what = NULL;
    if (asprintf(&what, "%s: the ELF in the %s payload at offset %zu", path, cn, off) < 0) {
      rc = -ENOMEM;
      break;
    }
    Elf *elf = elf_memory((char *)o.buf, o.len);
    if (!elf) {
      *err = kimage_msg(what, "invalid ELF file: %s", kimage_elf_why());
      rc = -EINVAL;
    } else {
      rc = kimage_elf_btf(what, elf, o.len, data, size, err);
      elf_end(elf);
    }
    free(what);
    break;
  }
  }
  free(o.buf);
  return rc;
}

static uint32_t kimage_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whether the 13-byte lzma_alone header at p is plausible, as xz's own
 * format detection judges it: "5d 00 00" is common in any binary, and
 * liblzma would otherwise allocate whatever dictionary the bytes say.  The
 * dictionary is 2^n or 2^n + 2^(n-1); the size unknown or below 256 GiB. */
static bool kimage_lzma_header_ok(const unsigned char *p, size_t avail) {
  if (avail < 13) return false;
  uint32_t d = kimage_le32(p + 1);
  if (d == 0) return false;
  uint32_t top = d;
  while (top & (top - 1)) top &= top - 1; /* highest bit */
  if (d != top && d != top + (top >> 1)) return false;
  bool unknown = true;
  for (int i = 5; i < 13; i++) unknown = unknown && p[i] == 0xff;
  return unknown || (p[12] == 0 && p[11] == 0 && p[10] == 0 && (p[9] & 0xc0) == 0);
}

/* The codec whose magic is at buf[off], or KIMAGE_NCODECS. */
static KimageCodec kimage_codec_at(const unsigned char *buf, size_t len, size_t off) {
  for (int c = 0; c < KIMAGE_NCODECS; c++)
    if (len - off >= kimage_codecs[c].len &&
        memcmp(buf + off, kimage_codecs[c].magic, kimage_codecs[c].len) == 0 &&
        (c != KIMAGE_LZMA || kimage_lzma_header_ok(buf + off, len - off)))
      return (KimageCodec)c;
  return KIMAGE_NCODECS;
}

/* The payload an x86 boot header (protocol 2.08+) points at: returns 1 and
 * its offset and length; -1 and where it would end if that is past the end
 * of buf (a truncated image); 0 if buf has no such header. */
static int kimage_boot_payload(const unsigned char *buf, size_t len, size_t *off, size_t *plen) {
  if (len < 0x250 || memcmp(buf + 0x202, "HdrS", 4) != 0) return 0;
  unsigned version = (unsigned)buf[0x206] | (unsigned)buf[0x207] << 8;
  if (version < 0x208) return 0;
  size_t setup_sects = buf[0x1f1] ? buf[0x1f1] : 4; /* 0 means 4, by the protocol */
  size_t start = (setup_sects + 1) * 512 + kimage_le32(buf + 0x248);
  size_t n = kimage_le32(buf + 0x24c);
  *off = start;
  *plen = n;
  if (n < 8) return 0;
  if (start >= len || n > len - start) return -1;
  *plen = n;
  return 1;
}

/* BTF from a compressed kernel image held in buf.  The first candidate
 * that decompresses to an ELF decides, success or failure.  Candidates that
 * are not ELF cost little output but may read much input (a gzip header's
 * unterminated name, say): the total is bounded too. */
static int kimage_btf_from_image(const char *path, const unsigned char *buf, size_t len,
                                 void **data, size_t *size, char **err) {
  size_t poff = 0, plen = 0, used = 0;
  const size_t budget = 4 * len + ((size_t)64 << 20); /* input decoders may read in all */
  const char *unsupported = NULL;
  int boot = kimage_boot_payload(buf, len, &poff, &plen);
  if (boot > 0) {
    KimageCodec c = kimage_codec_at(buf, poff + plen, poff);
    if (c != KIMAGE_NCODECS) {
      /* Linux appends the decompressed size (le32) to the payload. */
      size_t hint = kimage_le32(buf + poff + plen - 4);
      int rc = kimage_try_payload(path, buf, poff + plen, poff, c, hint, &used, data, size, err);
      if (rc <= 0) return rc;
    }
    for (size_t u = 0; u < sizeof kimage_unsupported / sizeof *kimage_unsupported; u++)
      if (memcmp(buf + poff, kimage_unsupported[u].magic, kimage_unsupported[u].len) == 0)
        unsupported = kimage_unsupported[u].name;
  }
  /* Without a usable boot header: every magic number, in file order.  For
   * a truncated image, the boot header's message is clearer than what the
   * scan finds in the cut payload. */
  int tries = 0;
  for (size_t off = 0; off < len && tries < KIMAGE_MAX_TRIES && used <= budget; off++) {
    KimageCodec c = kimage_codec_at(buf, len, off);
    if (c == KIMAGE_NCODECS) continue;
    tries++;
    int rc = kimage_try_payload(path, buf, len, off, c, 0, &used, data, size, err);
    if (rc == 0 || (rc < 0 && boot >= 0)) return rc;
    if (rc < 0) { /* the boot header's message below says more */
      free(*err);
      *err = NULL;
      break;
    }
  }
  if (unsupported) {
    *err = kimage_msg(path,
                      "the kernel payload is %s-compressed; only gzip, xz, lzma and zstd "
                      "payloads can be read",
                      unsupported);
    return -ENOTSUP;
  }
  if (boot < 0) {
    *err = kimage_msg(path,
                      "truncated kernel image (its boot header puts the payload at bytes "
                      "%zu-%zu, the file has %zu)",
                      poff, poff + plen, len);
    return -EINVAL;
  }
  if (tries == KIMAGE_MAX_TRIES || used > budget) {
    *err = kimage_msg(path,
                      "not a kernel image: gave up after %d compressed-data candidates, none "
                      "of which decompresses to an ELF",
                      tries);
    return -EINVAL;
  }
  *err = kimage_msg(path,
                    "not a kernel image: neither ELF nor BTF, and no gzip, xz, lzma or zstd "
                    "payload in it decompresses to an ELF");
  return -EINVAL;
}

static bool kimage_is_btf(const unsigned char *b, size_t len) {
  return len >= 4 && ((b[0] == 0x9f && b[1] == 0xeb) || (b[0] == 0xeb && b[1] == 0x9f)) &&
         b[2] == 1; /* version 1, the only one */
}

int kimage_read_btf(const char *path, void **data, size_t *size, char **err) {
  *data = NULL;
  *size = 0;
  *err = NULL;
  if (elf_version(EV_CURRENT) == EV_NONE) {
    *err = kimage_msg(path, "libelf is out of date");
    return -ENOSYS;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    *err = kimage_msg(path, "cannot open: %s", strerror(e));
    return -e;
  }
  struct stat st;
  int rc;
  unsigned char head[4];
  ssize_t nhead;
  if (fstat(fd, &st) != 0) {
    rc = -errno;
    *err = kimage_msg(path, "cannot stat: %s", strerror(-rc));
  } else if (!S_ISREG(st.st_mode)) {
    rc = -EINVAL;
    *err = kimage_msg(path, "not a regular file");
  } else if ((nhead = pread(fd, head, sizeof head, 0)) < 0) {
    rc = -errno;
    *err = kimage_msg(path, "cannot read: %s", strerror(-rc));
  } else if (nhead == 0) {
    rc = -EINVAL;
    *err = kimage_msg(path, "empty file");
  } else if (nhead == 4 && memcmp(head, ELFMAG, SELFMAG) == 0) {
    rc = kimage_btf_from_fd(path, fd, (size_t)st.st_size, data, size, err);
  } else {
    unsigned char *buf = NULL;
    size_t len = 0;
    rc = kimage_slurp(path, fd, &st, &buf, &len, err);
    if (rc == 0 && kimage_is_btf(buf, len)) {
      *data = buf; /* raw BTF already: hand over the buffer */
      *size = len;
      buf = NULL;
    } else if (rc == 0) {
      rc = kimage_btf_from_image(path, buf, len, data, size, err);
    }
    free(buf);
  }
  close(fd);
  if (rc < 0) {
    free(*data);
    *data = NULL;
    *size = 0;
  }
  return rc;
}
