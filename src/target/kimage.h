/* kimage: the BTF of a kernel from its image file: an ELF vmlinux, or a
 * compressed bzImage (vmlinuz) whose payload is decompressed to find the
 * vmlinux ELF and its .BTF section.  This is how a kernel with no build
 * tree and no debuginfo still describes its types (cross-kernel builds). */
#ifndef CTAP_TARGET_KIMAGE_H
#define CTAP_TARGET_KIMAGE_H

#include <stddef.h>

/* Extract the .BTF section of a kernel: `path` is either an ELF vmlinux or a
 * compressed bzImage (vmlinuz).  On success returns 0 and a malloc'd copy of the
 * raw BTF bytes in *data and *size; on failure a negative errno and a malloc'd
 * message in *err naming the file and what was wrong. */
int kimage_read_btf(const char *path, void **data, size_t *size, char **err);

#endif
