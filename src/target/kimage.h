/* kimage: the BTF of a kernel from its image file: an ELF vmlinux, or a
 * compressed bzImage (vmlinuz) whose payload is decompressed to find the
 * vmlinux ELF and its .BTF section.  This is how a kernel with no build
 * tree and no debuginfo still describes its types (cross-kernel builds:
 * Debian's linux-image package ships only boot/vmlinuz-RELEASE). */
#ifndef CTAP_TARGET_KIMAGE_H
#define CTAP_TARGET_KIMAGE_H

#include <stddef.h>

/* Extract the .BTF section of a kernel: `path` is either an ELF vmlinux or a
 * compressed bzImage/vmlinuz (gzip, xz, lzma or zstd payload); a file that
 * is already raw BTF (/sys/kernel/btf/vmlinux) is returned as it is.  On
 * success returns 0, a malloc'd copy of the raw BTF bytes in *data and *size,
 * and NULL in *err; on failure a negative errno and a malloc'd message in
 * *err naming the file and what was wrong (NULL only if even that could not
 * be allocated), with *data NULL and *size 0.  The BTF is checked only for
 * its magic number; parse it with libbpf's btf__new(). */
int kimage_read_btf(const char *path, void **data, size_t *size, char **err);

#endif
