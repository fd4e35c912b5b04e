/* Clocks for the programs (never used inside raft, txn or scheduler
 * decision logic, which take time as an input). */
#ifndef TK_UTIL_CLOCK_H
#define TK_UTIL_CLOCK_H

#include <stdint.h>

/* Monotonic nanoseconds (CLOCK_MONOTONIC). */
uint64_t tk_mono_ns(void);
/* Wall clock milliseconds since the Unix epoch (CLOCK_REALTIME). */
uint64_t tk_wall_ms(void);

#endif
