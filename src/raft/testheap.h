/* How much heap is in use, for the tests that show that something frees
 * what it allocated.  Test code only. */
#ifndef TK_RAFT_TESTHEAP_H
#define TK_RAFT_TESTHEAP_H

#include <stddef.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* Bytes the C library has handed out and not got back (0 where it cannot
 * tell, e.g. under AddressSanitizer, whose leak check covers this then). */
static inline size_t heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	return mallinfo2().uordblks;
#else
	return 0;
#endif
}

#endif
