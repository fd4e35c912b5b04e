/* Per-key latches: serialize transaction commands that touch the same keys
 * while commands on different keys run freely (DESIGN.md section 7).
 *
 * Keys hash into a fixed table of slots.  A command needs every slot of its
 * keys; it takes them one at a time in ascending slot order and, when a slot
 * is held, waits in that slot's FIFO queue.  Because every command climbs the
 * slots in the same order, no cycle of waiters (deadlock) can form; because
 * each slot hands itself to the oldest waiter, no command starves behind later
 * ones.  Two keys that share a slot are serialized too: a false conflict that
 * costs latency, never correctness.
 *
 * The latches do no I/O and take no locks: they are driven by one reactor
 * thread.  The reactor calls txn_latches_acquire when a command arrives; if it
 * is queued, the command is parked until a txn_latches_release of another
 * command reports it runnable.  A command must be released exactly once, when
 * its writes are applied (or it is abandoned); releasing a queued command
 * cancels it. */
#ifndef TK_TXN_LATCHES_H
#define TK_TXN_LATCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"
#include "util/err.h"

struct txn_latches;

/* A latch table with n_slots slots (rounded up to a power of two; 0 means
 * the default, 4096).  NULL on allocation failure. */
struct txn_latches *txn_latches_new(size_t n_slots);
/* Frees the table; commands still registered are forgotten. */
void txn_latches_free(struct txn_latches *l);

/* Register command cmd_id needing the latches of keys[0..n) (duplicates and
 * keys sharing a slot are fine; n may be 0) and take as many as possible.
 * *acquired is true when the command holds all of them and may run now; false
 * when it is queued and will be reported by a later txn_latches_release.
 * Keys are not retained.  Errors: TK_E_BAD_REQUEST if cmd_id is already
 * registered, TK_E_NOMEM (nothing changed). */
enum tk_err txn_latches_acquire(struct txn_latches *l, uint64_t cmd_id, const struct tk_slice *keys,
				size_t n, bool *acquired);

/* Release every latch cmd_id holds (or cancel its wait) and forget it.  Slots
 * pass to their oldest waiters; *woken (owned by the table, valid until the
 * next acquire/release/free) receives the ids of the commands that now hold
 * all their latches, in the order they became runnable; returns how many.
 * An unknown cmd_id is ignored (returns 0). */
size_t txn_latches_release(struct txn_latches *l, uint64_t cmd_id, const uint64_t **woken);

/* Whether cmd_id is registered and holds all its latches (for tests and
 * assertions). */
bool txn_latches_holds_all(const struct txn_latches *l, uint64_t cmd_id);
/* Number of registered commands (running or queued). */
size_t txn_latches_count(const struct txn_latches *l);

#endif
