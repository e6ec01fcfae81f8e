/* SPDX-License-Identifier: BSD-3-Clause */
/* The mem and str functions the compiler may call in freestanding code. Firmware SDK. */
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Stores through volatile: the compiler must not turn these loops back into calls to
 * themselves. */
/* A word of memory that may alias anything (what memcpy copies has any type). */
typedef unsigned long __attribute__((may_alias)) fw_word;

#if defined(__SSE2__)
/* Sixteen bytes at any alignment: one SSE2 load and one store, on every x86-64 core. */
typedef unsigned char __attribute__((vector_size(16), may_alias, aligned(1))) fw_chunk;
#endif

/*
 * rpmsg copies whole messages, so this is on every send and every consumer's read. A byte at a
 * time, a 496-byte message cost as much as the rest of a send. A word at a time, the sim's
 * polled remote->host stream still spent a sixth of the remote's samples here (62 stores a
 * message): where the core has SSE2, sixteen bytes at a time at any alignment, then words
 * where source and destination are aligned alike, then bytes.
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const unsigned char *s = src;

#if defined(__SSE2__)
	for (; n >= sizeof(fw_chunk); n -= sizeof(fw_chunk)) {
		*(volatile fw_chunk *)d = *(const fw_chunk *)s;
		d += sizeof(fw_chunk);
		s += sizeof(fw_chunk);
	}
#endif
	if ((((unsigned long)d ^ (unsigned long)s) & (sizeof(fw_word) - 1)) == 0) {
		for (; n && ((unsigned long)d & (sizeof(fw_word) - 1)); n--)
			*d++ = *s++;
		for (; n >= sizeof(fw_word); n -= sizeof(fw_word)) {
			*(volatile fw_word *)d = *(const fw_word *)s;
			d += sizeof(fw_word);
			s += sizeof(fw_word);
		}
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const unsigned char *s = src;

	if ((const unsigned char *)d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	volatile unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
