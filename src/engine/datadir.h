/* The data directory lock: one daemon per data dir.
 *
 * path/LOCK is locked with an open-file-description lock (F_OFD_SETLK), so a
 * second locker is refused whether it is another process or another open in
 * the same process, and holds our pid so the refusal can name the holder.
 * It is separate from LevelDB's own LOCK inside path/db. */
#ifndef TK_ENGINE_DATADIR_H
#define TK_ENGINE_DATADIR_H

#include "util/err.h"

/* Create path (and its parents) if needed, lock path/LOCK exclusively without
 * blocking and write our pid into it.  On success *fd_out holds the lock until
 * eng_datadir_unlock.  Errors: TK_E_DATA_DIR ("data dir X is locked by pid
 * N", or the directory/file cannot be created), TK_E_BAD_CONFIG for an empty
 * path. */
enum tk_err eng_datadir_lock(const char *path, int *fd_out, struct tk_errbuf *eb);

/* Release the lock taken by eng_datadir_lock (fd < 0 is a no-op). */
void eng_datadir_unlock(int fd);

#endif
